/* stage_filter.c — golden checks of the filter_* arrays. */
#include "golden.h"

/* TODO: the stage is not implemented yet. */
void golden_stage_filter(const golden_set *g, golden_report *r)
{
  golden_todo_prefix(r, g, "filter_", "stage not implemented yet");
}
