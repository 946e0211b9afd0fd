/* test_support.h — shared by the CUnit suites: data paths, a main() that sets
 * the exit code (CUnit does not), and golden-stage assertions. */
#ifndef VAR_TEST_SUPPORT_H
#define VAR_TEST_SUPPORT_H

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "golden.h"
#include "win_compat.h"

#ifndef VAR_TEST_DATA
#error "VAR_TEST_DATA must point at tests/data"
#endif

#define GOLDEN_DIR(set) VAR_TEST_DATA "/golden/" set

/* Runs the named golden stages on a set and asserts: no failure, nothing left
 * unimplemented, and at least min_pass arrays compared. */
static inline void assert_golden_stage(const char *set, const char *stages, int min_pass)
{
  golden_set g;
  golden_report r = { 0, 0, 0, stdout };
  char err[1024];
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  golden_run(&g, stages, &r);
  golden_close(&g);
  CU_ASSERT_EQUAL(r.failed, 0);
  CU_ASSERT_EQUAL(r.not_implemented, 0);
  CU_ASSERT(r.passed >= min_pass);
}

/* A whole file, malloc'ed, its size in *n; NULL (and *n = 0) if unreadable. */
static inline uint8_t *slurp(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  long size;
  *n = 0;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
      *n = (size_t)size;
    } else {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  return buf;
}

typedef struct test_case {
  const char *name;
  void (*fn)(void);
} test_case;

/* main() for a suite binary: returns 1 if any test or assertion failed. */
static inline int run_suite(const char *suite, const test_case *tests)
{
  CU_pSuite s;
  unsigned failed;
  int i;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  s = CU_add_suite(suite, NULL, NULL);
  for (i = 0; tests[i].name; i++) CU_add_test(s, tests[i].name, tests[i].fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}

#endif
