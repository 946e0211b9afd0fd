/* escape.h — printing strings that came from files (tensor names, messages
 * quoting them, paths): control bytes and invalid UTF-8 would reach the
 * terminal as escape sequences, so they are written as \xNN. */
#ifndef VAR_ESCAPE_H
#define VAR_ESCAPE_H

#include <stddef.h>

/* s with every byte that is not printable ASCII or part of a valid UTF-8
 * character (C1 controls included) replaced by \xNN; truncated to fit out. */
const char *escape_text(const char *s, char *out, size_t size);
/* escape_text into a buffer that lives until the end of the enclosing block:
 * for printf arguments. */
#define ESCAPED(s) escape_text((s), (char[4096]){ 0 }, 4096)

#endif
