/* json.c — recursive-descent JSON parser with a depth limit. */
#include "io/json.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
/* Bounds memory (about 80 bytes a value) whatever the text: a safetensors
 * header needs ~10 values per tensor, a golden manifest ~20,000 in all. */
#define MAX_VALUES (1 << 22)

typedef struct {
  var_ctx *ctx;
  const char *p, *end;
  const char *start;
  long n_values;
} parser;

static var_status jerr(parser *ps, const char *what)
{
  return var_fail(ps->ctx, VAR_ERR_FORMAT, "malformed JSON: %s at offset %ld", what, (long)(ps->p - ps->start));
}

static void skip_ws(parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static void free_members(var_json *j)
{
  int i;
  if (!j) return;
  free(j->string);
  for (i = 0; i < j->n; i++) {
    free_members(&j->items[i]);
    if (j->keys) free(j->keys[i]);
  }
  free(j->items);
  free(j->keys);
}

void var_json_free(var_json *j)
{
  if (!j) return;
  free_members(j);
  free(j);
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static var_status read_hex4(parser *ps, unsigned long *cp)
{
  int i;
  if (ps->end - ps->p < 4) return VAR_ERR_FORMAT;
  *cp = 0;
  for (i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) return VAR_ERR_FORMAT;
    *cp = *cp * 16 + (unsigned long)h;
  }
  ps->p += 4;
  return VAR_OK;
}

static int utf8(unsigned long cp, char *buf)
{
  if (cp < 0x80) {
    buf[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (char)(0xC0 | (cp >> 6));
    buf[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (char)(0xE0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = (char)(0xF0 | (cp >> 18));
  buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  buf[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static var_status parse_string(parser *ps, char **out, size_t *out_len)
{
  size_t cap = 16, n = 0;
  char *s = malloc(cap);
  if (!s) return var_fail(ps->ctx, VAR_ERR_NO_MEMORY, "out of memory parsing JSON");
  ps->p++; /* opening quote */
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned long cp;
    char buf[4];
    int nb = 1;
    unsigned char c = (unsigned char)*ps->p++;
    if (c < 0x20) { free(s); return jerr(ps, "control character in string"); }
    if (c != '\\') {
      buf[0] = (char)c;
    } else {
      if (ps->p >= ps->end) { free(s); return jerr(ps, "truncated escape"); }
      c = (unsigned char)*ps->p++;
      switch (c) {
      case '"': case '\\': case '/': buf[0] = (char)c; break;
      case 'b': buf[0] = '\b'; break;
      case 'f': buf[0] = '\f'; break;
      case 'n': buf[0] = '\n'; break;
      case 'r': buf[0] = '\r'; break;
      case 't': buf[0] = '\t'; break;
      case 'u':
        if (read_hex4(ps, &cp) != VAR_OK) { free(s); return jerr(ps, "bad \\u escape"); }
        if (cp >= 0xD800 && cp < 0xDC00) {
          /* a high surrogate must be followed by a low one: together they make one code point */
          unsigned long lo;
          if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
            free(s);
            return jerr(ps, "lone surrogate");
          }
          ps->p += 2;
          if (read_hex4(ps, &lo) != VAR_OK || lo < 0xDC00 || lo > 0xDFFF) {
            free(s);
            return jerr(ps, "lone surrogate");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          free(s);
          return jerr(ps, "lone surrogate");
        }
        /* A NUL would silently cut a C string (a tensor name) short. */
        if (cp == 0) { free(s); return jerr(ps, "\\u0000 in a string"); }
        nb = utf8(cp, buf);
        break;
      default: free(s); return jerr(ps, "unknown escape");
      }
    }
    if (n + (size_t)nb + 1 > cap) {
      char *ns;
      while (n + (size_t)nb + 1 > cap) cap *= 2;
      ns = realloc(s, cap);
      if (!ns) { free(s); return var_fail(ps->ctx, VAR_ERR_NO_MEMORY, "out of memory parsing JSON"); }
      s = ns;
    }
    memcpy(s + n, buf, (size_t)nb);
    n += (size_t)nb;
  }
  if (ps->p >= ps->end) { free(s); return jerr(ps, "unterminated string"); }
  ps->p++;
  s[n] = '\0';
  *out = s;
  if (out_len) *out_len = n;
  return VAR_OK;
}

static var_status parse_value(parser *ps, var_json *v, int depth);

static var_status add_member(parser *ps, var_json *v, int *cap)
{
  if (v->n == *cap) {
    int nc = *cap ? *cap * 2 : 8;
    var_json *ni;
    if (nc > 100000000) return var_fail(ps->ctx, VAR_ERR_NO_MEMORY, "JSON container too large");
    ni = realloc(v->items, (size_t)nc * sizeof *ni);
    if (!ni) return var_fail(ps->ctx, VAR_ERR_NO_MEMORY, "out of memory parsing JSON");
    v->items = ni;
    if (v->kind == VAR_JSON_OBJECT) {
      char **nk = realloc(v->keys, (size_t)nc * sizeof *nk);
      if (!nk) return var_fail(ps->ctx, VAR_ERR_NO_MEMORY, "out of memory parsing JSON");
      v->keys = nk;
    }
    *cap = nc;
  }
  memset(&v->items[v->n], 0, sizeof v->items[0]);
  if (v->keys) v->keys[v->n] = NULL;
  v->n++;
  return VAR_OK;
}

static var_status parse_container(parser *ps, var_json *v, int depth)
{
  int cap = 0, obj = (*ps->p == '{');
  char close = obj ? '}' : ']';
  var_status st;
  v->kind = obj ? VAR_JSON_OBJECT : VAR_JSON_ARRAY;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) { ps->p++; return VAR_OK; }
  for (;;) {
    char *key = NULL;
    skip_ws(ps);
    if (obj) {
      if (ps->p >= ps->end || *ps->p != '"') return jerr(ps, "expected a key");
      if ((st = parse_string(ps, &key, NULL)) != VAR_OK) return st;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { free(key); return jerr(ps, "expected ':'"); }
      ps->p++;
    }
    if ((st = add_member(ps, v, &cap)) != VAR_OK) { free(key); return st; }
    if (obj) v->keys[v->n - 1] = key;
    if ((st = parse_value(ps, &v->items[v->n - 1], depth + 1)) != VAR_OK) return st;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return VAR_OK; }
    return jerr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

/* RFC 8259 number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(const char *q, const char *end, int *is_int)
{
  *is_int = 1;
  if (q < end && *q == '-') q++;
  if (q >= end || *q < '0' || *q > '9') return NULL;
  if (*q == '0') q++;
  else
    while (q < end && *q >= '0' && *q <= '9') q++;
  if (q < end && *q == '.') {
    *is_int = 0;
    q++;
    if (q >= end || *q < '0' || *q > '9') return NULL;
    while (q < end && *q >= '0' && *q <= '9') q++;
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    *is_int = 0;
    q++;
    if (q < end && (*q == '+' || *q == '-')) q++;
    if (q >= end || *q < '0' || *q > '9') return NULL;
    while (q < end && *q >= '0' && *q <= '9') q++;
  }
  return q;
}

static var_status parse_number(parser *ps, var_json *v)
{
  char buf[64];
  const char *q;
  size_t n, i;
  char *endp;
  int is_int;
  if (!(q = scan_number(ps->p, ps->end, &is_int))) return jerr(ps, "bad number");
  n = (size_t)(q - ps->p);
  if (n >= sizeof buf) return jerr(ps, "number too long");
  memcpy(buf, ps->p, n);
  buf[n] = '\0';
  v->kind = VAR_JSON_NUMBER;
  if (is_int) {
    /* Exact when it fits int64 (negatives down to -INT64_MAX); otherwise only
     * the double is kept and is_integer stays 0. */
    int64_t x = 0;
    int neg = buf[0] == '-';
    v->is_integer = 1;
    for (i = (size_t)neg; i < n && v->is_integer; i++) {
      int d = buf[i] - '0';
      if (x > (INT64_MAX - d) / 10) v->is_integer = 0;
      else x = x * 10 + d;
    }
    v->integer = v->is_integer ? (neg ? -x : x) : 0;
  }
  /* strtod honours the C locale's decimal point; a host application (GIMP)
   * may have set another one, so write the number in its terms. */
  {
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1])
      for (i = 0; i < n; i++)
        if (buf[i] == '.') buf[i] = dp[0];
  }
  v->number = strtod(buf, &endp);
  if (*endp) return jerr(ps, "bad number");
  if (!is_int) v->integer = (v->number >= -9.2e18 && v->number <= 9.2e18) ? (int64_t)v->number : 0;
  ps->p = q;
  return VAR_OK;
}

static var_status parse_value(parser *ps, var_json *v, int depth)
{
  if (depth > MAX_DEPTH) return jerr(ps, "nesting too deep");
  if (++ps->n_values > MAX_VALUES) return jerr(ps, "too many values");
  skip_ws(ps);
  if (ps->p >= ps->end) return jerr(ps, "unexpected end");
  switch (*ps->p) {
  case '{': case '[': return parse_container(ps, v, depth);
  case '"': v->kind = VAR_JSON_STRING; return parse_string(ps, &v->string, &v->string_len);
  case 't':
    if (ps->end - ps->p >= 4 && !memcmp(ps->p, "true", 4)) {
      v->kind = VAR_JSON_BOOL;
      v->number = 1;
      v->integer = 1;
      ps->p += 4;
      return VAR_OK;
    }
    return jerr(ps, "bad literal");
  case 'f':
    if (ps->end - ps->p >= 5 && !memcmp(ps->p, "false", 5)) { v->kind = VAR_JSON_BOOL; ps->p += 5; return VAR_OK; }
    return jerr(ps, "bad literal");
  case 'n':
    if (ps->end - ps->p >= 4 && !memcmp(ps->p, "null", 4)) { v->kind = VAR_JSON_NULL; ps->p += 4; return VAR_OK; }
    return jerr(ps, "bad literal");
  default: return parse_number(ps, v);
  }
}

var_status var_json_parse(var_ctx *ctx, const char *text, size_t len, var_json **out)
{
  parser ps;
  var_json *v = calloc(1, sizeof *v);
  var_status st;
  *out = NULL;
  if (!v) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory parsing JSON");
  ps.ctx = ctx;
  ps.n_values = 0;
  ps.p = ps.start = text;
  ps.end = text + len;
  st = parse_value(&ps, v, 0);
  if (st == VAR_OK) {
    skip_ws(&ps);
    if (ps.p != ps.end) st = jerr(&ps, "trailing characters");
  }
  if (st != VAR_OK) {
    var_json_free(v);
    return st;
  }
  *out = v;
  return VAR_OK;
}

const var_json *var_json_get(const var_json *j, const char *key)
{
  int i;
  if (!j || j->kind != VAR_JSON_OBJECT) return NULL;
  for (i = 0; i < j->n; i++)
    if (!strcmp(j->keys[i], key)) return &j->items[i];
  return NULL;
}

const var_json *var_json_at(const var_json *j, int i)
{
  if (!j || (j->kind != VAR_JSON_ARRAY && j->kind != VAR_JSON_OBJECT) || i < 0 || i >= j->n) return NULL;
  return &j->items[i];
}
