/* gimp2-dialog.c — GIMP 2.10: the settings dialog of the three procedures (GimpUi / GTK 2). */
#include "plugin.h"
#include "classes.h"
#include "gimp2-front.h"

#include <libgimp/gimpui.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  VarProcKind     kind;
  VarValues      *vals;
  GtkWidget      *folder, *model, *backend;
  VarClassPicker *classes;
  GtkWidget      *cfg, *top_k, *top_p, *variants, *more_smooth, *keep_masked, *strength, *seamless;
  GtkWidget      *margin[4];
} Dialog;

static void
on_folder_changed (GtkFileChooser *chooser, gpointer data)
{
  Dialog           *d = data;
  g_autofree gchar *folder = gtk_file_chooser_get_filename (chooser);

  var_class_picker_set_folder (d->classes, folder, gtk_entry_get_text (GTK_ENTRY (d->model)));
}

static GtkWidget *
spin_new (gdouble value, gdouble lower, gdouble upper, gdouble step, guint digits)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, step);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_entry_set_activates_default (GTK_ENTRY (spin), TRUE);
  return spin;
}

static void
attach_row (GtkWidget *table, gint row, const gchar *label_text, GtkWidget *widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_table_attach (GTK_TABLE (table), label, 0, 1, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (table), widget, 1, 2, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
}

/* A check button in the value column of `row` (tooltip may be NULL). */
static GtkWidget *
attach_check (GtkWidget *table, gint row, const gchar *label_text, const gchar *tooltip, gboolean active)
{
  GtkWidget *check = gtk_check_button_new_with_mnemonic (label_text);

  if (tooltip)
    gtk_widget_set_tooltip_text (check, tooltip);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (check), active);
  gtk_table_attach (GTK_TABLE (table), check, 1, 2, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
  return check;
}

/* Reads the widgets into d->vals; FALSE (with the class field marked) when the class is unknown. */
static gboolean
read_back (Dialog *d)
{
  VarValues *v = d->vals;
  g_autofree gchar *folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->folder));
  g_autofree gchar *backend = gimp_string_combo_box_get_active (GIMP_STRING_COMBO_BOX (d->backend));
  gint       label, i;

  if (! var_class_picker_get (d->classes, &label))
    return FALSE;
  v->class_label = label;
  g_strlcpy (v->model_dir, folder ? folder : "", sizeof v->model_dir);
  g_strlcpy (v->model_name, gtk_entry_get_text (GTK_ENTRY (d->model)), sizeof v->model_name);
  g_strlcpy (v->backend, backend ? backend : "", sizeof v->backend);
  v->cfg = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->cfg));
  v->top_k = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (d->top_k));
  v->top_p = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->top_p));
  v->variants = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (d->variants));
  v->more_smooth = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->more_smooth));
  if (d->keep_masked)
    v->keep_masked = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->keep_masked));
  if (d->strength)
    v->strength = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->strength));
  if (d->seamless)
    v->seamless = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->seamless));
  if (d->kind == VAR_PROC_OUTPAINT)
    for (i = 0; i < 4; i++)
      v->margin[i] = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (d->margin[i]));
  return TRUE;
}

gboolean
var_dialog_run (VarProcKind kind, VarValues *vals)
{
  /* Mnemonics are unique across the dialog (GIMP's seed widget uses _Randomize). */
  static const gchar *margin_labels[4] = { N_("L_eft:"), N_("_Top:"), N_("R_ight:"), N_("Botto_m:") };
  Dialog     d;
  GtkWidget *dialog, *vbox, *table, *seed, *hint;
  gint       row = 0, response, i;
  gboolean   ok = FALSE;

  memset (&d, 0, sizeof d);
  d.kind = kind;
  d.vals = vals;

  /* No help button: there is no GIMP help page; the README and the tooltips document the fields. */
  dialog = gimp_dialog_new (_(var_proc_info (kind)->title), PLUG_IN_ROLE, NULL, 0, NULL, NULL,
                            _("_Cancel"), GTK_RESPONSE_CANCEL,
                            _("_OK"), GTK_RESPONSE_OK,
                            NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog), GTK_RESPONSE_OK, GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (dialog));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), vbox, TRUE, TRUE, 0);

  table = gtk_table_new (12, 2, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  d.folder = gtk_file_chooser_button_new (_("VAR model folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  if (vals->model_dir[0])
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d.folder), vals->model_dir);
  else if (g_file_test (var_default_model_dir (), G_FILE_TEST_IS_DIR))
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d.folder), var_default_model_dir ());
  gtk_widget_set_tooltip_text (d.folder, _("The folder with vae_*.pth and var_d*.pth "
                                           "(from huggingface.co/FoundationVision/var)"));
  attach_row (table, row++, _("Model _folder:"), d.folder);

  d.model = gtk_entry_new ();
  gtk_entry_set_text (GTK_ENTRY (d.model), vals->model_name);
  gtk_entry_set_activates_default (GTK_ENTRY (d.model), TRUE);
  gtk_widget_set_tooltip_text (d.model, _("Transformer file stem, e.g. var_d16; empty = the smallest present"));
  attach_row (table, row++, _("Mo_del:"), d.model);

  {
    g_autofree gchar *folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d.folder));
    d.classes = var_class_picker_new (folder, vals->model_name, vals->class_label);
  }
  attach_row (table, row++, _("C_lass:"), var_class_picker_entry (d.classes));
  gtk_table_attach (GTK_TABLE (table), var_class_picker_label (d.classes), 1, 2, row, row + 1,
                    GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
  row++;
  g_signal_connect (d.folder, "selection-changed", G_CALLBACK (on_folder_changed), &d);

  d.cfg = spin_new (vals->cfg, 0.0, 30.0, 0.5, 2);
  gtk_widget_set_tooltip_text (d.cfg, _("Classifier-free guidance: higher follows the class more closely"));
  attach_row (table, row++, _("CF_G:"), d.cfg);
  d.top_k = spin_new (vals->top_k, 0, 100000, 10, 0);
  gtk_widget_set_tooltip_text (d.top_k, _("Sample among the k most likely tokens; 0 = off"));
  attach_row (table, row++, _("Top-_k:"), d.top_k);
  d.top_p = spin_new (vals->top_p, 0.0, 1.0, 0.01, 2);
  gtk_widget_set_tooltip_text (d.top_p, _("Nucleus sampling threshold; 0 = off"));
  attach_row (table, row++, _("Top-_p:"), d.top_p);

  seed = gimp_random_seed_new (&vals->seed, &vals->random_seed);
  attach_row (table, row++, _("_Seed:"), seed);
  d.variants = spin_new (vals->variants, 1, VAR_MAX_VARIANTS, 1, 0);
  gtk_widget_set_tooltip_text (d.variants, _("Number of results; each becomes a layer (seeds seed, seed+1, ...)"));
  attach_row (table, row++, _("_Variants:"), d.variants);
  d.more_smooth = attach_check (table, row++, _("More smooth (G_umbel-softmax)"), NULL, vals->more_smooth);
  if (kind != VAR_PROC_GENERATE)
    {
      d.strength = spin_new (vals->strength, 0.0, 1.0, 0.05, 2);
      gtk_widget_set_tooltip_text (d.strength,
                                   _("Share of the scales regenerated, finest first: 1 = all (the original VAR); "
                                     "lower values keep the coarse layout of the (filled) area"));
      attach_row (table, row++, _("St_rength:"), d.strength);
      d.keep_masked = attach_check (table, row++,
                                    kind == VAR_PROC_INPAINT
                                    ? _("Keep _what is under the selection (original VAR)")
                                    : _("Show the new area as the mea_n colour (original VAR)"),
                                    _("Off: the area to fill is first replaced by a smooth blend of its "
                                      "surroundings, so its old content does not show through. On: the model "
                                      "sees it as it is (the original VAR behaviour)."),
                                    vals->keep_masked);
      d.seamless = attach_check (table, row++, _("Matc_h colours at the edge (seamless blend)"),
                                 _("On: the new pixels are shifted by a smooth colour correction so that they "
                                   "meet the surroundings without a visible edge. Off: they are pasted as the "
                                   "model decoded them (the original VAR behaviour)."),
                                 vals->seamless);
    }
  {
    GtkListStore *backends = var_backend_store_new ();
    d.backend = gimp_string_combo_box_new (GTK_TREE_MODEL (backends), VAR_BACKEND_COL_ID, VAR_BACKEND_COL_LABEL);
    g_object_unref (backends);
    if (! gimp_string_combo_box_set_active (GIMP_STRING_COMBO_BOX (d.backend), vals->backend))
      gimp_string_combo_box_set_active (GIMP_STRING_COMBO_BOX (d.backend), "");
  }
  attach_row (table, row++, _("_Backend:"), d.backend);

  if (kind == VAR_PROC_OUTPAINT)
    {
      GtkWidget *frame = gimp_frame_new (_("Extend the canvas by"));
      GtkWidget *mtable = gtk_table_new (2, 4, FALSE);

      gtk_table_set_col_spacings (GTK_TABLE (mtable), 6);
      gtk_table_set_row_spacings (GTK_TABLE (mtable), 6);
      for (i = 0; i < 4; i++)
        {
          GtkWidget *label = gtk_label_new_with_mnemonic (_(margin_labels[i]));

          d.margin[i] = spin_new (vals->margin[i], 0, 8192, 8, 0);
          gtk_label_set_mnemonic_widget (GTK_LABEL (label), d.margin[i]);
          gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
          gtk_table_attach (GTK_TABLE (mtable), label, (i % 2) * 2, (i % 2) * 2 + 1, i / 2, i / 2 + 1,
                            GTK_FILL, GTK_FILL, 0, 0);
          gtk_table_attach (GTK_TABLE (mtable), d.margin[i], (i % 2) * 2 + 1, (i % 2) * 2 + 2, i / 2, i / 2 + 1,
                            GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
        }
      gtk_container_add (GTK_CONTAINER (frame), mtable);
      gtk_box_pack_start (GTK_BOX (vbox), frame, FALSE, FALSE, 0);
      hint = gtk_label_new (_("All 0: fill the canvas around the layer (after Image ▸ Canvas Size) "
                              "and its transparent pixels."));
      gtk_label_set_line_wrap (GTK_LABEL (hint), TRUE);
      gtk_misc_set_alignment (GTK_MISC (hint), 0.0, 0.5);
      gtk_box_pack_start (GTK_BOX (vbox), hint, FALSE, FALSE, 0);
    }
  else if (kind == VAR_PROC_INPAINT)
    {
      hint = gtk_label_new (_("The selection is regenerated (feathered edges blend); "
                              "each variant becomes a new layer."));
      gtk_label_set_line_wrap (GTK_LABEL (hint), TRUE);
      gtk_misc_set_alignment (GTK_MISC (hint), 0.0, 0.5);
      gtk_box_pack_start (GTK_BOX (vbox), hint, FALSE, FALSE, 0);
    }

  gtk_widget_show_all (dialog);
  for (;;)
    {
      response = gimp_dialog_run (GIMP_DIALOG (dialog));
      if (response != GTK_RESPONSE_OK)
        break;
      if (read_back (&d))
        {
          ok = TRUE;
          break;
        }
    }
  g_signal_handlers_disconnect_by_func (d.folder, on_folder_changed, &d);
  gtk_widget_destroy (dialog);
  return ok;
}
