/* golden.h — reading a golden set (manifest.json + .npy arrays made by the
 * original PyTorch implementation) and comparing our outputs with it.  Used by
 * var-golden-check and by the CUnit suites, so both check the same things. */
#ifndef VAR_GOLDEN_H
#define VAR_GOLDEN_H

#include "io/json.h"
#include "npy.h"
#include "var.h"

#include <stdio.h>

typedef struct golden_set {
  char dir[1024];
  char name[64];
  var_json *manifest;
  var_schedule schedule;
  int L, image_size, latent;  /* tokens, image side, latent side */
  double logit_tie;           /* tolerances.logit_near_tie_threshold */
  double vq_tie;              /* tolerances.vq_near_tie_threshold */
} golden_set;

typedef enum { GOLDEN_PASS, GOLDEN_FAIL, GOLDEN_NOT_IMPLEMENTED } golden_outcome;

typedef struct golden_report {
  int passed, failed, not_implemented;
  FILE *out;                  /* one line per array; NULL = quiet */
} golden_report;

/* 0 on success, -1 with a message in err. */
int golden_open(const char *dir, golden_set *g, char *err, size_t err_size);
void golden_close(golden_set *g);
/* Full path of a file of the set. */
const char *golden_path(const golden_set *g, const char *file, char *buf, size_t n);
/* Loads array `name` (manifest.arrays[name].file); 0 on success. */
int golden_load(const golden_set *g, const char *name, npy_array *out, char *err, size_t err_size);
/* manifest.arrays[name].tol.atol, or -1 when the array has none. */
double golden_atol(const golden_set *g, const char *name);
/* manifest.cases[name], or NULL. */
const var_json *golden_case(const golden_set *g, const char *name);
/* Path of manifest.checkpoints.{vae,var}.file. */
const char *golden_checkpoint(const golden_set *g, const char *which, char *buf, size_t n);
int golden_has_array(const golden_set *g, const char *name);

/* Records one line "PASS|FAIL|TODO  <set>/<array>  <detail>". */
void golden_record(golden_report *r, const golden_set *g, const char *array, golden_outcome o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Compares n floats with golden array `name` at its manifest atol (times
 * `slack`, 1 = as published) and records the outcome with the max error. */
golden_outcome golden_check_f32(golden_report *r, const golden_set *g, const char *name, const float *mine,
                                int64_t n, double slack);
/* Like golden_check_f32 for a slice [offset, offset+n) of the golden array. */
golden_outcome golden_check_f32_slice(golden_report *r, const golden_set *g, const char *name, const char *label,
                                      const float *mine, int64_t offset, int64_t n, double slack);

/* A stage runs everything it can check in a set and records one line per array. */
typedef struct golden_stage {
  const char *name;           /* "checkpoints", "vae", "tf", "gen", "filter", "edit" */
  const char *arrays;         /* which arrays it covers, for the help text */
  void (*run)(const golden_set *g, golden_report *r);
} golden_stage;

extern const golden_stage golden_stages[];
extern const int golden_n_stages;

/* Runs the stages whose name is in `only` (comma list) or all when NULL. */
void golden_run(const golden_set *g, const char *only, golden_report *r);

/* Stage implementations (stage_*.c). */
void golden_stage_checkpoints(const golden_set *g, golden_report *r);
void golden_stage_vae(const golden_set *g, golden_report *r);
void golden_stage_tf(const golden_set *g, golden_report *r);
void golden_stage_gen(const golden_set *g, golden_report *r);
void golden_stage_filter(const golden_set *g, golden_report *r);
void golden_stage_edit(const golden_set *g, golden_report *r);

/* Marks every manifest array whose name starts with `prefix` as not implemented. */
void golden_todo_prefix(golden_report *r, const golden_set *g, const char *prefix, const char *why);

#endif
