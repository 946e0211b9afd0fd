/* stage_tf.c — golden checks of the tf_* arrays. */
#include "golden.h"

/* TODO: the stage is not implemented yet. */
void golden_stage_tf(const golden_set *g, golden_report *r)
{
  golden_todo_prefix(r, g, "tf_", "stage not implemented yet");
}
