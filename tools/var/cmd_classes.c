/* cmd_classes.c — `var classes [TEXT]`: the ImageNet class names, for --class. */
#include "cli.h"
#include "var.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* case-insensitive substring test */
static int contains(const char *hay, const char *needle)
{
  size_t n = strlen(needle), i;
  for (; *hay; hay++) {
    for (i = 0; i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]); i++) {
    }
    if (i == n) return 1;
  }
  return n == 0;
}

int cmd_classes(int argc, char **argv)
{
  const char *q = NULL;
  int i, shown = 0, exact;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("usage: var classes [TEXT]\n\n"
             "Lists the 1000 ImageNet classes the released models draw (index: names), or those whose names\n"
             "contain TEXT.  `--class` accepts an index, any of the names, or a prefix that only one class has.\n");
      return 0;
    }
    if (q) {
      fprintf(stderr, "var classes: give one search text (quote names with spaces)\n");
      return 2;
    }
    q = argv[i];
  }
  exact = q ? var_imagenet_class_find(q) : -1;
  for (i = 0; i < var_imagenet_n_classes(); i++) {
    const char *names = var_imagenet_class_synonyms(i);
    if (q && !contains(names, q)) continue;
    printf("%4d: %s%s\n", i, names, i == exact ? "   <- --class \"TEXT\" picks this one" : "");
    shown++;
  }
  if (q && !shown) {
    fprintf(stderr, "var classes: no class name contains \"%s\"\n", q);
    return 1;
  }
  return 0;
}
