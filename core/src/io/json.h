/* json.h — a small JSON reader (RFC 8259) for safetensors headers and the
 * golden manifests.  Depth is limited, so hostile input cannot exhaust the stack. */
#ifndef VAR_JSON_H
#define VAR_JSON_H

#include "internal.h"

typedef enum {
  VAR_JSON_NULL,
  VAR_JSON_BOOL,
  VAR_JSON_NUMBER,
  VAR_JSON_STRING,
  VAR_JSON_ARRAY,
  VAR_JSON_OBJECT
} var_json_kind;

typedef struct var_json var_json;
struct var_json {
  var_json_kind kind;
  double number;            /* NUMBER (and BOOL as 0/1) */
  int64_t integer;          /* NUMBER, exact when is_integer */
  int is_integer;
  char *string;             /* STRING */
  size_t string_len;
  var_json *items;          /* ARRAY/OBJECT members */
  char **keys;              /* OBJECT keys */
  int n;
};

var_status var_json_parse(var_ctx *ctx, const char *text, size_t len, var_json **out);
void var_json_free(var_json *j);
/* Member `key` of an object, NULL if absent or j is not an object. */
const var_json *var_json_get(const var_json *j, const char *key);
/* Element i of an array, NULL if out of range. */
const var_json *var_json_at(const var_json *j, int i);

#endif
