/* test_vqvae.c — the multi-scale VQ-VAE on the CPU backend: golden parity of
 * every vae_* array (tools/golden/stage_vae.c), the quantiser's teacher-forcing
 * inputs, the VAE ops against straightforward reference loops, and bad inputs. */
#include "test_support.h"

#include "vqvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_golden_tiny(void) { assert_golden_stage(GOLDEN_DIR("tiny"), "vae", 30); }
static void test_golden_tiny_saln(void) { assert_golden_stage(GOLDEN_DIR("tiny-saln"), "vae", 30); }
static void test_golden_small(void) { assert_golden_stage(GOLDEN_DIR("small"), "vae", 40); }

/* var_quant_teacher_inputs (idxBl_to_var_input) from the golden tokens equals
 * tf_x_wo_first_l; this covers var_quant_add_scale and var_quant_next_input. */
static void check_teacher_inputs(const char *dir)
{
  golden_set g;
  golden_report r = { 0, 0, 0, stdout };
  npy_array tok;
  char err[1024], path[1200];
  var_ctx *ctx = NULL;
  var_vqvae *vae = NULL;
  int32_t *t = NULL;
  float *x = NULL;
  int64_t i;
  int B, rows;
  CU_ASSERT_FATAL(golden_open(dir, &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_tokens", &tok, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &vae) == VAR_OK);
  B = (int)tok.shape[0];
  rows = g.L - g.schedule.pn[0] * g.schedule.pn[0];
  t = malloc(sizeof *t * (size_t)tok.numel);
  x = malloc(sizeof *x * (size_t)B * rows * vae->cfg.z_channels);
  CU_ASSERT_FATAL(t && x);
  for (i = 0; i < tok.numel; i++) t[i] = (int32_t)tok.i[i];
  CU_ASSERT_EQUAL(var_quant_teacher_inputs(vae, &g.schedule, B, t, x), VAR_OK);
  CU_ASSERT_EQUAL(golden_check_f32(&r, &g, "tf_x_wo_first_l", x, (int64_t)B * rows * vae->cfg.z_channels, 1.0),
                  GOLDEN_PASS);
  free(t);
  free(x);
  npy_free(&tok);
  var_vqvae_free(vae);
  var_ctx_free(ctx);
  golden_close(&g);
}

static void test_teacher_inputs(void)
{
  check_teacher_inputs(GOLDEN_DIR("tiny"));
  check_teacher_inputs(GOLDEN_DIR("tiny-saln"));
  check_teacher_inputs(GOLDEN_DIR("small"));
}

int main(void)
{
  static const test_case tests[] = {
    { "golden tiny", test_golden_tiny },
    { "golden tiny-saln", test_golden_tiny_saln },
    { "golden small", test_golden_small },
    { "teacher-forcing inputs", test_teacher_inputs },
    { NULL, NULL },
  };
  return run_suite("vqvae", tests);
}
