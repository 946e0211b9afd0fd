/* pickle.c — restricted pickle interpreter for PyTorch state dicts (see pickle.h). */
#include "pickle.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
  V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR, V_TUPLE, V_LIST, V_DICT, V_GLOBAL, V_STORAGE, V_TENSOR, V_MARK
} vkind;

/* The only callables a state dict needs. */
typedef enum {
  G_ORDERED_DICT = 1, G_REBUILD_TENSOR_V2, G_REBUILD_PARAMETER, G_STORAGE
} gkind;

typedef struct value value;
struct value {
  vkind kind;
  int64_t i;                /* INT, BOOL */
  double f;
  char *s;                  /* STR (NUL-terminated copy) */
  size_t slen;
  value **items;            /* TUPLE/LIST items; DICT keys and values interleaved */
  size_t n, cap;            /* items used (DICT: 2 per entry) */
  gkind global;             /* GLOBAL */
  var_dtype dtype;          /* GLOBAL storage class, STORAGE, TENSOR */
  char *key;                /* STORAGE */
  int64_t numel;            /* STORAGE */
  value *storage;           /* TENSOR */
  int64_t offset;
  int ndim;
  int64_t shape[VAR_MAX_DIMS], stride[VAR_MAX_DIMS];
};

typedef struct {
  var_ctx *ctx;
  const uint8_t *p, *end;
  value **all;              /* every value allocated, for freeing */
  size_t n_all, cap_all;
  value **stack;
  size_t sp, cap_stack;
  value **memo;
  size_t memo_cap;
  size_t memo_count;        /* entries stored, for MEMOIZE */
  const uint8_t *start;
  value mark;               /* the single MARK sentinel */
} machine;

static var_status bad(machine *m, const char *what)
{
  return var_fail(m->ctx, VAR_ERR_FORMAT, "malformed checkpoint pickle: %s (at byte %ld)", what,
                  (long)(m->p - m->start));
}

static var_status grow(void **arr, size_t *cap, size_t need, size_t elem)
{
  size_t nc;
  void *np;
  if (need <= *cap) return VAR_OK;
  nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  if (!var_size_mul(nc, elem)) return VAR_ERR_NO_MEMORY;
  np = realloc(*arr, nc * elem);
  if (!np) return VAR_ERR_NO_MEMORY;
  *arr = np;
  *cap = nc;
  return VAR_OK;
}

static value *new_value(machine *m, vkind kind)
{
  value *v;
  if (grow((void **)&m->all, &m->cap_all, m->n_all + 1, sizeof *m->all) != VAR_OK) return NULL;
  v = calloc(1, sizeof *v);
  if (!v) return NULL;
  v->kind = kind;
  m->all[m->n_all++] = v;
  return v;
}

static var_status push(machine *m, value *v)
{
  if (!v) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  if (grow((void **)&m->stack, &m->cap_stack, m->sp + 1, sizeof *m->stack) != VAR_OK)
    return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  m->stack[m->sp++] = v;
  return VAR_OK;
}

static value *pop(machine *m)
{
  if (m->sp == 0) return NULL;
  return m->stack[--m->sp];
}

static value *top(machine *m) { return m->sp ? m->stack[m->sp - 1] : NULL; }

/* Index of the topmost MARK, or -1. */
static long find_mark(machine *m)
{
  size_t i = m->sp;
  while (i > 0) {
    if (m->stack[i - 1] == &m->mark) return (long)(i - 1);
    i--;
  }
  return -1;
}

static var_status append_items(machine *m, value *seq, value **items, size_t n)
{
  if (grow((void **)&seq->items, &seq->cap, seq->n + n, sizeof *seq->items) != VAR_OK)
    return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  memcpy(seq->items + seq->n, items, n * sizeof *items);
  seq->n += n;
  return VAR_OK;
}

static int need(machine *m, size_t n) { return (size_t)(m->end - m->p) >= n; }

static uint64_t le(const uint8_t *p, int n)
{
  uint64_t v = 0;
  int i;
  for (i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static var_status push_string(machine *m, size_t len)
{
  value *v;
  if (!need(m, len)) return bad(m, "string runs past the end");
  v = new_value(m, V_STR);
  if (!v || !(v->s = malloc(len + 1))) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  memcpy(v->s, m->p, len);
  v->s[len] = '\0';
  v->slen = len;
  m->p += len;
  return push(m, v);
}

static const struct {
  const char *name;
  var_dtype dtype;
  int ok;
} storages[] = {
  { "FloatStorage", VAR_DTYPE_F32, 1 },   { "HalfStorage", VAR_DTYPE_F16, 1 }, { "BFloat16Storage", VAR_DTYPE_BF16, 1 },
  { "LongStorage", VAR_DTYPE_I64, 1 },    { "IntStorage", VAR_DTYPE_I32, 1 },  { "ByteStorage", VAR_DTYPE_U8, 1 },
  { "DoubleStorage", VAR_DTYPE_F32, 0 },  { "BoolStorage", VAR_DTYPE_U8, 0 },  { "CharStorage", VAR_DTYPE_U8, 0 },
  { "ShortStorage", VAR_DTYPE_U8, 0 },
};

static var_status resolve_global(machine *m, const char *module, const char *name)
{
  value *g = new_value(m, V_GLOBAL);
  size_t i;
  if (!g) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  if (!strcmp(module, "collections") && !strcmp(name, "OrderedDict"))
    g->global = G_ORDERED_DICT;
  else if (!strcmp(module, "torch._utils") && !strcmp(name, "_rebuild_tensor_v2"))
    g->global = G_REBUILD_TENSOR_V2;
  else if (!strcmp(module, "torch._utils") && !strcmp(name, "_rebuild_parameter"))
    g->global = G_REBUILD_PARAMETER;
  else if (!strcmp(module, "torch")) {
    for (i = 0; i < sizeof storages / sizeof storages[0]; i++)
      if (!strcmp(name, storages[i].name)) {
        if (!storages[i].ok)
          return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint uses torch.%s tensors; only float32, float16, bfloat16, int64, int32 and uint8 are supported", name);
        g->global = G_STORAGE;
        g->dtype = storages[i].dtype;
        break;
      }
  }
  if (!g->global)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                    "checkpoint pickle refers to %.100s.%.100s, which a state dict never needs; refusing to load it "
                    "(only tensors and OrderedDicts are accepted, nothing is ever executed)",
                    module, name);
  return push(m, g);
}

/* Reads a tuple of non-negative ints (shape/stride) into out[]. */
static var_status int_tuple(machine *m, const value *t, int64_t *out, int *n, const char *what)
{
  size_t i;
  if (!t || (t->kind != V_TUPLE && t->kind != V_LIST)) return bad(m, what);
  if (t->n > VAR_MAX_DIMS)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "tensor with %zu dimensions (at most %d supported)", t->n, VAR_MAX_DIMS);
  for (i = 0; i < t->n; i++) {
    if (t->items[i]->kind != V_INT || t->items[i]->i < 0) return bad(m, what);
    out[i] = t->items[i]->i;
  }
  *n = (int)t->n;
  return VAR_OK;
}

static var_status do_reduce(machine *m)
{
  value *args = pop(m), *fn = pop(m), *r;
  var_status st;
  if (!args || !fn || args == &m->mark || fn == &m->mark) return bad(m, "REDUCE with an empty stack");
  if (fn->kind != V_GLOBAL) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle calls something that is not an allowed class");
  if (args->kind != V_TUPLE) return bad(m, "REDUCE arguments are not a tuple");
  switch (fn->global) {
  case G_ORDERED_DICT:
    if (args->n != 0) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "OrderedDict built from arguments is not supported");
    return push(m, new_value(m, V_DICT));
  case G_REBUILD_PARAMETER:
    if (args->n < 1 || args->items[0]->kind != V_TENSOR) return bad(m, "_rebuild_parameter without a tensor");
    return push(m, args->items[0]);
  case G_REBUILD_TENSOR_V2: {
    int nd_shape = 0, nd_stride = 0;
    if (args->n < 4 || args->items[0]->kind != V_STORAGE || args->items[1]->kind != V_INT)
      return bad(m, "_rebuild_tensor_v2 with unexpected arguments");
    r = new_value(m, V_TENSOR);
    if (!r) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
    r->storage = args->items[0];
    r->dtype = r->storage->dtype;
    r->offset = args->items[1]->i;
    if (r->offset < 0) return bad(m, "negative storage offset");
    if ((st = int_tuple(m, args->items[2], r->shape, &nd_shape, "tensor size is not a tuple of ints")) != VAR_OK) return st;
    if ((st = int_tuple(m, args->items[3], r->stride, &nd_stride, "tensor stride is not a tuple of ints")) != VAR_OK) return st;
    if (nd_shape != nd_stride) return bad(m, "tensor size and stride differ in length");
    r->ndim = nd_shape;
    return push(m, r);
  }
  default:
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle calls a storage class directly");
  }
}

static var_status do_persid(machine *m)
{
  value *pid = pop(m), *s;
  if (!pid || pid == &m->mark) return bad(m, "BINPERSID with an empty stack");
  if (pid->kind != V_TUPLE || pid->n < 5 || pid->items[0]->kind != V_STR || strcmp(pid->items[0]->s, "storage") ||
      pid->items[1]->kind != V_GLOBAL || pid->items[1]->global != G_STORAGE || pid->items[2]->kind != V_STR ||
      pid->items[4]->kind != V_INT || pid->items[4]->i < 0)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle has a persistent id that is not a torch storage");
  s = new_value(m, V_STORAGE);
  if (!s) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  s->dtype = pid->items[1]->dtype;
  s->key = pid->items[2]->s;
  s->numel = pid->items[4]->i;
  return push(m, s);
}

static var_status memo_put(machine *m, uint64_t idx, size_t pickle_size)
{
  value *v = top(m);
  /* A real pickler numbers memo entries consecutively, so an index beyond the
   * pickle's length can only come from a hostile file. */
  if (!v || v == &m->mark) return bad(m, "PUT with an empty stack");
  if (idx > pickle_size) return bad(m, "memo index out of range");
  if (idx >= m->memo_cap) {
    size_t old = m->memo_cap;
    if (grow((void **)&m->memo, &m->memo_cap, (size_t)idx + 1, sizeof *m->memo) != VAR_OK)
      return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
    memset(m->memo + old, 0, (m->memo_cap - old) * sizeof *m->memo);
  }
  if (!m->memo[idx]) m->memo_count++;
  m->memo[idx] = v;
  return VAR_OK;
}

static var_status memo_get(machine *m, uint64_t idx)
{
  if (idx >= m->memo_cap || !m->memo[idx]) return bad(m, "GET of an unknown memo entry");
  return push(m, m->memo[idx]);
}

static var_status collect(machine *m, vkind kind)
{
  long mk = find_mark(m);
  value *t;
  var_status st;
  if (mk < 0) return bad(m, "no MARK for TUPLE/LIST/DICT");
  t = new_value(m, kind);
  if (!t) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
  if (kind == V_DICT && ((m->sp - (size_t)mk - 1) & 1)) return bad(m, "odd number of items for DICT");
  st = append_items(m, t, m->stack + mk + 1, m->sp - (size_t)mk - 1);
  if (st != VAR_OK) return st;
  m->sp = (size_t)mk;
  return push(m, t);
}

static var_status run(machine *m, value **result)
{
  const uint8_t *start = m->start;
  size_t size = (size_t)(m->end - m->p);
  var_status st = VAR_OK;
  while (m->p < m->end) {
    uint8_t op = *m->p++;
    value *v, *w;
    long mk;
    switch (op) {
    case 0x80: /* PROTO */
      if (!need(m, 1)) return bad(m, "truncated PROTO");
      if (m->p[0] > 5) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "pickle protocol %d is not supported", m->p[0]);
      m->p++;
      break;
    case 0x95: /* FRAME */
      if (!need(m, 8)) return bad(m, "truncated FRAME");
      m->p += 8;
      break;
    case '.': /* STOP */
      v = pop(m);
      if (!v || v == &m->mark) return bad(m, "STOP with an empty stack");
      *result = v;
      (void)start;
      return VAR_OK;
    case '(': st = push(m, &m->mark); break;
    case ')': st = push(m, new_value(m, V_TUPLE)); break;
    case ']': st = push(m, new_value(m, V_LIST)); break;
    case '}': st = push(m, new_value(m, V_DICT)); break;
    case 'N': st = push(m, new_value(m, V_NONE)); break;
    case 0x88: case 0x89: /* NEWTRUE, NEWFALSE */
      v = new_value(m, V_BOOL);
      if (v) v->i = (op == 0x88);
      st = push(m, v);
      break;
    case 't': st = collect(m, V_TUPLE); break;
    case 'l': st = collect(m, V_LIST); break;
    case 'd': st = collect(m, V_DICT); break;
    case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
      size_t k = (size_t)(op - 0x84), i;
      if (m->sp < k) return bad(m, "TUPLEn with too few items");
      for (i = 0; i < k; i++)
        if (m->stack[m->sp - k + i] == &m->mark) return bad(m, "MARK inside TUPLEn");
      v = new_value(m, V_TUPLE);
      if (!v) return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle");
      if ((st = append_items(m, v, m->stack + m->sp - k, k)) != VAR_OK) return st;
      m->sp -= k;
      st = push(m, v);
      break;
    }
    case 'a': /* APPEND */
      v = pop(m);
      w = top(m);
      if (!v || !w || v == &m->mark || w->kind != V_LIST) return bad(m, "APPEND to a non-list");
      st = append_items(m, w, &v, 1);
      break;
    case 'e': /* APPENDS */
      mk = find_mark(m);
      if (mk < 1 || m->stack[mk - 1]->kind != V_LIST) return bad(m, "APPENDS to a non-list");
      st = append_items(m, m->stack[mk - 1], m->stack + mk + 1, m->sp - (size_t)mk - 1);
      m->sp = (size_t)mk;
      break;
    case 's': /* SETITEM */
      if (m->sp < 3) return bad(m, "SETITEM with too few items");
      v = m->stack[m->sp - 3];
      if (v->kind != V_DICT || m->stack[m->sp - 1] == &m->mark || m->stack[m->sp - 2] == &m->mark)
        return bad(m, "SETITEM on a non-dict");
      st = append_items(m, v, m->stack + m->sp - 2, 2);
      m->sp -= 2;
      break;
    case 'u': /* SETITEMS */
      mk = find_mark(m);
      if (mk < 1 || m->stack[mk - 1]->kind != V_DICT) return bad(m, "SETITEMS on a non-dict");
      if ((m->sp - (size_t)mk - 1) & 1) return bad(m, "SETITEMS with an odd number of items");
      st = append_items(m, m->stack[mk - 1], m->stack + mk + 1, m->sp - (size_t)mk - 1);
      m->sp = (size_t)mk;
      break;
    case '0': /* POP */
      if (!pop(m)) return bad(m, "POP with an empty stack");
      break;
    case '1': /* POP_MARK */
      mk = find_mark(m);
      if (mk < 0) return bad(m, "POP_MARK without MARK");
      m->sp = (size_t)mk;
      break;
    case '2': /* DUP */
      v = top(m);
      if (!v) return bad(m, "DUP with an empty stack");
      st = push(m, v);
      break;
    case 'q': /* BINPUT */
      if (!need(m, 1)) return bad(m, "truncated BINPUT");
      st = memo_put(m, m->p[0], size);
      m->p += 1;
      break;
    case 'r': /* LONG_BINPUT */
      if (!need(m, 4)) return bad(m, "truncated LONG_BINPUT");
      st = memo_put(m, le(m->p, 4), size);
      m->p += 4;
      break;
    case 0x94: /* MEMOIZE */
      st = memo_put(m, m->memo_count, size);
      break;
    case 'h': /* BINGET */
      if (!need(m, 1)) return bad(m, "truncated BINGET");
      st = memo_get(m, m->p[0]);
      m->p += 1;
      break;
    case 'j': /* LONG_BINGET */
      if (!need(m, 4)) return bad(m, "truncated LONG_BINGET");
      st = memo_get(m, le(m->p, 4));
      m->p += 4;
      break;
    case 'J': /* BININT */
      if (!need(m, 4)) return bad(m, "truncated BININT");
      v = new_value(m, V_INT);
      if (v) v->i = (int32_t)(uint32_t)le(m->p, 4);
      m->p += 4;
      st = push(m, v);
      break;
    case 'K': /* BININT1 */
      if (!need(m, 1)) return bad(m, "truncated BININT1");
      v = new_value(m, V_INT);
      if (v) v->i = m->p[0];
      m->p += 1;
      st = push(m, v);
      break;
    case 'M': /* BININT2 */
      if (!need(m, 2)) return bad(m, "truncated BININT2");
      v = new_value(m, V_INT);
      if (v) v->i = (int64_t)le(m->p, 2);
      m->p += 2;
      st = push(m, v);
      break;
    case 0x8a: { /* LONG1 */
      unsigned n;
      if (!need(m, 1)) return bad(m, "truncated LONG1");
      n = m->p[0];
      m->p++;
      if (n > 8) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "integer of %u bytes in the checkpoint pickle", n);
      if (!need(m, n)) return bad(m, "truncated LONG1");
      v = new_value(m, V_INT);
      if (v) {
        uint64_t u = n ? le(m->p, (int)n) : 0;
        if (n && n < 8 && (m->p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);   /* sign-extend */
        v->i = (int64_t)u;
      }
      m->p += n;
      st = push(m, v);
      break;
    }
    case 'G': { /* BINFLOAT, big-endian double */
      uint64_t u = 0;
      int i;
      if (!need(m, 8)) return bad(m, "truncated BINFLOAT");
      for (i = 0; i < 8; i++) u = (u << 8) | m->p[i];
      v = new_value(m, V_FLOAT);
      if (v) memcpy(&v->f, &u, 8);
      m->p += 8;
      st = push(m, v);
      break;
    }
    case 'X': case 'T': case 'B': /* BINUNICODE, BINSTRING, BINBYTES: 4-byte length */
      if (!need(m, 4)) return bad(m, "truncated string length");
      {
        uint64_t len = le(m->p, 4);
        m->p += 4;
        if (op == 'T' && len > 0x7FFFFFFFu) return bad(m, "negative string length");
        st = push_string(m, (size_t)len);
      }
      break;
    case 0x8c: case 'U': case 'C': /* SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES */
      if (!need(m, 1)) return bad(m, "truncated string length");
      {
        size_t len = m->p[0];
        m->p += 1;
        st = push_string(m, len);
      }
      break;
    case 0x8d: case 0x8e: /* BINUNICODE8, BINBYTES8 */
      if (!need(m, 8)) return bad(m, "truncated string length");
      {
        uint64_t len = le(m->p, 8);
        m->p += 8;
        if (len > size) return bad(m, "string runs past the end");
        st = push_string(m, (size_t)len);
      }
      break;
    case 'c': { /* GLOBAL "module\nname\n" */
      const uint8_t *nl1 = memchr(m->p, '\n', (size_t)(m->end - m->p)), *nl2;
      char module[128], name[128];
      if (!nl1) return bad(m, "truncated GLOBAL");
      nl2 = memchr(nl1 + 1, '\n', (size_t)(m->end - nl1 - 1));
      if (!nl2) return bad(m, "truncated GLOBAL");
      if (nl1 - m->p >= (long)sizeof module || nl2 - nl1 - 1 >= (long)sizeof name) return bad(m, "GLOBAL name too long");
      memcpy(module, m->p, (size_t)(nl1 - m->p));
      module[nl1 - m->p] = '\0';
      memcpy(name, nl1 + 1, (size_t)(nl2 - nl1 - 1));
      name[nl2 - nl1 - 1] = '\0';
      m->p = nl2 + 1;
      st = resolve_global(m, module, name);
      break;
    }
    case 0x93: /* STACK_GLOBAL */
      w = pop(m);
      v = pop(m);
      if (!v || !w || v->kind != V_STR || w->kind != V_STR) return bad(m, "STACK_GLOBAL without two strings");
      st = resolve_global(m, v->s, w->s);
      break;
    case 'R': st = do_reduce(m); break;
    case 'Q': st = do_persid(m); break;
    case 'b': /* BUILD: only the ignorable _metadata attribute of a state dict */
      v = pop(m);
      w = top(m);
      if (!v || !w || v == &m->mark || (w->kind != V_DICT && w->kind != V_TENSOR))
        return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle sets state on an object that is not a dict or tensor");
      break;
    default:
      return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                      "checkpoint pickle uses opcode 0x%02x at byte %ld, which a state dict does not need; refusing it",
                      op, (long)(m->p - 1 - start));
    }
    if (st != VAR_OK) return st;
  }
  return bad(m, "no STOP (truncated pickle)");
}

size_t var_dtype_size(var_dtype dt)
{
  switch (dt) {
  case VAR_DTYPE_F32: case VAR_DTYPE_I32: return 4;
  case VAR_DTYPE_F16: case VAR_DTYPE_BF16: return 2;
  case VAR_DTYPE_I64: return 8;
  case VAR_DTYPE_U8: return 1;
  }
  return 0;
}

static void machine_free(machine *m)
{
  size_t i;
  for (i = 0; i < m->n_all; i++) {
    free(m->all[i]->s);
    free(m->all[i]->items);
    free(m->all[i]);
  }
  free(m->all);
  free(m->stack);
  free(m->memo);
}

static char *dupstr(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

void var_pickle_state_dict_free(var_pkl_state_dict *sd)
{
  int i;
  if (!sd) return;
  for (i = 0; i < sd->n; i++) {
    free(sd->tensors[i].name);
    free(sd->tensors[i].storage_key);
  }
  free(sd->tensors);
  sd->tensors = NULL;
  sd->n = 0;
}

var_status var_pickle_state_dict(var_ctx *ctx, const uint8_t *data, size_t size, var_pkl_state_dict *out)
{
  machine m;
  value *result = NULL;
  var_status st;
  size_t i;
  memset(&m, 0, sizeof m);
  memset(out, 0, sizeof *out);
  m.ctx = ctx;
  m.p = data;
  m.end = data + size;
  m.start = data;
  m.mark.kind = V_MARK;
  st = run(&m, &result);
  if (st == VAR_OK && result->kind != V_DICT)
    st = var_fail(ctx, VAR_ERR_UNSUPPORTED, "checkpoint does not hold a state dict (its pickle yields a %s)",
                  result->kind == V_TENSOR ? "single tensor" : result->kind == V_LIST ? "list" : "non-dict value");
  if (st == VAR_OK) {
    out->tensors = calloc(result->n / 2 + 1, sizeof *out->tensors);
    if (!out->tensors) st = var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  }
  for (i = 0; st == VAR_OK && i + 1 < result->n; i += 2) {
    const value *k = result->items[i], *t = result->items[i + 1];
    var_pkl_tensor *o = &out->tensors[out->n];
    int d;
    if (k->kind != V_STR) {
      st = var_fail(ctx, VAR_ERR_UNSUPPORTED, "state dict has a key that is not a string");
      break;
    }
    if (t->kind != V_TENSOR) {
      st = var_fail(ctx, VAR_ERR_UNSUPPORTED,
                    "state dict entry \"%.200s\" is not a tensor (a training checkpoint with a wrapper dict? "
                    "save model.state_dict() itself)", k->s);
      break;
    }
    o->name = dupstr(k->s);
    o->storage_key = dupstr(t->storage->key);
    out->n++;
    if (!o->name || !o->storage_key) {
      st = var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
      break;
    }
    o->dtype = t->dtype;
    o->storage_numel = t->storage->numel;
    o->offset = t->offset;
    o->ndim = t->ndim;
    for (d = 0; d < t->ndim; d++) {
      o->shape[d] = t->shape[d];
      o->stride[d] = t->stride[d];
    }
  }
  if (st != VAR_OK) var_pickle_state_dict_free(out);
  machine_free(&m);
  return st;
}
