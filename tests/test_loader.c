/* test_loader.c — checkpoint reading and configuration derivation on the golden
 * checkpoints; scale schedules and the phi-index rule. */
#include "test_support.h"

#include "ckpt.h"
#include "config.h"
#include "var.h"

#include <string.h>

static void test_golden_checkpoints(void)
{
  assert_golden_stage(GOLDEN_DIR("tiny"), "checkpoints", 2);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "checkpoints", 2);
  assert_golden_stage(GOLDEN_DIR("small"), "checkpoints", 2);
}

/* Configuration derived from shapes equals the manifest's constructor values. */
static void check_config(const char *set)
{
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx;
  var_checkpoint *ck;
  var_vqvae_config vc;
  var_tf_config tc;
  const var_json *cfg, *vae, *var, *mult;
  int i;
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  cfg = var_json_get(g.manifest, "config");
  vae = var_json_get(cfg, "vae");
  var = var_json_get(cfg, "var");
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &ck) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_config_derive(ck, &vc) == VAR_OK);
  CU_ASSERT_EQUAL(vc.vocab_size, var_json_get(vae, "vocab_size")->integer);
  CU_ASSERT_EQUAL(vc.z_channels, var_json_get(vae, "z_channels")->integer);
  CU_ASSERT_EQUAL(vc.ch, var_json_get(vae, "ch")->integer);
  CU_ASSERT_EQUAL(vc.n_phi, var_json_get(vae, "share_quant_resi")->integer);
  mult = var_json_get(var_json_get(vae, "ddconfig"), "ch_mult");
  CU_ASSERT_EQUAL(vc.n_levels, mult->n);
  for (i = 0; i < mult->n; i++) CU_ASSERT_EQUAL(vc.ch_mult[i], mult->items[i].integer);
  CU_ASSERT_EQUAL(vc.num_res_blocks, var_json_get(var_json_get(vae, "ddconfig"), "num_res_blocks")->integer);
  var_checkpoint_free(ck);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, golden_checkpoint(&g, "var", path, sizeof path), &ck) == VAR_OK);
  CU_ASSERT_FATAL(var_tf_config_derive(ck, NULL, &tc) == VAR_OK);
  CU_ASSERT_EQUAL(tc.depth, var_json_get(var, "depth")->integer);
  CU_ASSERT_EQUAL(tc.C, var_json_get(var, "embed_dim")->integer);
  CU_ASSERT_EQUAL(tc.heads, var_json_get(var, "num_heads")->integer);
  CU_ASSERT_EQUAL(tc.num_classes, var_json_get(var, "num_classes")->integer);
  CU_ASSERT_EQUAL(tc.shared_aln, var_json_get(var, "shared_aln")->integer);
  CU_ASSERT_EQUAL(tc.schedule.n_scales, g.schedule.n_scales);
  CU_ASSERT(memcmp(tc.schedule.pn, g.schedule.pn, sizeof(int) * (size_t)g.schedule.n_scales) == 0);
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
  golden_close(&g);
}

static void test_derived_configs(void)
{
  check_config(GOLDEN_DIR("tiny"));
  check_config(GOLDEN_DIR("tiny-saln"));
  check_config(GOLDEN_DIR("small"));
}

static void test_phi_tables(void)
{
  /* var-spec §3.5: the ties decided by double rounding. */
  static const int t4[] = { 0, 1, 2, 3 }, t5[] = { 0, 1, 2, 2, 3 }, t6[] = { 0, 0, 1, 2, 3, 3 },
                   t7[] = { 0, 0, 1, 2, 2, 3, 3 }, t8[] = { 0, 0, 1, 1, 2, 2, 3, 3 },
                   t10[] = { 0, 0, 1, 1, 1, 2, 2, 3, 3, 3 };
  static const struct { int S; const int *t; } tables[] = { { 4, t4 }, { 5, t5 }, { 6, t6 }, { 7, t7 }, { 8, t8 }, { 10, t10 } };
  unsigned k;
  int si;
  for (k = 0; k < sizeof tables / sizeof tables[0]; k++)
    for (si = 0; si < tables[k].S; si++) CU_ASSERT_EQUAL(var_phi_index(si, tables[k].S, 4), tables[k].t[si]);
}

static void test_phi_golden(void)
{
  const char *sets[] = { GOLDEN_DIR("tiny"), GOLDEN_DIR("tiny-saln"), GOLDEN_DIR("small") };
  unsigned k;
  for (k = 0; k < 3; k++) {
    golden_set g;
    char err[1024];
    const var_json *phi;
    int si;
    CU_ASSERT_FATAL(golden_open(sets[k], &g, err, sizeof err) == 0);
    phi = var_json_get(var_json_get(g.manifest, "config"), "phi_index_per_scale");
    CU_ASSERT_FATAL(phi != NULL);
    for (si = 0; si < g.schedule.n_scales; si++)
      CU_ASSERT_EQUAL(var_phi_index(si, g.schedule.n_scales, 4), phi->items[si].integer);
    golden_close(&g);
  }
}

static void test_schedules(void)
{
  var_schedule s;
  int n;
  CU_ASSERT_EQUAL(var_schedule_for_image_size(256, &s), VAR_OK);
  CU_ASSERT_EQUAL(var_schedule_tokens(&s), 680);
  CU_ASSERT_EQUAL(var_schedule_for_image_size(512, &s), VAR_OK);
  CU_ASSERT_EQUAL(var_schedule_tokens(&s), 2240);
  CU_ASSERT_EQUAL(var_schedule_derive(10, 680, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[9], 16);
  CU_ASSERT_EQUAL(var_schedule_derive(10, 2240, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[9], 32);
  CU_ASSERT_EQUAL(var_schedule_derive(7, 155, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[6], 8);
  CU_ASSERT_EQUAL(s.pn[5], 6);
  CU_ASSERT_EQUAL(var_schedule_derive(3, 7, &s, &n), VAR_ERR_NOT_FOUND);   /* 1+4+? : no square 2 */
  CU_ASSERT_EQUAL(var_schedule_parse("1,2,3,4", &s), VAR_OK);
  CU_ASSERT_EQUAL(s.n_scales, 4);
  CU_ASSERT_EQUAL(var_schedule_parse("1_2_3_4_5_7_9_12_16_21_27_36_48_64", &s), VAR_OK);
  CU_ASSERT_EQUAL(s.n_scales, 14);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,3,2", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,,2", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("", &s), VAR_OK);
}

static void test_missing_file(void)
{
  var_ctx *ctx;
  var_checkpoint *ck = (var_checkpoint *)1;
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, VAR_TEST_DATA "/does-not-exist.pth", &ck), VAR_ERR_IO);
  CU_ASSERT_PTR_NULL(ck);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "does-not-exist.pth") != NULL);
  var_ctx_free(ctx);
}

int main(void)
{
  static const test_case tests[] = {
    { "golden checkpoints: names, order, shapes, dtypes", test_golden_checkpoints },
    { "configuration derived from shapes = manifest", test_derived_configs },
    { "phi index tables of var-spec 3.5", test_phi_tables },
    { "phi index = manifest phi_index_per_scale", test_phi_golden },
    { "scale schedules: released, derived, parsed", test_schedules },
    { "missing file gives VAR_ERR_IO with the path", test_missing_file },
    { NULL, NULL },
  };
  return run_suite("loader", tests);
}
