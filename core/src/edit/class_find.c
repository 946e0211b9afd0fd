/* class_find.c — the forgiving class-name lookup shared by ImageNet's names
 * (imagenet_classes.c) and a model's own (model_classes.c): trimmed,
 * case-insensitive, '_' = ' '; a unique first name, else a unique synonym,
 * else a unique prefix. */
#include "internal.h"

#include <ctype.h>
#include <string.h>

static int fold(int c)
{
  c = tolower((unsigned char)c);
  return c == '_' ? ' ' : c;
}

/* Compares the query with the synonym text at s (up to its ", " or end):
 * 2 = equal, 1 = the query is a proper prefix, 0 = neither. */
static int match_synonym(const char *q, const char *s)
{
  while (*q && *s && !(s[0] == ',' && s[1] == ' ')) {
    if (fold(*q) != fold(*s)) return 0;
    q++;
    s++;
  }
  if (*q) return 0;
  return (!*s || (s[0] == ',' && s[1] == ' ')) ? 2 : 1;
}

int var_class_find_in(const char *name, int n_classes, var_class_text_fn text, const void *user)
{
  int i, main_hit = -1, n_main = 0, syn_hit = -1, n_syn = 0, prefix_hit = -1, n_prefix = 0;
  char q[256];
  size_t n;
  if (!name) return -1;
  while (isspace((unsigned char)*name)) name++;
  n = strlen(name);
  while (n && isspace((unsigned char)name[n - 1])) n--;
  if (!n || n >= sizeof q) return -1;
  memcpy(q, name, n);
  q[n] = '\0';
  for (i = 0; i < n_classes; i++) {
    const char *s = text(user, i);
    int first = 1, prefix = 0, exact = 0;
    while (s && *s) {
      int m = match_synonym(q, s);
      if (m == 2) {
        if (first) exact = 2;
        else if (!exact) exact = 1;
      } else if (m == 1) {
        prefix = 1;
      }
      s = strstr(s, ", ");
      if (!s) break;
      s += 2;
      first = 0;
    }
    if (exact == 2) {
      main_hit = i;
      n_main++;
    } else if (exact == 1) {
      syn_hit = i;
      n_syn++;
    }
    if (exact || prefix) {
      prefix_hit = i;
      n_prefix++;
    }
  }
  if (n_main) return n_main == 1 ? main_hit : -1;
  if (n_syn) return n_syn == 1 ? syn_hit : -1;
  return n_prefix == 1 ? prefix_hit : -1;
}
