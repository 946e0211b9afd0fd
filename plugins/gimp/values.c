/* values.c — the procedures' defaults, the checks the plug-in makes itself,
 * VarValues -> libvar's parameters, and the model folder kept in the gimprc
 * (the same for GIMP 2.10 and 3). */
#include "plugin.h"

#include <string.h>

G_DEFINE_QUARK (libvar-gimp-error-quark, var_gimp_error)

/* What GIMP shows of each procedure, in VarProcKind order (both front ends). */
static const VarProcInfo proc_info[] = {
  { PROC_INPAINT, N_("VAR _In-paint..."), N_("Regenerate the selected area with VAR"),
    "In-paints the selection of the layer (GIMP 3: of each selected layer) with a VAR model (libvar). The "
    "selection is the mask: feathered edges blend, pixels outside it stay bit-identical. Each variant becomes a "
    "new layer above its layer, named with its parameters, in one undo step.",
    N_("VAR In-paint"), N_("VAR in-painting") },
  { PROC_OUTPAINT, N_("VAR _Out-paint..."), N_("Extend the image beyond its layer with VAR"),
    "Out-paints with a VAR model: fills the canvas outside the layer (after Image > Canvas Size) and the "
    "layer's transparent pixels, or, with margins, enlarges the canvas by them first. Each variant becomes a new "
    "canvas-sized layer, in one undo step.",
    N_("VAR Out-paint"), N_("VAR out-painting") },
  { PROC_GENERATE, N_("VAR _Generate..."), N_("Generate an image of a class with VAR"),
    "Generates a class-conditional image (ImageNet class) at the model's size with a VAR model, as a new layer "
    "centred on the canvas (one per variant), in one undo step.",
    N_("VAR Generate"), N_("VAR generating") },
};

const VarProcInfo *
var_proc_info (VarProcKind kind)
{
  return &proc_info[kind >= VAR_PROC_INPAINT && kind <= VAR_PROC_GENERATE ? kind : VAR_PROC_INPAINT];
}

const gchar *
var_proc_name (VarProcKind kind)
{
  return var_proc_info (kind)->name;
}

VarProcKind
var_proc_kind (const gchar *name)
{
  gint k;

  for (k = VAR_PROC_INPAINT; k <= VAR_PROC_GENERATE; k++)
    if (g_strcmp0 (name, proc_info[k].name) == 0)
      return (VarProcKind) k;
  return VAR_PROC_INPAINT;
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

gboolean
var_values_check (VarProcKind kind, const VarValues *vals, GError **error)
{
  gint i;

  if (vals->variants < 1 || vals->variants > VAR_MAX_VARIANTS)
    {
      g_set_error (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CALLING, _("%s: variants must be 1-%d (got %d)."),
                   var_proc_name (kind), VAR_MAX_VARIANTS, vals->variants);
      return FALSE;
    }
  if (kind == VAR_PROC_OUTPAINT)
    for (i = 0; i < 4; i++)
      if (vals->margin[i] < 0)
        {
          g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CALLING,
                               _("Out-paint margins must be 0 or more pixels."));
          return FALSE;
        }
  return TRUE;
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

gchar *
var_model_dir_recall (void)
{
  gchar *dir = gimp_gimprc_query (GIMPRC_MODEL_DIR);

  return dir ? dir : g_strdup ("");
}

void
var_model_dir_keep (const gchar *dir)
{
  g_autofree gchar *old = gimp_gimprc_query (GIMPRC_MODEL_DIR);

  if (dir && *dir && g_strcmp0 (old, dir) != 0)
    gimp_gimprc_set (GIMPRC_MODEL_DIR, dir);
}
