/* gimp2-values.c — GIMP 2.10: the last values of each procedure (gimp_set_data,
 * for this GIMP session) and the shared model folder, model and backend. */
#include "plugin.h"
#include "gimp2-front.h"

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

void
var_values_load (VarProcKind kind, VarValues *vals)
{
  VarShared shared;

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
  else
    {
      /* first run in this GIMP session: the folder chosen in an earlier one */
      g_autofree gchar *dir = var_model_dir_recall ();
      g_strlcpy (vals->model_dir, dir, sizeof vals->model_dir);
    }
}

void
var_values_save (VarProcKind kind, const VarValues *vals)
{
  VarShared shared;

  gimp_set_data (var_proc_name (kind), vals, sizeof *vals);
  memset (&shared, 0, sizeof shared);
  g_strlcpy (shared.model_dir, vals->model_dir, sizeof shared.model_dir);
  g_strlcpy (shared.model_name, vals->model_name, sizeof shared.model_name);
  g_strlcpy (shared.backend, vals->backend, sizeof shared.backend);
  gimp_set_data (SHARED_DATA_KEY, &shared, sizeof shared);
  var_model_dir_keep (vals->model_dir);
}
