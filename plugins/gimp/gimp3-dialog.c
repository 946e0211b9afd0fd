/* gimp3-dialog.c — GIMP 3: the GimpProcedureDialog of the three procedures.
 *
 * GIMP builds the number and toggle widgets from the arguments (and keeps
 * their last values itself); the model folder (a folder chooser), the class
 * picker (classes.c: a name or a number, with completion) and the backend list
 * are the plug-in's own widgets, written into the config on OK.
 */
#include "plugin.h"
#include "classes.h"
#include "gimp3-front.h"

#include <libgimp/gimpui.h>

typedef struct
{
  GimpProcedureConfig *config;
  GtkWidget           *folder, *model;
  VarClassPicker      *classes;
} Dialog;

static void
on_folder_changed (GtkFileChooser *chooser, gpointer data)
{
  Dialog           *d = data;
  g_autofree gchar *folder = gtk_file_chooser_get_filename (chooser);
  g_autofree gchar *model = NULL;

  g_object_get (d->config, "model", &model, NULL);
  var_class_picker_set_folder (d->classes, folder, model);
}

/* A mnemonic label and its widget as one row of the grid. */
static void
grid_row (GtkWidget *grid, gint row, const gchar *text, GtkWidget *widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (GTK_GRID (grid), label, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), widget, 1, row, 1, 1);
}

/* GIMP's widget for a number argument, limited to what makes sense in a
 * dialog (the arguments themselves take any number, so that libvar answers
 * a script's bad value). */
static void
limit (GimpProcedureDialog *dialog, const gchar *property, gdouble lower, gdouble upper, gdouble step, gint digits)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget (dialog, property, GIMP_TYPE_LABEL_SPIN);
  GtkWidget *spin = gimp_label_spin_get_spin_button (GIMP_LABEL_SPIN (w));

  gtk_spin_button_set_range (GTK_SPIN_BUTTON (spin), lower, upper);
  gimp_label_spin_set_increments (GIMP_LABEL_SPIN (w), step, step * 10);
  gimp_label_spin_set_digits (GIMP_LABEL_SPIN (w), digits);
  gtk_entry_set_activates_default (GTK_ENTRY (spin), TRUE);
}

gboolean
var_dialog3_run (GimpProcedure *procedure, GimpProcedureConfig *config, VarProcKind kind)
{
  Dialog            d = { config, NULL, NULL, NULL };
  GtkWidget        *dialog, *grid, *box, *backend, *hint = NULL;
  GtkListStore     *backends;
  g_autofree gchar *dir = NULL, *model = NULL;
  gint              label = -1, row = 0;
  gboolean          ok = FALSE;

  g_object_get (config, "model-dir", &dir, "model", &model, "class", &label, NULL);
  dialog = gimp_procedure_dialog_new (procedure, config, _(var_proc_info (kind)->title));
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);

  d.folder = gtk_file_chooser_button_new (_("VAR model folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  if (dir && *dir)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d.folder), dir);
  else if (g_file_test (var_default_model_dir (), G_FILE_TEST_IS_DIR))
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d.folder), var_default_model_dir ());
  gtk_widget_set_tooltip_text (d.folder, _("The folder with vae_*.pth and var_d*.pth "
                                           "(from huggingface.co/FoundationVision/var)"));
  grid_row (grid, row++, _("Model _folder:"), d.folder);

  d.model = gimp_prop_entry_new (G_OBJECT (config), "model", 63);
  gtk_entry_set_activates_default (GTK_ENTRY (d.model), TRUE);
  gtk_widget_set_tooltip_text (d.model, _("Transformer file stem, e.g. var_d16; empty = the smallest present"));
  grid_row (grid, row++, _("Mo_del:"), d.model);

  d.classes = var_class_picker_new (dir && *dir ? dir : var_default_model_dir (), model, label);
  grid_row (grid, row++, _("Cl_ass:"), var_class_picker_entry (d.classes));
  gtk_grid_attach (GTK_GRID (grid), var_class_picker_label (d.classes), 1, row++, 1, 1);
  g_signal_connect (d.folder, "selection-changed", G_CALLBACK (on_folder_changed), &d);

  backends = var_backend_store_new ();
  backend = gimp_prop_string_combo_box_new (G_OBJECT (config), "backend", GTK_TREE_MODEL (backends),
                                            VAR_BACKEND_COL_ID, VAR_BACKEND_COL_LABEL);
  g_object_unref (backends);
  grid_row (grid, row++, _("_Backend:"), backend);

  limit (GIMP_PROCEDURE_DIALOG (dialog), "cfg", 0.0, 30.0, 0.5, 2);
  limit (GIMP_PROCEDURE_DIALOG (dialog), "top-k", 0, 100000, 10, 0);
  limit (GIMP_PROCEDURE_DIALOG (dialog), "top-p", 0.0, 1.0, 0.01, 2);
  limit (GIMP_PROCEDURE_DIALOG (dialog), "seed", 0, G_MAXINT, 1, 0);
  limit (GIMP_PROCEDURE_DIALOG (dialog), "variants", 1, VAR_MAX_VARIANTS, 1, 0);
  if (kind == VAR_PROC_GENERATE)
    box = gimp_procedure_dialog_fill_box (GIMP_PROCEDURE_DIALOG (dialog), "var-main", "cfg", "top-k", "top-p", "seed",
                                          "random-seed", "variants", "more-smooth", NULL);
  else
    {
      limit (GIMP_PROCEDURE_DIALOG (dialog), "strength", 0.0, 1.0, 0.05, 2);
      box = gimp_procedure_dialog_fill_box (GIMP_PROCEDURE_DIALOG (dialog), "var-main", "cfg", "top-k", "top-p",
                                            "seed", "random-seed", "variants", "more-smooth", "strength",
                                            "keep-masked", "seamless", NULL);
    }
  gtk_box_pack_start (GTK_BOX (box), grid, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (box), grid, 0);

  if (kind == VAR_PROC_OUTPAINT)
    {
      static const gchar *sides[4] = { "left", "top", "right", "bottom" };
      gint                i;

      for (i = 0; i < 4; i++)
        limit (GIMP_PROCEDURE_DIALOG (dialog), sides[i], 0, 8192, 8, 0);
      gimp_procedure_dialog_get_label (GIMP_PROCEDURE_DIALOG (dialog), "margins-title", _("Extend the canvas by"),
                                       FALSE, FALSE);
      gimp_procedure_dialog_fill_box (GIMP_PROCEDURE_DIALOG (dialog), "margins", "left", "top", "right", "bottom",
                                      NULL);
      gimp_procedure_dialog_fill_frame (GIMP_PROCEDURE_DIALOG (dialog), "margins-frame", "margins-title", FALSE,
                                        "margins");
      hint = gtk_label_new (_("All 0: fill the canvas around the layer (after Image ▸ Canvas Size) "
                              "and its transparent pixels."));
    }
  else if (kind == VAR_PROC_INPAINT)
    hint = gtk_label_new (_("The selection is regenerated (feathered edges blend); "
                            "each variant becomes a new layer."));
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog), "var-main",
                              kind == VAR_PROC_OUTPAINT ? "margins-frame" : NULL, NULL);
  if (hint)
    {
      gtk_label_set_line_wrap (GTK_LABEL (hint), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (hint), 50);
      gtk_label_set_xalign (GTK_LABEL (hint), 0.0);
      gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), hint, FALSE, FALSE, 0);
    }
  gtk_widget_show_all (dialog);

  /* An unknown class keeps the dialog open, with the class field focused. */
  while (gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog)))
    {
      g_autofree gchar *folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d.folder));

      if (! var_class_picker_get (d.classes, &label))
        continue;
      g_object_set (config, "model-dir", folder ? folder : "", "class", label, NULL);
      ok = TRUE;
      break;
    }
  g_signal_handlers_disconnect_by_func (d.folder, on_folder_changed, &d);
  gtk_widget_destroy (dialog);
  return ok;
}
