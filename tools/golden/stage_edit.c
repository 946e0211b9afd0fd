/* stage_edit.c — golden checks of the edit_* arrays: masked zero-shot editing
 * (golden.md §4.4), i.e. generation where the code vectors of kept positions are
 * replaced by the input image's after sampling.  The driver is shared with the
 * gen_* checks (stage_gen.c). */
#include "golden.h"
#include "stage_tf.h"

#include <string.h>

void golden_stage_edit(const golden_set *g, golden_report *r)
{
  const var_json *cases = var_json_get(g->manifest, "cases");
  int i;
  for (i = 0; cases && i < cases->n; i++)
    if (!strncmp(cases->keys[i], "edit_", 5)) golden_generation_case(g, r, cases->keys[i], 1);
}
