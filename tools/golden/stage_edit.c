/* stage_edit.c — golden checks of the edit_* arrays. */
#include "golden.h"

/* TODO: the stage is not implemented yet. */
void golden_stage_edit(const golden_set *g, golden_report *r)
{
  golden_todo_prefix(r, g, "edit_", "stage not implemented yet");
}
