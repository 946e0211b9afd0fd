/* values.c — defaults and remembered settings of the three procedures. */
#include "plugin.h"

#include <string.h>

/* Key for what the three procedures share (the model folder, model, backend):
 * choosing a folder in the in-paint dialog also sets it for generate. */
#define SHARED_DATA_KEY "plug-in-var-shared"

typedef struct
{
  gchar model_dir[4096];
  gchar model_name[64];
  gchar backend[128];
} VarShared;

const gchar *
var_proc_name (VarProcKind kind)
{
  switch (kind)
    {
    case VAR_PROC_INPAINT:  return PROC_INPAINT;
    case VAR_PROC_OUTPAINT: return PROC_OUTPAINT;
    case VAR_PROC_GENERATE: return PROC_GENERATE;
    }
  return PROC_INPAINT;
}

void
var_values_default (VarValues *vals)
{
  var_edit_params p;

  memset (vals, 0, sizeof *vals);
  var_edit_params_default (&p);
  vals->class_label = -1;
  vals->cfg = p.sample.cfg;
  vals->top_k = p.sample.top_k;
  vals->top_p = p.sample.top_p;
  vals->seed = 0;
  vals->random_seed = FALSE;
  vals->variants = 1;
  vals->more_smooth = FALSE;
  vals->keep_masked = p.fill == VAR_FILL_ORIGINAL;
  vals->strength = p.strength;
  vals->seamless = p.seamless != 0;
}

void
var_values_load (VarProcKind kind, VarValues *vals)
{
  VarShared shared;
  gchar    *dir;

  var_values_default (vals);
  if (gimp_get_data_size (var_proc_name (kind)) == sizeof *vals)
    gimp_get_data (var_proc_name (kind), vals);
  if (gimp_get_data_size (SHARED_DATA_KEY) == sizeof shared)
    {
      gimp_get_data (SHARED_DATA_KEY, &shared);
      g_strlcpy (vals->model_dir, shared.model_dir, sizeof vals->model_dir);
      g_strlcpy (vals->model_name, shared.model_name, sizeof vals->model_name);
      g_strlcpy (vals->backend, shared.backend, sizeof vals->backend);
    }
  else if ((dir = gimp_gimprc_query (GIMPRC_MODEL_DIR)) != NULL)
    {
      /* first run in this GIMP session: the folder chosen in an earlier one */
      g_strlcpy (vals->model_dir, dir, sizeof vals->model_dir);
      g_free (dir);
    }
}

void
var_values_save (VarProcKind kind, const VarValues *vals)
{
  VarShared shared;
  gchar    *old;

  gimp_set_data (var_proc_name (kind), vals, sizeof *vals);
  memset (&shared, 0, sizeof shared);
  g_strlcpy (shared.model_dir, vals->model_dir, sizeof shared.model_dir);
  g_strlcpy (shared.model_name, vals->model_name, sizeof shared.model_name);
  g_strlcpy (shared.backend, vals->backend, sizeof shared.backend);
  gimp_set_data (SHARED_DATA_KEY, &shared, sizeof shared);

  old = gimp_gimprc_query (GIMPRC_MODEL_DIR);
  if (vals->model_dir[0] && g_strcmp0 (old, vals->model_dir) != 0)
    gimp_gimprc_set (GIMPRC_MODEL_DIR, vals->model_dir);
  g_free (old);
}

void
var_values_to_params (const VarValues *vals, var_edit_params *params)
{
  var_edit_params_default (params);
  params->sample.seed = vals->seed;
  params->sample.cfg = (float) vals->cfg;
  params->sample.top_k = vals->top_k;
  params->sample.top_p = (float) vals->top_p;
  params->sample.more_smooth = vals->more_smooth ? 1 : 0;
  params->class_label = vals->class_label;
  params->variants = vals->variants;
  params->fill = vals->keep_masked ? VAR_FILL_ORIGINAL : VAR_FILL_SMOOTH;
  params->strength = (float) vals->strength;
  params->seamless = vals->seamless ? 1 : 0;
}
