/* test_demo.c — the trained demo model (models/demo) against references made by
 * the training code's own PyTorch implementation (tools/train/export_demo.py):
 * the same golden stages as the random-weight sets, on weights that learned
 * something, so trained activations (larger, more structured) are covered too. */
#include "test_support.h"

#define DEMO_DIR VAR_TEST_DATA "/demo"

static void test_demo_checkpoints(void) { assert_golden_stage(DEMO_DIR, "checkpoints", 2); }
static void test_demo_vae(void) { assert_golden_stage(DEMO_DIR, "vae", 9); }
static void test_demo_tf(void) { assert_golden_stage(DEMO_DIR, "tf", 7); }

int main(void)
{
  static const test_case tests[] = {
    { "demo checkpoints: tensor list and hashes", test_demo_checkpoints },
    { "demo VQ-VAE: encode, quantise, decode vs PyTorch", test_demo_vae },
    { "demo transformer: teacher-forced forward vs PyTorch", test_demo_tf },
    { NULL, NULL },
  };
  return run_suite("demo", tests);
}
