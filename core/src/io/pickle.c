/* pickle.c — restricted pickle interpreter for PyTorch state dicts (see pickle.h). */
#include "io/pickle.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
  V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR, V_TUPLE, V_LIST, V_DICT, V_GLOBAL, V_STORAGE, V_TENSOR, V_MARK
} vkind;

/* The only callables a state dict needs. */
typedef enum {
  G_NONE = 0, G_ORDERED_DICT, G_REBUILD_TENSOR_V2, G_REBUILD_PARAMETER, G_STORAGE
} gkind;

typedef struct value value;
struct value {
  vkind kind;
  gkind global;             /* GLOBAL */
  var_dtype dtype;          /* GLOBAL storage class, STORAGE, TENSOR */
  int ndim;                 /* TENSOR */
  int64_t i;                /* INT, BOOL; STORAGE: numel; TENSOR: storage offset */
  char *s;                  /* STR: NUL-terminated copy (owned); STORAGE: key (borrowed from a STR) */
  size_t slen;
  value **items;            /* TUPLE/LIST items; DICT keys and values interleaved; TENSOR: its storage */
  size_t n, cap;
  int64_t *dims;            /* TENSOR: shape[ndim] then stride[ndim] */
};

/* Values live in chunks that are freed together: no per-object malloc. */
#define CHUNK_VALUES 512
typedef struct chunk {
  struct chunk *next;
  size_t used;
  value v[CHUNK_VALUES];
} chunk;

typedef struct {
  var_ctx *ctx;
  const uint8_t *p, *end, *start;
  chunk *chunks;
  size_t n_values;
  size_t n_items;           /* container slots filled, all containers together */
  value **stack;
  size_t sp, cap_stack;
  value **memo;
  size_t memo_cap;
  size_t memo_count;        /* entries stored, for MEMOIZE */
  value mark;               /* the single MARK sentinel */
} machine;

static long at(const machine *m) { return (long)(m->p - m->start); }

static var_status bad(machine *m, const char *what)
{
  return var_fail(m->ctx, VAR_ERR_FORMAT, "malformed checkpoint pickle: %s (at byte %ld)", what, at(m));
}

/* bytes: what was asked for (a grown array: its elements needed, at the least) */
static var_status oom(machine *m, size_t bytes)
{
  return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading the checkpoint pickle (%zu bytes)", bytes);
}

/* Copies s into buf with anything unprintable replaced, for messages. */
static const char *printable(const char *s, char *buf, size_t n)
{
  size_t i;
  for (i = 0; s[i] && i + 1 < n; i++) buf[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
  buf[i] = '\0';
  return buf;
}

/* Grows *arr to hold `need` elements: exact at first (most tuples are small), doubling after. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
  size_t nc;
  void *np;
  if (need <= *cap) return 1;
  nc = *cap ? *cap * 2 : 4;
  if (nc < need) nc = need;
  if (!var_size_mul(nc, elem)) return 0;
  np = realloc(*arr, nc * elem);
  if (!np) return 0;
  *arr = np;
  *cap = nc;
  return 1;
}

static var_status make(machine *m, vkind kind, value **out)
{
  value *v = NULL;
  if (m->n_values >= VAR_PICKLE_MAX_VALUES)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                    "checkpoint pickle builds more than %u objects (at byte %ld); a state dict needs about 20 per "
                    "tensor, so this is not one",
                    VAR_PICKLE_MAX_VALUES, at(m));
  if (!m->chunks || m->chunks->used == CHUNK_VALUES) {
    chunk *c = malloc(sizeof *c);
    if (!c) return oom(m, sizeof *c);
    c->next = m->chunks;
    c->used = 0;
    m->chunks = c;
  }
  v = &m->chunks->v[m->chunks->used++];
  memset(v, 0, sizeof *v);
  v->kind = kind;
  m->n_values++;
  *out = v;
  return VAR_OK;
}

static var_status push(machine *m, value *v)
{
  if (m->sp >= VAR_PICKLE_MAX_STACK)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle stack grows deeper than %u (at byte %ld); a state "
                    "dict never does that", VAR_PICKLE_MAX_STACK, at(m));
  if (!grow((void **)&m->stack, &m->cap_stack, m->sp + 1, sizeof *m->stack))
    return oom(m, (m->sp + 1) * sizeof *m->stack);
  m->stack[m->sp++] = v;
  return VAR_OK;
}

static var_status push_new(machine *m, vkind kind, int64_t i)
{
  value *v = NULL;
  var_status st = make(m, kind, &v);
  if (st != VAR_OK) return st;
  v->i = i;
  return push(m, v);
}

/* Pops a real value (not MARK); NULL when there is none. */
static value *pop(machine *m)
{
  if (m->sp == 0 || m->stack[m->sp - 1] == &m->mark) return NULL;
  return m->stack[--m->sp];
}

static value *top(machine *m) { return (m->sp && m->stack[m->sp - 1] != &m->mark) ? m->stack[m->sp - 1] : NULL; }

/* Index of the topmost MARK, or -1.  Amortised linear: whatever lies above the
 * mark is consumed by the opcode that looked for it. */
static long find_mark(machine *m)
{
  size_t i = m->sp;
  while (i > 0) {
    if (m->stack[i - 1] == &m->mark) return (long)(i - 1);
    i--;
  }
  return -1;
}

static var_status append_items(machine *m, value *seq, value *const *items, size_t n)
{
  if (!n) return VAR_OK;
  if (n > VAR_PICKLE_MAX_ITEMS - m->n_items)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle fills containers with more than %u items (at byte "
                    "%ld); a state dict never does that", VAR_PICKLE_MAX_ITEMS, at(m));
  m->n_items += n;
  if (!grow((void **)&seq->items, &seq->cap, seq->n + n, sizeof *seq->items))
    return oom(m, (seq->n + n) * sizeof *seq->items);
  memcpy(seq->items + seq->n, items, n * sizeof *items);
  seq->n += n;
  return VAR_OK;
}

static int need(const machine *m, uint64_t n) { return (uint64_t)(m->end - m->p) >= n; }

static uint64_t le(const uint8_t *p, int n)
{
  uint64_t v = 0;
  int i;
  for (i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static var_status push_string(machine *m, uint64_t len)
{
  value *v = NULL;
  var_status st;
  if (!need(m, len)) return bad(m, "string runs past the end");
  if ((st = make(m, V_STR, &v)) != VAR_OK) return st;
  if (!(v->s = malloc((size_t)len + 1))) return oom(m, (size_t)len + 1);
  memcpy(v->s, m->p, (size_t)len);
  v->s[len] = '\0';
  v->slen = (size_t)len;
  m->p += len;
  return push(m, v);
}

/* A string usable as a name: no NUL inside (C would silently cut it short). */
static int clean_str(const value *v) { return v && v->kind == V_STR && strlen(v->s) == v->slen; }

static const struct {
  const char *name;
  var_dtype dtype;
  int ok;
} storages[] = {
    {"FloatStorage", VAR_DTYPE_F32, 1},       {"HalfStorage", VAR_DTYPE_F16, 1},
    {"BFloat16Storage", VAR_DTYPE_BF16, 1},   {"LongStorage", VAR_DTYPE_I64, 1},
    {"IntStorage", VAR_DTYPE_I32, 1},         {"ByteStorage", VAR_DTYPE_U8, 1},
    {"DoubleStorage", VAR_DTYPE_F32, 0},      {"BoolStorage", VAR_DTYPE_U8, 0},
    {"CharStorage", VAR_DTYPE_U8, 0},         {"ShortStorage", VAR_DTYPE_U8, 0},
    {"ComplexFloatStorage", VAR_DTYPE_U8, 0}, {"ComplexDoubleStorage", VAR_DTYPE_U8, 0},
    {"QInt8Storage", VAR_DTYPE_U8, 0},        {"QUInt8Storage", VAR_DTYPE_U8, 0},
    {"QInt32Storage", VAR_DTYPE_U8, 0},       {"UntypedStorage", VAR_DTYPE_U8, 0},
};

static var_status resolve_global(machine *m, const char *module, size_t module_len, const char *name, size_t name_len)
{
  value *g;
  char b1[128], b2[128];
  size_t i;
  var_status st;
  if (strlen(module) != module_len || strlen(name) != name_len)
    return bad(m, "global name with a NUL byte");
  if ((st = make(m, V_GLOBAL, &g)) != VAR_OK) return st;
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
          return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                          "checkpoint holds torch.%s tensors; only float32, float16, bfloat16, int64, int32 and uint8 "
                          "tensors are supported", name);
        g->global = G_STORAGE;
        g->dtype = storages[i].dtype;
        break;
      }
  }
  if (!g->global)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                    "checkpoint pickle refers to %s.%s, which a state dict never needs; refusing to load it "
                    "(only tensors and OrderedDicts are accepted, nothing is ever executed)",
                    printable(module, b1, sizeof b1), printable(name, b2, sizeof b2));
  return push(m, g);
}

/* Reads a tuple of non-negative ints (shape/stride) into out[]. */
static var_status int_tuple(machine *m, const value *t, int64_t *out, int *n, const char *what)
{
  size_t i;
  if (!t || t->kind != V_TUPLE) return bad(m, what);
  if (t->n > VAR_MAX_DIMS)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                    "checkpoint holds a tensor with %lu dimensions (at most %d are supported)", (unsigned long)t->n,
                    VAR_MAX_DIMS);
  for (i = 0; i < t->n; i++) {
    if (t->items[i]->kind != V_INT || t->items[i]->i < 0) return bad(m, what);
    out[i] = t->items[i]->i;
  }
  *n = (int)t->n;
  return VAR_OK;
}

static var_status rebuild_tensor(machine *m, const value *args)
{
  int64_t shape[VAR_MAX_DIMS], stride[VAR_MAX_DIMS];
  int nd_shape = 0, nd_stride = 0;
  value *r;
  var_status st;
  if (args->n < 4 || args->items[0]->kind != V_STORAGE || args->items[1]->kind != V_INT)
    return bad(m, "_rebuild_tensor_v2 with unexpected arguments");
  if (args->items[1]->i < 0) return bad(m, "negative storage offset");
  if ((st = int_tuple(m, args->items[2], shape, &nd_shape, "tensor size is not a tuple of ints")) != VAR_OK) return st;
  if ((st = int_tuple(m, args->items[3], stride, &nd_stride, "tensor stride is not a tuple of ints")) != VAR_OK)
    return st;
  if (nd_shape != nd_stride) return bad(m, "tensor size and stride differ in length");
  if ((st = make(m, V_TENSOR, &r)) != VAR_OK) return st;
  if (!(r->dims = malloc(sizeof(int64_t) * (size_t)(2 * nd_shape + 1))))
    return oom(m, sizeof(int64_t) * (size_t)(2 * nd_shape + 1));
  memcpy(r->dims, shape, sizeof(int64_t) * (size_t)nd_shape);
  memcpy(r->dims + nd_shape, stride, sizeof(int64_t) * (size_t)nd_shape);
  r->ndim = nd_shape;
  if ((st = append_items(m, r, &args->items[0], 1)) != VAR_OK) return st;
  r->dtype = args->items[0]->dtype;
  r->i = args->items[1]->i;
  return push(m, r);
}

static var_status do_reduce(machine *m)
{
  value *args = pop(m), *fn = pop(m);
  if (!args || !fn) return bad(m, "REDUCE with too few items on the stack");
  if (fn->kind != V_GLOBAL)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle calls something that is not an allowed class");
  if (args->kind != V_TUPLE) return bad(m, "REDUCE arguments are not a tuple");
  switch (fn->global) {
  case G_ORDERED_DICT:
    if (args->n != 0) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "OrderedDict built from arguments is not supported");
    return push_new(m, V_DICT, 0);
  case G_REBUILD_PARAMETER:
    if (args->n < 1 || args->items[0]->kind != V_TENSOR) return bad(m, "_rebuild_parameter without a tensor");
    return push(m, args->items[0]);
  case G_REBUILD_TENSOR_V2:
    return rebuild_tensor(m, args);
  default:
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle calls a storage class directly");
  }
}

/* ('storage', torch.XStorage, key, location, numel) -> a STORAGE value. */
static var_status do_persid(machine *m)
{
  value *pid = pop(m), *s;
  var_status st;
  if (!pid) return bad(m, "BINPERSID with an empty stack");
  if (pid->kind != V_TUPLE || pid->n < 5 || !clean_str(pid->items[0]) || strcmp(pid->items[0]->s, "storage") ||
      pid->items[1]->kind != V_GLOBAL || pid->items[1]->global != G_STORAGE || pid->items[2]->kind != V_STR ||
      pid->items[4]->kind != V_INT || pid->items[4]->i < 0)
    return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle has a persistent id that is not a torch storage");
  if (!clean_str(pid->items[2]) || pid->items[2]->slen == 0) return bad(m, "storage key is empty or has a NUL byte");
  if ((st = make(m, V_STORAGE, &s)) != VAR_OK) return st;
  s->dtype = pid->items[1]->dtype;
  s->s = pid->items[2]->s;
  s->i = pid->items[4]->i;
  return push(m, s);
}

static var_status memo_put(machine *m, uint64_t idx)
{
  value *v = top(m);
  /* A real pickler numbers memo entries consecutively from 0 and memoizes each
   * object once, so an index beyond the number of objects it may build can only
   * come from a hostile file; refusing it bounds the memo table. */
  if (!v) return bad(m, "PUT with an empty stack");
  if (idx >= VAR_PICKLE_MAX_VALUES) return bad(m, "memo index out of range");
  if (idx >= m->memo_cap) {
    size_t old = m->memo_cap;
    if (!grow((void **)&m->memo, &m->memo_cap, (size_t)idx + 1, sizeof *m->memo))
      return oom(m, ((size_t)idx + 1) * sizeof *m->memo);
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

/* TUPLE / LIST / DICT: everything above the topmost MARK. */
static var_status collect(machine *m, vkind kind)
{
  long mk = find_mark(m);
  size_t n;
  value *t;
  var_status st;
  if (mk < 0) return bad(m, "TUPLE, LIST or DICT without a MARK");
  n = m->sp - (size_t)mk - 1;
  if (kind == V_DICT && (n & 1)) return bad(m, "odd number of items for DICT");
  if ((st = make(m, kind, &t)) != VAR_OK) return st;
  if ((st = append_items(m, t, m->stack + mk + 1, n)) != VAR_OK) return st;
  m->sp = (size_t)mk;
  return push(m, t);
}

/* APPENDS / SETITEMS: everything above the topmost MARK goes into the object below it. */
static var_status extend(machine *m, vkind kind)
{
  long mk = find_mark(m);
  size_t n;
  var_status st;
  if (mk < 1 || m->stack[mk - 1] == &m->mark || m->stack[mk - 1]->kind != kind)
    return bad(m, kind == V_LIST ? "APPENDS to a non-list" : "SETITEMS on a non-dict");
  n = m->sp - (size_t)mk - 1;
  if (kind == V_DICT && (n & 1)) return bad(m, "SETITEMS with an odd number of items");
  if ((st = append_items(m, m->stack[mk - 1], m->stack + mk + 1, n)) != VAR_OK) return st;
  m->sp = (size_t)mk;
  return VAR_OK;
}

static var_status tuple_n(machine *m, size_t k)
{
  value *v = NULL;
  size_t i;
  var_status st;
  if (m->sp < k) return bad(m, "TUPLE1/2/3 with too few items");
  for (i = 0; i < k; i++)
    if (m->stack[m->sp - k + i] == &m->mark) return bad(m, "MARK inside TUPLE1/2/3");
  if ((st = make(m, V_TUPLE, &v)) != VAR_OK) return st;
  if ((st = append_items(m, v, m->stack + m->sp - k, k)) != VAR_OK) return st;
  m->sp -= k;
  return push(m, v);
}

static var_status read_int(machine *m, int bytes, int sign)
{
  int64_t x;
  if (!need(m, (uint64_t)bytes)) return bad(m, "truncated integer");
  x = (int64_t)le(m->p, bytes);
  if (sign && bytes == 4) x = (int32_t)(uint32_t)x;
  m->p += bytes;
  return push_new(m, V_INT, x);
}

static var_status read_long1(machine *m)
{
  unsigned n;
  uint64_t u;
  if (!need(m, 1)) return bad(m, "truncated LONG1");
  n = m->p[0];
  m->p++;
  if (n > 8) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "integer of %u bytes in the checkpoint pickle", n);
  if (!need(m, n)) return bad(m, "truncated LONG1");
  u = n ? le(m->p, (int)n) : 0;
  if (n && n < 8 && (m->p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);   /* sign-extend */
  m->p += n;
  return push_new(m, V_INT, (int64_t)u);
}

/* GLOBAL "module\nname\n". */
static var_status read_global(machine *m)
{
  const uint8_t *nl1 = memchr(m->p, '\n', (size_t)(m->end - m->p)), *nl2;
  char module[128], name[128];
  size_t ml, nl;
  if (!nl1) return bad(m, "truncated GLOBAL");
  nl2 = memchr(nl1 + 1, '\n', (size_t)(m->end - nl1 - 1));
  if (!nl2) return bad(m, "truncated GLOBAL");
  ml = (size_t)(nl1 - m->p);
  nl = (size_t)(nl2 - nl1 - 1);
  if (ml >= sizeof module || nl >= sizeof name) return bad(m, "GLOBAL name too long");
  memcpy(module, m->p, ml);
  module[ml] = '\0';
  memcpy(name, nl1 + 1, nl);
  name[nl] = '\0';
  m->p = nl2 + 1;
  return resolve_global(m, module, ml, name, nl);
}

/* Opcodes a state dict never uses, named so that the refusal says what was seen. */
static const char *refused_opcode(uint8_t op)
{
  switch (op) {
  case 'i': return "INST (builds an arbitrary object)";
  case 'o': return "OBJ (builds an arbitrary object)";
  case 0x81: return "NEWOBJ (builds an arbitrary object)";
  case 0x92: return "NEWOBJ_EX (builds an arbitrary object)";
  case 0x82: case 0x83: case 0x84: return "EXT1/2/4 (extension registry)";
  case 'P': return "PERSID (text persistent id)";
  case 'I': case 'L': case 'F': case 'S': case 'V': case 'p': case 'g': return "a protocol-0 text opcode";
  case 0x8b: return "LONG4";
  case 0x8f: case 0x90: case 0x91: return "a set opcode";
  case 0x96: case 0x97: case 0x98: return "a protocol-5 buffer opcode";
  default: return NULL;
  }
}

static var_status run(machine *m, value **result)
{
  var_status st = VAR_OK;
  while (m->p < m->end) {
    uint8_t op = *m->p++;
    value *v, *w;
    switch (op) {
    case 0x80: /* PROTO */
      if (!need(m, 1)) return bad(m, "truncated PROTO");
      if (m->p[0] > 5) return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "pickle protocol %d is not supported", m->p[0]);
      m->p++;
      break;
    case 0x95: /* FRAME: a length hint only */
      if (!need(m, 8)) return bad(m, "truncated FRAME");
      m->p += 8;
      break;
    case '.': /* STOP */
      v = pop(m);
      if (!v) return bad(m, "STOP with an empty stack");
      *result = v;
      return VAR_OK;
    case '(': st = push(m, &m->mark); break;
    case ')': st = push_new(m, V_TUPLE, 0); break;
    case ']': st = push_new(m, V_LIST, 0); break;
    case '}': st = push_new(m, V_DICT, 0); break;
    case 'N': st = push_new(m, V_NONE, 0); break;
    case 0x88: case 0x89: st = push_new(m, V_BOOL, op == 0x88); break;   /* NEWTRUE, NEWFALSE */
    case 't': st = collect(m, V_TUPLE); break;
    case 'l': st = collect(m, V_LIST); break;
    case 'd': st = collect(m, V_DICT); break;
    case 0x85: case 0x86: case 0x87: st = tuple_n(m, (size_t)(op - 0x84)); break;   /* TUPLE1..3 */
    case 'a': /* APPEND */
      v = pop(m);
      w = top(m);
      if (!v || !w || w->kind != V_LIST) return bad(m, "APPEND to a non-list");
      st = append_items(m, w, &v, 1);
      break;
    case 'e': st = extend(m, V_LIST); break;    /* APPENDS */
    case 'u': st = extend(m, V_DICT); break;    /* SETITEMS */
    case 's': /* SETITEM */
      if (m->sp < 3 || m->stack[m->sp - 3] == &m->mark || m->stack[m->sp - 3]->kind != V_DICT ||
          m->stack[m->sp - 1] == &m->mark || m->stack[m->sp - 2] == &m->mark)
        return bad(m, "SETITEM on a non-dict");
      st = append_items(m, m->stack[m->sp - 3], m->stack + m->sp - 2, 2);
      m->sp -= 2;
      break;
    case '0': /* POP (a MARK too, as CPython does) */
      if (!m->sp) return bad(m, "POP with an empty stack");
      m->sp--;
      break;
    case '1': { /* POP_MARK */
      long mk = find_mark(m);
      if (mk < 0) return bad(m, "POP_MARK without MARK");
      m->sp = (size_t)mk;
      break;
    }
    case '2': /* DUP */
      if (!(v = top(m))) return bad(m, "DUP with an empty stack");
      st = push(m, v);
      break;
    case 'q': /* BINPUT */
      if (!need(m, 1)) return bad(m, "truncated BINPUT");
      st = memo_put(m, m->p[0]);
      m->p += 1;
      break;
    case 'r': /* LONG_BINPUT */
      if (!need(m, 4)) return bad(m, "truncated LONG_BINPUT");
      st = memo_put(m, le(m->p, 4));
      m->p += 4;
      break;
    case 0x94: st = memo_put(m, m->memo_count); break;   /* MEMOIZE */
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
    case 'J': st = read_int(m, 4, 1); break;   /* BININT */
    case 'K': st = read_int(m, 1, 0); break;   /* BININT1 */
    case 'M': st = read_int(m, 2, 0); break;   /* BININT2 */
    case 0x8a: st = read_long1(m); break;      /* LONG1 */
    case 'G': /* BINFLOAT: the value is never needed */
      if (!need(m, 8)) return bad(m, "truncated BINFLOAT");
      m->p += 8;
      st = push_new(m, V_FLOAT, 0);
      break;
    case 'X': case 'T': case 'B': { /* BINUNICODE, BINSTRING, BINBYTES: 4-byte length */
      uint64_t len;
      if (!need(m, 4)) return bad(m, "truncated string length");
      len = le(m->p, 4);
      m->p += 4;
      if (op == 'T' && len > 0x7FFFFFFFu) return bad(m, "negative string length");
      st = push_string(m, len);
      break;
    }
    case 0x8c: case 'U': case 'C': /* SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES */
      if (!need(m, 1)) return bad(m, "truncated string length");
      m->p += 1;
      st = push_string(m, m->p[-1]);
      break;
    case 0x8d: case 0x8e: { /* BINUNICODE8, BINBYTES8 */
      uint64_t len;
      if (!need(m, 8)) return bad(m, "truncated string length");
      len = le(m->p, 8);
      m->p += 8;
      st = push_string(m, len);
      break;
    }
    case 'c': st = read_global(m); break;
    case 0x93: /* STACK_GLOBAL */
      w = pop(m);
      v = pop(m);
      if (!v || !w || v->kind != V_STR || w->kind != V_STR) return bad(m, "STACK_GLOBAL without two strings");
      if (v->slen >= 128 || w->slen >= 128) return bad(m, "STACK_GLOBAL name too long");
      st = resolve_global(m, v->s, v->slen, w->s, w->slen);
      break;
    case 'R': st = do_reduce(m); break;
    case 'Q': st = do_persid(m); break;
    case 'b': /* BUILD: only the ignorable _metadata attribute of a state dict */
      v = pop(m);
      w = top(m);
      if (!v || !w) return bad(m, "BUILD with too few items on the stack");
      if (w->kind != V_DICT && w->kind != V_TENSOR)
        return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                        "checkpoint pickle sets state on an object that is not a dict or tensor (at byte %ld)", at(m));
      break;
    default: {
      const char *what = refused_opcode(op);
      if (what)
        return var_fail(m->ctx, VAR_ERR_UNSUPPORTED,
                        "checkpoint pickle uses opcode %s, 0x%02x at byte %ld, which a state dict does not need; "
                        "refusing it (nothing in a checkpoint is ever executed)", what, op, at(m) - 1);
      return var_fail(m->ctx, VAR_ERR_UNSUPPORTED, "checkpoint pickle has an unknown opcode 0x%02x at byte %ld", op,
                      at(m) - 1);
    }
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
  case VAR_DTYPE_U8: case VAR_DTYPE_I8: return 1;
  }
  return 0;
}

static void machine_free(machine *m)
{
  chunk *c = m->chunks;
  while (c) {
    chunk *next = c->next;
    size_t i;
    for (i = 0; i < c->used; i++) {
      if (c->v[i].kind == V_STR) free(c->v[i].s);
      free(c->v[i].items);
      free(c->v[i].dims);
    }
    free(c);
    c = next;
  }
  free(m->stack);
  free(m->memo);
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

/* What a value is, with its article, for messages. */
static const char *kind_name(vkind k)
{
  switch (k) {
  case V_NONE: return "None";
  case V_BOOL: return "a bool";
  case V_INT: return "an int";
  case V_FLOAT: return "a float";
  case V_STR: return "a string";
  case V_TUPLE: return "a tuple";
  case V_LIST: return "a list";
  case V_DICT: return "a dict";
  case V_GLOBAL: return "a class";
  case V_STORAGE: return "a storage";
  case V_TENSOR: return "a tensor";
  default: return "?";
  }
}

/* Copies the name -> tensor pairs of the final dict out of the machine. */
static var_status export_dict(var_ctx *ctx, const value *dict, var_pkl_state_dict *out)
{
  size_t i;
  char buf[256];
  if (dict->n / 2 > (size_t)INT32_MAX) return var_fail(ctx, VAR_ERR_UNSUPPORTED, "state dict has too many entries");
  out->tensors = calloc(dict->n / 2 + 1, sizeof *out->tensors);
  if (!out->tensors)
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes for the tensor list",
                    (dict->n / 2 + 1) * sizeof *out->tensors);
  for (i = 0; i + 1 < dict->n; i += 2) {
    const value *k = dict->items[i], *t = dict->items[i + 1];
    var_pkl_tensor *o = &out->tensors[out->n];
    if (k->kind != V_STR)
      return var_fail(ctx, VAR_ERR_UNSUPPORTED, "state dict has a key that is %s, not a string", kind_name(k->kind));
    if (!clean_str(k)) return var_fail(ctx, VAR_ERR_FORMAT, "state dict has a key with a NUL byte");
    if (t->kind != V_TENSOR)
      return var_fail(ctx, VAR_ERR_UNSUPPORTED,
                      "state dict entry \"%s\" is %s, not a tensor (a training checkpoint with a wrapper dict such "
                      "as {'model': ...}? save model.state_dict() itself)",
                      printable(k->s, buf, sizeof buf), kind_name(t->kind));
    o->name = var_strdup(k->s);
    o->storage_key = var_strdup(t->items[0]->s);
    out->n++;
    if (!o->name || !o->storage_key)
      return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory copying the %zu-byte name \"%s\"", strlen(k->s) + 1,
                      printable(k->s, buf, sizeof buf));
    o->dtype = t->dtype;
    o->storage_numel = t->items[0]->i;
    o->offset = t->i;
    o->ndim = t->ndim;
    memcpy(o->shape, t->dims, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(o->stride, t->dims + t->ndim, sizeof(int64_t) * (size_t)t->ndim);
  }
  return VAR_OK;
}

var_status var_pickle_state_dict(var_ctx *ctx, const uint8_t *data, size_t size, var_pkl_state_dict *out)
{
  machine m;
  value *result = NULL;
  var_status st;
  memset(&m, 0, sizeof m);
  memset(out, 0, sizeof *out);
  m.ctx = ctx;
  m.p = m.start = data;
  m.end = data + size;
  m.mark.kind = V_MARK;
  st = run(&m, &result);
  if (st == VAR_OK && result->kind != V_DICT)
    st = var_fail(ctx, VAR_ERR_UNSUPPORTED, "checkpoint does not hold a state dict (its pickle yields %s)",
                  kind_name(result->kind));
  if (st == VAR_OK) st = export_dict(ctx, result, out);
  if (st != VAR_OK) var_pickle_state_dict_free(out);
  machine_free(&m);
  return st;
}
