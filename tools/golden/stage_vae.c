/* stage_vae.c — golden checks of the vae_* arrays. */
#include "golden.h"

/* TODO: the stage is not implemented yet. */
void golden_stage_vae(const golden_set *g, golden_report *r)
{
  golden_todo_prefix(r, g, "vae_", "stage not implemented yet");
}
