/* fuzz_checkpoint.c — libFuzzer harness for the checkpoint reader.
 *
 * Each input goes, as it is, through var_checkpoint_open_memory (zip + pickle,
 * or safetensors + JSON), and, when it looks like one, straight into the pickle
 * or JSON reader too, so that mutations of a bare data.pkl or header are not
 * wasted on the container.  A checkpoint that opens is then used the way the
 * models use it: every tensor's bytes are touched (ASan checks the bounds the
 * loader promised), half types are converted, and both configurations are
 * derived.  The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 * which skips data.pkl's CRC check so that mutated pickles are reachable.
 *
 * Invariants checked (abort = finding): every failure leaves a message, and
 * every status is one of var_status. */
#include "io/ckpt.h"
#include "io/config.h"
#include "io/json.h"
#include "io/pickle.h"

#include <stdlib.h>
#include <string.h>

static var_ctx *ctx;

static void check_status(var_status st)
{
  if (st < VAR_OK || st >= VAR_ERR_COUNT_) abort();
  if (st != VAR_OK && !var_ctx_last_error(ctx)[0]) abort();   /* failed without saying why */
}

static void use_checkpoint(var_checkpoint *ck)
{
  volatile uint8_t sink = 0;
  var_vqvae_config vc;
  var_tf_config tc;
  int i, d, n = var_checkpoint_n_tensors(ck);
  for (i = 0; i < n; i++) {
    const var_ckpt_tensor *t = &ck->tensors[i];
    var_tensor_info info;
    int64_t dims[VAR_MAX_DIMS];
    const float *f = NULL;
    const var_ckpt_tensor *got = NULL;
    if (var_checkpoint_tensor(ck, i, &info) != VAR_OK) abort();
    if (var_ckpt_find(ck, info.name) != t) abort();    /* names are unique and indexed */
    if (t->nbytes) sink ^= ((const uint8_t *)t->data)[0] ^ ((const uint8_t *)t->data)[t->nbytes - 1];
    for (d = 0; d < t->ndim; d++) dims[d] = -1;
    var_clear_error(ctx);
    check_status(var_ckpt_f32(ck, t->name, t->ndim, dims, &f, &got));
    if (f && t->numel) sink ^= (uint8_t)((const uint8_t *)f)[4 * (size_t)t->numel - 1];
  }
  var_clear_error(ctx);
  check_status(var_vqvae_config_derive(ck, &vc));
  var_clear_error(ctx);
  check_status(var_tf_config_derive(ck, NULL, &tc));
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  var_checkpoint *ck = NULL;
  var_status st;
  if (!ctx) {
    var_ctx_params p;
    var_ctx_params_default(&p);
    p.n_threads = 1;
    if (var_ctx_new(&p, &ctx) != VAR_OK) abort();
  }
  st = var_checkpoint_open_memory(ctx, data, size, "fuzz-input", &ck);
  check_status(st);
  if ((st == VAR_OK) != (ck != NULL)) abort();
  if (ck) {
    use_checkpoint(ck);
    var_checkpoint_free(ck);
  }
  if (size && data[0] == 0x80) {   /* a bare pickle (PROTO first) */
    var_pkl_state_dict sd;
    var_clear_error(ctx);
    check_status(var_pickle_state_dict(ctx, data, size, &sd));
    var_pickle_state_dict_free(&sd);
  }
  if (size && (data[0] == '{' || data[0] == '[')) {   /* a bare JSON text */
    var_json *j = NULL;
    var_clear_error(ctx);
    check_status(var_json_parse(ctx, (const char *)data, size, &j));
    var_json_free(j);
  }
  return 0;
}
