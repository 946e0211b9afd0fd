/* dialog.c — the settings dialog shared by the three procedures (GimpUi / GTK 2). */
#include "plugin.h"

#include <libgimp/gimpui.h>
#include <stdlib.h>
#include <string.h>

enum { COL_NAME, COL_INDEX, COL_SEARCH, N_COLS };

typedef struct
{
  VarProcKind kind;
  VarValues  *vals;
  GtkWidget  *folder, *model, *backend;
  GtkWidget  *class_entry, *class_label;
  GtkWidget  *cfg, *top_k, *top_p, *variants, *more_smooth, *keep_masked, *strength, *seamless;
  GtkWidget  *margin[4];
  GtkListStore *class_store;
  var_ctx    *ctx;
  var_model  *named;          /* the folder's model when it names its own classes (classes.txt), else NULL */
  gint        n_named;
} Dialog;

/* Class names come from the chosen model when it has its own (a classes.txt
 * beside it, e.g. the demo model), else from ImageNet's list. */
static gint
class_count (Dialog *d)
{
  return d->named ? d->n_named : var_imagenet_n_classes ();
}

static const gchar *
class_name (Dialog *d, gint i)
{
  return d->named ? var_model_class_name (d->named, i) : var_imagenet_class_name (i);
}

static const gchar *
class_synonyms (Dialog *d, gint i)
{
  return d->named ? var_model_class_name (d->named, i) : var_imagenet_class_synonyms (i);
}

/* Parses the class field: "" = unconditional (-1), a number, or a name, synonym
 * or unique prefix (var_imagenet_class_find).  Returns FALSE when unknown. */
static gboolean
parse_class (Dialog *d, const gchar *text, gint *label)
{
  gchar *end;
  glong  n;

  while (g_ascii_isspace (*text))
    text++;
  if (*text == '\0')
    {
      *label = -1;
      return TRUE;
    }
  n = strtol (text, &end, 10);
  if (*end == '\0' && n >= -1 && n < class_count (d))
    {
      *label = (gint) n;
      return TRUE;
    }
  *label = d->named ? var_model_class_find (d->named, text) : var_imagenet_class_find (text);
  return *label >= 0;
}

static void
update_class_label (Dialog *d)
{
  gint   label;
  gchar *text;

  if (! parse_class (d, gtk_entry_get_text (GTK_ENTRY (d->class_entry)), &label))
    text = g_strdup (_("unknown class (type part of a name and pick one from the list)"));
  else if (label < 0)
    text = g_strdup (_("no class (unconditional)"));
  else
    text = g_strdup_printf ("%d: %s", label, class_synonyms (d, label) ? class_synonyms (d, label) : "");
  gtk_label_set_text (GTK_LABEL (d->class_label), text);
  g_free (text);
}

static void
on_class_changed (GtkEditable *editable, gpointer data)
{
  (void) editable;
  update_class_label (data);
}

/* A completion row matches when the typed text occurs anywhere in its names. */
static gboolean
class_match (GtkEntryCompletion *completion, const gchar *key, GtkTreeIter *iter, gpointer data)
{
  GtkTreeModel *model = gtk_entry_completion_get_model (completion);
  gchar        *search, *needle;
  gboolean      hit;

  (void) data;
  if (strlen (key) < 2)
    return FALSE;
  gtk_tree_model_get (model, iter, COL_SEARCH, &search, -1);
  needle = g_utf8_casefold (key, -1);
  hit = search && strstr (search, needle) != NULL;
  g_free (needle);
  g_free (search);
  return hit;
}

static gboolean
on_class_selected (GtkEntryCompletion *completion, GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
  Dialog *d = data;
  gint    index;
  gchar  *text;

  (void) completion;
  gtk_tree_model_get (model, iter, COL_INDEX, &index, -1);
  text = class_name (d, index) ? g_strdup (class_name (d, index)) : g_strdup_printf ("%d", index);
  gtk_entry_set_text (GTK_ENTRY (d->class_entry), text);
  g_free (text);
  return TRUE;
}

static void
class_store_fill (Dialog *d)
{
  gint i;

  gtk_list_store_clear (d->class_store);
  for (i = 0; i < class_count (d); i++)
    {
      GtkTreeIter iter;
      gchar      *shown, *search;

      if (! class_synonyms (d, i))
        continue;
      shown = g_strdup_printf ("%s (%d)", class_synonyms (d, i), i);
      search = g_utf8_casefold (class_synonyms (d, i), -1);
      gtk_list_store_append (d->class_store, &iter);
      gtk_list_store_set (d->class_store, &iter, COL_NAME, shown, COL_INDEX, i, COL_SEARCH, search, -1);
      g_free (shown);
      g_free (search);
    }
}

/* Opens the chosen folder's model (checkpoints are mmapped: milliseconds) to
 * see whether it names its own classes.  Any failure just means ImageNet's. */
static void
class_source_reload (Dialog *d)
{
  gchar        *folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->folder));
  const gchar  *name = d->model ? gtk_entry_get_text (GTK_ENTRY (d->model)) : "";
  var_model    *m = NULL;

  var_model_free (d->named);
  d->named = NULL;
  d->n_named = 0;
  if (! d->ctx && var_ctx_new (NULL, &d->ctx) != VAR_OK)
    d->ctx = NULL;
  if (d->ctx && folder &&
      var_model_load_dir (d->ctx, folder, name && *name ? name : NULL, &m) == VAR_OK)
    {
      var_model_info info;

      if (var_model_get_info (m, &info) == VAR_OK && info.own_class_names > 0)
        {
          d->named = m;
          d->n_named = info.num_classes;
          m = NULL;
        }
    }
  var_model_free (m);
  g_free (folder);
  class_store_fill (d);
}

static void
on_folder_changed (GtkFileChooser *chooser, gpointer data)
{
  Dialog *d = data;

  (void) chooser;
  class_source_reload (d);
  if (d->class_label)
    update_class_label (d);
}

static GtkWidget *
class_entry_new (Dialog *d)
{
  GtkListStore       *store = gtk_list_store_new (N_COLS, G_TYPE_STRING, G_TYPE_INT, G_TYPE_STRING);
  GtkEntryCompletion *completion = gtk_entry_completion_new ();
  GtkWidget          *entry = gtk_entry_new ();

  d->class_store = store;
  class_source_reload (d);
  gtk_entry_completion_set_model (completion, GTK_TREE_MODEL (store));
  gtk_entry_completion_set_text_column (completion, COL_NAME);
  gtk_entry_completion_set_match_func (completion, class_match, NULL, NULL);
  g_signal_connect (completion, "match-selected", G_CALLBACK (on_class_selected), d);
  gtk_entry_set_completion (GTK_ENTRY (entry), completion);
  g_object_unref (completion);   /* the store keeps our reference until the dialog ends */
  gtk_entry_set_width_chars (GTK_ENTRY (entry), 30);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_widget_set_tooltip_text (entry, _("Type part of a class name (ImageNet's, or the model's own from its "
                                        "classes.txt) or its number and pick it from the list; empty = no class."));
  if (d->vals->class_label >= 0 && class_name (d, d->vals->class_label))
    gtk_entry_set_text (GTK_ENTRY (entry), class_name (d, d->vals->class_label));
  g_signal_connect (entry, "changed", G_CALLBACK (on_class_changed), d);
  return entry;
}

/* The backends libvar offers here; their ids ("", "cpu", "opencl:0", ...) are
 * kept beside the combo box in the same order (GTK 2 combo boxes have no ids). */
static GtkWidget *
backend_combo_new (const gchar *current)
{
  GtkWidget *combo = gtk_combo_box_text_new ();
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  gchar    **lines = g_strsplit (var_backends_available (), "\n", -1);
  gint       i, active = 0;

  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (combo), _("Default ($VAR_BACKEND, else CPU)"));
  g_ptr_array_add (ids, g_strdup (""));
  for (i = 0; lines[i]; i++)
    {
      gchar *id;

      if (! *lines[i])
        continue;
      id = g_strndup (lines[i], strcspn (lines[i], " "));
      if (strcmp (id, current) == 0)
        active = (gint) ids->len;
      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (combo), lines[i]);
      g_ptr_array_add (ids, id);
    }
  g_strfreev (lines);
  g_object_set_data_full (G_OBJECT (combo), "backend-ids", ids, (GDestroyNotify) g_ptr_array_unref);
  gtk_combo_box_set_active (GTK_COMBO_BOX (combo), active);
  return combo;
}

static const gchar *
backend_combo_get (GtkWidget *combo)
{
  GPtrArray *ids = g_object_get_data (G_OBJECT (combo), "backend-ids");
  gint       active = gtk_combo_box_get_active (GTK_COMBO_BOX (combo));

  return active >= 0 && (guint) active < ids->len ? g_ptr_array_index (ids, active) : "";
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

static const gchar *
dialog_title (VarProcKind kind)
{
  switch (kind)
    {
    case VAR_PROC_OUTPAINT: return _("VAR Out-paint");
    case VAR_PROC_GENERATE: return _("VAR Generate");
    case VAR_PROC_INPAINT:
    default:                return _("VAR In-paint");
    }
}

/* Reads the widgets into d->vals; FALSE (with the class field marked) when the class is unknown. */
static gboolean
read_back (Dialog *d)
{
  VarValues *v = d->vals;
  gchar     *folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->folder));
  const gchar *backend = backend_combo_get (d->backend);
  gint       label, i;

  if (! parse_class (d, gtk_entry_get_text (GTK_ENTRY (d->class_entry)), &label))
    {
      g_free (folder);
      gtk_widget_grab_focus (d->class_entry);
      return FALSE;
    }
  v->class_label = label;
  g_strlcpy (v->model_dir, folder ? folder : "", sizeof v->model_dir);
  g_free (folder);
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
  dialog = gimp_dialog_new (dialog_title (kind), PLUG_IN_ROLE, NULL, 0, NULL, NULL,
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

  d.class_entry = class_entry_new (&d);
  attach_row (table, row++, _("C_lass:"), d.class_entry);
  d.class_label = gtk_label_new ("");
  gtk_misc_set_alignment (GTK_MISC (d.class_label), 0.0, 0.5);
  gtk_label_set_ellipsize (GTK_LABEL (d.class_label), PANGO_ELLIPSIZE_END);
  gtk_table_attach (GTK_TABLE (table), d.class_label, 1, 2, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
  row++;
  update_class_label (&d);
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
  d.backend = backend_combo_new (vals->backend);
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
  g_object_unref (d.class_store);
  var_model_free (d.named);
  var_ctx_free (d.ctx);
  return ok;
}
