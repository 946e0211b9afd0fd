/* escape.c — see escape.h. */
#include "escape.h"

#include <stdio.h>

/* Length of the valid UTF-8 character at s that is not a control (C1 is
 * U+0080..U+009F, two bytes C2 80..C2 9F), or 0. */
static int utf8_printable(const unsigned char *s)
{
  int n, i;
  unsigned cp;
  if (s[0] < 0xC2) return 0;
  if (s[0] < 0xE0) n = 2, cp = s[0] & 0x1F;
  else if (s[0] < 0xF0) n = 3, cp = s[0] & 0x0F;
  else if (s[0] < 0xF5) n = 4, cp = s[0] & 0x07;
  else return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000) ||
      cp < 0xA0)
    return 0;
  return n;
}

const char *escape_text(const char *s, char *out, size_t size)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  if (!size) return out;
  while (*p && o + 1 < size) {
    int n = *p >= 0x20 && *p < 0x7F ? 1 : utf8_printable(p);
    if (n > 0) {
      if (o + (size_t)n >= size) break;
      while (n--) out[o++] = (char)*p++;
    } else {
      if (o + 4 >= size) break;
      snprintf(out + o, 5, "\\x%02x", *p++);
      o += 4;
    }
  }
  out[o] = '\0';
  return out;
}
