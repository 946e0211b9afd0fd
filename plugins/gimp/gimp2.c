/*
 * gimp2.c — the GIMP 2.10 front end: registers plug-in-var-inpaint,
 * plug-in-var-outpaint and plug-in-var-generate under <Image>/Filters/Generate
 * and dispatches their runs (interactive, with last values, non-interactive).
 *
 * Every procedure returns its first new layer and the number of new layers
 * (the other variants lie directly below the first), so that scripts can save
 * or compare them.  On failure the second
 * return value is the (translated) reason, which GIMP shows or passes on to
 * the calling script.
 */
#include "api.h"
#include "gimp2-front.h"

#include <libgimp/gimpui.h>
#include <locale.h>
#include <string.h>

static void query (void);
static void run   (const gchar *name, gint nparams, const GimpParam *param,
                   gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN ()

/* The arguments all three procedures take, in this order. */
#define N_COMMON_ARGS 13
#define COMMON_ARGS                                                                                  \
  { GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "       \
                                "RUN-WITH-LAST-VALS (2) }" },                                         \
  { GIMP_PDB_IMAGE, "image", "Input image" },                                                        \
  { GIMP_PDB_DRAWABLE, "drawable", "The layer to work on (its pixels are never changed)" },          \
  { GIMP_PDB_STRING, "model-dir", "Folder holding vae_*.pth and var_d*.pth (\"\" = $VAR_MODEL_DIR, " \
                                  "else ~/.local/share/libvar/models)" },                            \
  { GIMP_PDB_STRING, "model", "Transformer file stem, e.g. \"var_d16\" (\"\" = the smallest present)" }, \
  { GIMP_PDB_STRING, "backend", "\"\" ($VAR_BACKEND or cpu), \"cpu\", \"opencl\", \"opencl:N\"" },     \
  { GIMP_PDB_INT32, "class", "ImageNet class index (0-999), -1 = unconditional" },                   \
  { GIMP_PDB_FLOAT, "cfg", "Classifier-free guidance (default 4)" },                                 \
  { GIMP_PDB_INT32, "top-k", "Sample from the k most likely tokens, 0 = off (default 900)" },        \
  { GIMP_PDB_FLOAT, "top-p", "Nucleus sampling threshold, 0 = off (default 0.95)" },                 \
  { GIMP_PDB_INT32, "seed", "Random seed, variant i uses seed + i; -1 = a random seed" },            \
  { GIMP_PDB_INT32, "variants", "Number of results, one new layer each (1-64)" },                    \
  { GIMP_PDB_INT32, "more-smooth", "Gumbel-softmax smoothing (0 or 1)" }

/* In- and out-painting only, after the common ones (and the out-paint margins). */
#define N_EDIT_ARGS 3
#define EDIT_ARGS                                                                                    \
  { GIMP_PDB_FLOAT, "strength", "Share of the scales regenerated, finest first: 1 = all (the original " \
                                "VAR); lower keeps the coarse layout of the (filled) area" },         \
  { GIMP_PDB_INT32, "keep-masked", "1 = the model sees what is under the selection (out-paint: the "  \
                                   "mean colour), as the original VAR; 0 = a smooth fill (default)" }, \
  { GIMP_PDB_INT32, "seamless", "1 = match colours at the edge (seamless blend, default); 0 = paste " \
                                "as decoded" }

static const GimpParamDef common_args[] = { COMMON_ARGS };

static const GimpParamDef inpaint_args[] = { COMMON_ARGS, EDIT_ARGS };

static const GimpParamDef outpaint_args[] = {
  COMMON_ARGS,
  { GIMP_PDB_INT32, "left", "Pixels to add on the left (all four 0 = fill the transparent areas)" },
  { GIMP_PDB_INT32, "top", "Pixels to add at the top" },
  { GIMP_PDB_INT32, "right", "Pixels to add on the right" },
  { GIMP_PDB_INT32, "bottom", "Pixels to add at the bottom" },
  EDIT_ARGS
};

/* No array here: GIMP 2.10 cannot pass an error message back (a string in the
 * first return value's place) from a procedure that declares an array. */
static const GimpParamDef return_vals_def[] = {
  { GIMP_PDB_LAYER, "layer", "The first new layer (the first variant; the others are directly below it)" },
  { GIMP_PDB_INT32, "num-layers", "Number of new layers (= variants)" },
};

static const gchar *
locale_dir (void)
{
  /* An uninstalled build (the tests) points this at its own catalogues. */
  const gchar *dir = g_getenv ("LIBVAR_GIMP_LOCALEDIR");
  return dir && *dir ? dir : LOCALEDIR;
}

static void
init_i18n (void)
{
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

/* GIMP 2.10 translates the menu label and blurb itself, through the domain registered in query(). */
static void
install (VarProcKind kind, const GimpParamDef *args, gint n_args)
{
  const VarProcInfo *info = var_proc_info (kind);

  gimp_install_procedure (info->name, info->blurb, info->help, "libvar authors", "libvar authors", "2026",
                          info->menu_label, "RGB*, GRAY*", GIMP_PLUGIN, n_args, G_N_ELEMENTS (return_vals_def),
                          args, return_vals_def);
  gimp_plugin_menu_register (info->name, "<Image>/Filters/Generate");
}

static void
query (void)
{
  init_i18n ();
  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir ());

  install (VAR_PROC_INPAINT, inpaint_args, G_N_ELEMENTS (inpaint_args));
  install (VAR_PROC_OUTPAINT, outpaint_args, G_N_ELEMENTS (outpaint_args));
  install (VAR_PROC_GENERATE, common_args, G_N_ELEMENTS (common_args));
}

/* Copies the PDB arguments after (run-mode, image, drawable) into vals. */
static gboolean
values_from_params (VarProcKind kind, gint nparams, const GimpParam *param, VarValues *vals)
{
  gint n_margins = kind == VAR_PROC_OUTPAINT ? 4 : 0;
  gint expected = N_COMMON_ARGS + n_margins + (kind == VAR_PROC_GENERATE ? 0 : N_EDIT_ARGS);
  const GimpParam *edit = param + N_COMMON_ARGS + n_margins;
  gint i;

  if (nparams != expected)
    return FALSE;
  var_values_default (vals);
  g_strlcpy (vals->model_dir, param[3].data.d_string ? param[3].data.d_string : "", sizeof vals->model_dir);
  g_strlcpy (vals->model_name, param[4].data.d_string ? param[4].data.d_string : "", sizeof vals->model_name);
  g_strlcpy (vals->backend, param[5].data.d_string ? param[5].data.d_string : "", sizeof vals->backend);
  vals->class_label = param[6].data.d_int32;
  vals->cfg = param[7].data.d_float;
  vals->top_k = param[8].data.d_int32;
  vals->top_p = param[9].data.d_float;
  vals->random_seed = param[10].data.d_int32 < 0;
  vals->seed = vals->random_seed ? 0 : (guint32) param[10].data.d_int32;
  vals->variants = param[11].data.d_int32;
  vals->more_smooth = param[12].data.d_int32 != 0;
  for (i = 0; i < n_margins; i++)
    vals->margin[i] = param[N_COMMON_ARGS + i].data.d_int32;
  if (kind != VAR_PROC_GENERATE)
    {
      vals->strength = edit[0].data.d_float;
      vals->keep_masked = edit[1].data.d_int32 != 0;
      vals->seamless = edit[2].data.d_int32 != 0;
    }
  return TRUE;
}

static void
run (const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals, GimpParam **return_vals)
{
  static GimpParam  values[3];
  static gchar     *message;
  g_autoptr (GArray) new_layers = NULL;
  g_autoptr (GError) error = NULL;
  GimpRunMode       run_mode;
  VarProcKind       kind;
  VarValues         vals;
  gint32            image, drawable;
  gboolean          ok = FALSE;

  init_i18n ();
  gegl_init (NULL, NULL);

  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;

  kind = var_proc_kind (name);

  if (nparams < 3)
    {
      values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
      return;
    }
  run_mode = param[0].data.d_int32;
  image = param[1].data.d_image;
  drawable = param[2].data.d_drawable;

  switch (run_mode)
    {
    case GIMP_RUN_INTERACTIVE:
      var_values_load (kind, &vals);
      gimp_ui_init (PLUG_IN_BINARY, FALSE);
      if (! var_dialog_run (kind, &vals))
        {
          values[0].data.d_status = GIMP_PDB_CANCEL;
          return;
        }
      var_values_save (kind, &vals);
      break;
    case GIMP_RUN_WITH_LAST_VALS:
      var_values_load (kind, &vals);
      break;
    case GIMP_RUN_NONINTERACTIVE:
    default:
      if (! values_from_params (kind, nparams, param, &vals))
        g_set_error (&error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CALLING,
                     _("%s: wrong number of arguments or variants outside 1-%d."), name, VAR_MAX_VARIANTS);
      break;
    }

  if (! error)
    {
      gboolean interactive = run_mode == GIMP_RUN_INTERACTIVE;

      if (vals.random_seed)
        vals.seed = (guint32) g_random_int_range (0, G_MAXINT32);
      new_layers = g_array_new (FALSE, FALSE, sizeof (ApiLayer));
      switch (kind)
        {
        case VAR_PROC_INPAINT:
          ok = var_proc_inpaint (image, &drawable, 1, &vals, interactive, new_layers, &error);
          break;
        case VAR_PROC_OUTPAINT:
          ok = var_proc_outpaint (image, drawable, &vals, interactive, new_layers, &error);
          break;
        case VAR_PROC_GENERATE:
          ok = var_proc_generate (image, drawable, &vals, interactive, new_layers, &error);
          break;
        }
      if (ok && run_mode != GIMP_RUN_NONINTERACTIVE)
        gimp_displays_flush ();
    }

  if (ok)
    {
      *nreturn_vals = 3;
      values[1].type = GIMP_PDB_LAYER;
      values[1].data.d_layer = new_layers->len ? g_array_index (new_layers, gint32, 0) : -1;
      values[2].type = GIMP_PDB_INT32;
      values[2].data.d_int32 = (gint32) new_layers->len;
      return;
    }
  if (g_error_matches (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CANCELLED))
    {
      values[0].data.d_status = GIMP_PDB_CANCEL;
      return;
    }
  values[0].data.d_status = error && error->code == VAR_GIMP_ERROR_CALLING ? GIMP_PDB_CALLING_ERROR
                                                                          : GIMP_PDB_EXECUTION_ERROR;
  /* sent after run() returns: kept until the next call */
  g_free (message);
  message = g_strdup (error ? error->message : _("VAR failed."));
  *nreturn_vals = 2;
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = message;
}
