/*
 * gimp3.c — the GIMP 3 front end: a GimpPlugIn with the image procedures
 * plug-in-var-inpaint, plug-in-var-outpaint and plug-in-var-generate under
 * <Image>/Filters/Generate.  Their arguments have 2.10's names, defaults and
 * ranges (wide ones where 2.10 took any number, so that libvar refuses a bad
 * value with its own message rather than GIMP with a generic one); yes/no
 * arguments are booleans here.  Every procedure returns its first new layer
 * and the number of new layers (the other variants lie directly below the
 * first); on failure, GIMP's error carries the plug-in's (translated) reason.
 *
 * Several selected layers: in-paint regenerates the selection on each of them
 * (one set of new layers above each, one undo step for all); out-paint needs
 * exactly one; generate puts its layers above the first selected one.
 */
#include "api.h"
#include "gimp3-front.h"

#include <libgimp/gimpui.h>
#include <string.h>

typedef struct { GimpPlugIn parent_instance; } VarPlugIn;
typedef struct { GimpPlugInClass parent_class; } VarPlugInClass;

#define VAR_TYPE_PLUG_IN (var_plug_in_get_type ())
GType var_plug_in_get_type (void) G_GNUC_CONST;
G_DEFINE_TYPE (VarPlugIn, var_plug_in, GIMP_TYPE_PLUG_IN)

static const gchar *
locale_dir (void)
{
  /* An uninstalled build (the tests) points this at its own catalogues. */
  const gchar *dir = g_getenv ("LIBVAR_GIMP_LOCALEDIR");
  return dir && *dir ? dir : LOCALEDIR;
}

/* GIMP 3 would look for catalogues under the plug-in's own folder; the
 * project installs them into <prefix>/share/locale like any program, so the
 * plug-in binds its domain itself (before query and run) and tells libgimp
 * not to. */
static gboolean
var_set_i18n (GimpPlugIn *plug_in, const gchar *name, gchar **domain, gchar **catalog_dir)
{
  (void) plug_in;
  (void) name;
  (void) domain;
  (void) catalog_dir;
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  return FALSE;
}

static GList *
var_query (GimpPlugIn *plug_in)
{
  GList *list = NULL;

  (void) plug_in;
  list = g_list_append (list, g_strdup (PROC_INPAINT));
  list = g_list_append (list, g_strdup (PROC_OUTPAINT));
  list = g_list_append (list, g_strdup (PROC_GENERATE));
  return list;
}

/* config -> VarValues (the seed: below 0, or the dialog's random-seed, = a new one each run) */
static void
values_from_config (GimpProcedureConfig *config, VarProcKind kind, VarValues *vals)
{
  g_autofree gchar *dir = NULL, *model = NULL, *backend = NULL;
  gboolean          more_smooth = FALSE, keep_masked = FALSE, seamless = TRUE, random_seed = FALSE;
  gint              seed = 0;

  var_values_default (vals);
  g_object_get (config, "model-dir", &dir, "model", &model, "backend", &backend,
                "class", &vals->class_label, "cfg", &vals->cfg, "top-k", &vals->top_k, "top-p", &vals->top_p,
                "seed", &seed, "random-seed", &random_seed, "variants", &vals->variants,
                "more-smooth", &more_smooth, NULL);
  g_strlcpy (vals->model_dir, dir ? dir : "", sizeof vals->model_dir);
  g_strlcpy (vals->model_name, model ? model : "", sizeof vals->model_name);
  g_strlcpy (vals->backend, backend ? backend : "", sizeof vals->backend);
  vals->random_seed = random_seed || seed < 0;
  vals->seed = vals->random_seed ? (guint32) g_random_int_range (0, G_MAXINT32) : (guint32) seed;
  vals->more_smooth = more_smooth;
  if (kind != VAR_PROC_GENERATE)
    {
      g_object_get (config, "strength", &vals->strength, "keep-masked", &keep_masked, "seamless", &seamless, NULL);
      vals->keep_masked = keep_masked;
      vals->seamless = seamless;
    }
  if (kind == VAR_PROC_OUTPAINT)
    g_object_get (config, "left", &vals->margin[0], "top", &vals->margin[1], "right", &vals->margin[2],
                  "bottom", &vals->margin[3], NULL);
}

static GimpValueArray *
var_run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image, GimpDrawable **drawables,
         GimpProcedureConfig *config, gpointer run_data)
{
  VarProcKind        kind = GPOINTER_TO_INT (run_data);
  gboolean           interactive = run_mode == GIMP_RUN_INTERACTIVE;
  gsize              n = gimp_core_object_array_get_length ((GObject **) drawables);
  g_autoptr (GArray) new_layers = g_array_new (FALSE, FALSE, sizeof (ApiLayer));
  g_autoptr (GError) error = NULL;
  GimpValueArray    *ret;
  VarValues          vals;
  gboolean           ok = FALSE;

  gegl_init (NULL, NULL);
  if (interactive)
    {
      g_autofree gchar *kept = var_model_dir_recall ();
      g_autofree gchar *dir = NULL;

      gimp_ui_init (PLUG_IN_BINARY);
      /* the folder last chosen in any of the three dialogs, in any session */
      if (*kept)
        g_object_set (config, "model-dir", kept, NULL);
      if (! var_dialog3_run (procedure, config, kind))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
      g_object_get (config, "model-dir", &dir, NULL);
      var_model_dir_keep (dir);
    }
  values_from_config (config, kind, &vals);

  switch (kind)
    {
    case VAR_PROC_INPAINT:
      ok = var_proc_inpaint (image, (const ApiDrawable *) drawables, (gint) n, &vals, interactive, new_layers,
                             &error);
      break;
    case VAR_PROC_OUTPAINT:
      if (n != 1)
        g_set_error_literal (&error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CALLING,
                             _("Out-paint works on one layer: select only the layer to extend."));
      else
        ok = var_proc_outpaint (image, drawables[0], &vals, interactive, new_layers, &error);
      break;
    case VAR_PROC_GENERATE:
      ok = var_proc_generate (image, n > 0 ? drawables[0] : API_NONE, &vals, interactive, new_layers, &error);
      break;
    }
  if (! ok)
    {
      GimpPDBStatusType status = error->code == VAR_GIMP_ERROR_CALLING ? GIMP_PDB_CALLING_ERROR
                                                                       : GIMP_PDB_EXECUTION_ERROR;

      if (g_error_matches (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CANCELLED))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
      return gimp_procedure_new_return_values (procedure, status, g_steal_pointer (&error));
    }
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (ret, 1, g_array_index (new_layers, GimpLayer *, 0));
  GIMP_VALUES_SET_INT (ret, 2, (gint) new_layers->len);
  return ret;
}

/* The arguments all three take, then the edit ones: 2.10's names and defaults.
 * The nicks are the dialog's labels; their mnemonics differ from 2.10's where
 * GIMP 3's dialog buttons (_OK, _Cancel, _Reset, _Help, _Save Defaults) take the letter. */
static void
add_arguments (GimpProcedure *p, VarProcKind kind)
{
  VarValues d;

  var_values_default (&d);
  gimp_procedure_add_string_argument (p, "model-dir", _("Model _folder:"),
                                      "Folder holding vae_*.pth and var_d*.pth (\"\" = $VAR_MODEL_DIR, "
                                      "else ~/.local/share/libvar/models)", "", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (p, "model", _("Mo_del:"),
                                      "Transformer file stem, e.g. \"var_d16\" (\"\" = the smallest present)", "",
                                      G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (p, "backend", _("_Backend:"),
                                      "\"\" ($VAR_BACKEND or cpu), \"cpu\", \"opencl\", \"opencl:N\"", "",
                                      G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (p, "class", _("Cl_ass:"), "ImageNet class index (0-999), -1 = unconditional",
                                   G_MININT, G_MAXINT, d.class_label, G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (p, "cfg", _("CF_G:"), "Classifier-free guidance (default 4)",
                                      -G_MAXDOUBLE, G_MAXDOUBLE, d.cfg, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (p, "top-k", _("Top-_k:"),
                                   "Sample from the k most likely tokens, 0 = off (default 900)",
                                   G_MININT, G_MAXINT, d.top_k, G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (p, "top-p", _("Top-_p:"), "Nucleus sampling threshold, 0 = off (default 0.95)",
                                      -G_MAXDOUBLE, G_MAXDOUBLE, d.top_p, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (p, "seed", _("S_eed:"), "Random seed, variant i uses seed + i; -1 = a random seed",
                                   G_MININT, G_MAXINT, 0, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (p, "variants", _("_Variants:"), "Number of results, one new layer each (1-64)",
                                   G_MININT, G_MAXINT, d.variants, G_PARAM_READWRITE);
  gimp_procedure_add_boolean_argument (p, "more-smooth", _("More smooth (Gumbel-softma_x)"),
                                       "Gumbel-softmax smoothing", d.more_smooth, G_PARAM_READWRITE);
  if (kind == VAR_PROC_OUTPAINT)
    {
      gimp_procedure_add_int_argument (p, "left", _("_Left:"),
                                       "Pixels to add on the left (all four 0 = fill the transparent areas)",
                                       G_MININT, G_MAXINT, 0, G_PARAM_READWRITE);
      gimp_procedure_add_int_argument (p, "top", _("Top:"), "Pixels to add at the top",
                                       G_MININT, G_MAXINT, 0, G_PARAM_READWRITE);
      gimp_procedure_add_int_argument (p, "right", _("R_ight:"), "Pixels to add on the right",
                                       G_MININT, G_MAXINT, 0, G_PARAM_READWRITE);
      gimp_procedure_add_int_argument (p, "bottom", _("Bottom:"), "Pixels to add at the bottom",
                                       G_MININT, G_MAXINT, 0, G_PARAM_READWRITE);
    }
  if (kind != VAR_PROC_GENERATE)
    {
      gimp_procedure_add_double_argument (p, "strength", _("S_trength:"),
                                          "Share of the scales regenerated, finest first: 1 = all (the original "
                                          "VAR); lower keeps the coarse layout of the (filled) area",
                                          -G_MAXDOUBLE, G_MAXDOUBLE, d.strength, G_PARAM_READWRITE);
      gimp_procedure_add_boolean_argument (p, "keep-masked",
                                           kind == VAR_PROC_INPAINT
                                           ? _("Keep _what is under the selection (original VAR)")
                                           : _("Show the new area as the mea_n colour (original VAR)"),
                                           "TRUE = the model sees what is under the selection (out-paint: the "
                                           "mean colour), as the original VAR; FALSE = a smooth fill (default)",
                                           d.keep_masked, G_PARAM_READWRITE);
      gimp_procedure_add_boolean_argument (p, "seamless", _("Match colo_urs at the edge (seamless blend)"),
                                           "TRUE = match colours at the edge (seamless blend, default); FALSE = "
                                           "paste as decoded", d.seamless, G_PARAM_READWRITE);
    }
  /* the dialog's "new seed every run" (not an argument: scripts pass seed -1) */
  gimp_procedure_add_boolean_aux_argument (p, "random-seed", _("Rando_m seed"), "A new seed for every run", FALSE,
                                           G_PARAM_READWRITE);

  gimp_procedure_add_layer_return_value (p, "layer", "Layer",
                                         "The first new layer (the first variant; the others are directly below it)",
                                         FALSE, G_PARAM_READWRITE);
  gimp_procedure_add_int_return_value (p, "num-layers", "Number of layers", "Number of new layers (= variants)",
                                       0, G_MAXINT, 0, G_PARAM_READWRITE);
}

/* In-paint takes one or more layers, out-paint one, generate any (even none). */
static const gint sensitivity[] = {
  [VAR_PROC_INPAINT] = GIMP_PROCEDURE_SENSITIVE_DRAWABLE | GIMP_PROCEDURE_SENSITIVE_DRAWABLES,
  [VAR_PROC_OUTPAINT] = GIMP_PROCEDURE_SENSITIVE_DRAWABLE,
  [VAR_PROC_GENERATE] = GIMP_PROCEDURE_SENSITIVE_DRAWABLE | GIMP_PROCEDURE_SENSITIVE_DRAWABLES
                        | GIMP_PROCEDURE_SENSITIVE_NO_DRAWABLES,
};

static GimpProcedure *
var_create (GimpPlugIn *plug_in, const gchar *name)
{
  VarProcKind        kind = var_proc_kind (name);
  const VarProcInfo *info = var_proc_info (kind);
  GimpProcedure     *p = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, var_run,
                                               GINT_TO_POINTER (kind), NULL);

  gimp_procedure_set_image_types (p, "RGB*, GRAY*");
  gimp_procedure_set_attribution (p, "libvar authors", "libvar authors", "2026");
  /* GIMP 3 shows the strings as the plug-in gives them: translated here */
  gimp_procedure_set_menu_label (p, _(info->menu_label));
  gimp_procedure_set_documentation (p, _(info->blurb), info->help, name);
  gimp_procedure_set_sensitivity_mask (p, sensitivity[kind]);
  gimp_procedure_add_menu_path (p, "<Image>/Filters/Generate");   /* after the menu label */
  add_arguments (p, kind);
  return p;
}

static void
var_plug_in_class_init (VarPlugInClass *klass)
{
  GimpPlugInClass *pc = GIMP_PLUG_IN_CLASS (klass);

  pc->query_procedures = var_query;
  pc->create_procedure = var_create;
  pc->set_i18n = var_set_i18n;
}

static void
var_plug_in_init (VarPlugIn *self)
{
  (void) self;
}

GIMP_MAIN (VAR_TYPE_PLUG_IN)
