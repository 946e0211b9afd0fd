/* stage_gen.c — golden checks of the gen_* arrays. */
#include "golden.h"

/* TODO: the stage is not implemented yet. */
void golden_stage_gen(const golden_set *g, golden_report *r)
{
  golden_todo_prefix(r, g, "gen_", "stage not implemented yet");
}
