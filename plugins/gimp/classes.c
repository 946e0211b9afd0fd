/* classes.c — the class picker and the backend list of both dialogs (GTK 2
 * and 3 share every call used here). */
#include "plugin.h"
#include "classes.h"

#include <stdlib.h>
#include <string.h>

enum { COL_NAME, COL_INDEX, COL_SEARCH, N_COLS };

struct _VarClassPicker
{
  GtkWidget    *entry, *label;
  GtkListStore *store;
  var_ctx         *ctx;
  var_class_names *named;       /* the folder's own class names (classes.txt), else NULL: ImageNet's */
};

static gint
class_count (VarClassPicker *p)
{
  return p->named ? var_class_names_count (p->named) : var_imagenet_n_classes ();
}

static const gchar *
class_name (VarClassPicker *p, gint i)
{
  return p->named ? var_class_names_get (p->named, i) : var_imagenet_class_name (i);
}

static const gchar *
class_synonyms (VarClassPicker *p, gint i)
{
  return p->named ? var_class_names_get (p->named, i) : var_imagenet_class_synonyms (i);
}

/* Parses the class field: "" = unconditional (-1), a number, or a name, synonym
 * or unique prefix (var_imagenet_class_find).  Returns FALSE when unknown. */
static gboolean
parse_class (VarClassPicker *p, const gchar *text, gint *label)
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
  if (*end == '\0' && n >= -1 && n < class_count (p))
    {
      *label = (gint) n;
      return TRUE;
    }
  *label = p->named ? var_class_names_find (p->named, text) : var_imagenet_class_find (text);
  return *label >= 0;
}

static void
update_label (VarClassPicker *p)
{
  g_autofree gchar *text = NULL;
  gint              label;

  if (! parse_class (p, gtk_entry_get_text (GTK_ENTRY (p->entry)), &label))
    text = g_strdup (_("unknown class (type part of a name and pick one from the list)"));
  else if (label < 0)
    text = g_strdup (_("no class (unconditional)"));
  else
    text = g_strdup_printf ("%d: %s", label, class_synonyms (p, label) ? class_synonyms (p, label) : "");
  gtk_label_set_text (GTK_LABEL (p->label), text);
}

static void
on_changed (GtkEditable *editable, gpointer data)
{
  (void) editable;
  update_label (data);
}

/* A completion row matches when the typed text occurs anywhere in its names. */
static gboolean
class_match (GtkEntryCompletion *completion, const gchar *key, GtkTreeIter *iter, gpointer data)
{
  GtkTreeModel     *model = gtk_entry_completion_get_model (completion);
  g_autofree gchar *search = NULL;
  g_autofree gchar *needle = NULL;

  (void) data;
  if (strlen (key) < 2)
    return FALSE;
  gtk_tree_model_get (model, iter, COL_SEARCH, &search, -1);
  needle = g_utf8_casefold (key, -1);
  return search && strstr (search, needle) != NULL;
}

static gboolean
on_selected (GtkEntryCompletion *completion, GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
  VarClassPicker   *p = data;
  g_autofree gchar *text = NULL;
  gint              index;

  (void) completion;
  gtk_tree_model_get (model, iter, COL_INDEX, &index, -1);
  text = class_name (p, index) ? g_strdup (class_name (p, index)) : g_strdup_printf ("%d", index);
  gtk_entry_set_text (GTK_ENTRY (p->entry), text);
  return TRUE;
}

static void
store_fill (VarClassPicker *p)
{
  gint i;

  gtk_list_store_clear (p->store);
  for (i = 0; i < class_count (p); i++)
    {
      GtkTreeIter       iter;
      g_autofree gchar *shown = NULL;
      g_autofree gchar *search = NULL;

      if (! class_synonyms (p, i))
        continue;
      shown = g_strdup_printf ("%s (%d)", class_synonyms (p, i), i);
      search = g_utf8_casefold (class_synonyms (p, i), -1);
      gtk_list_store_append (p->store, &iter);
      gtk_list_store_set (p->store, &iter, COL_NAME, shown, COL_INDEX, i, COL_SEARCH, search, -1);
    }
}

/* Reads the chosen folder's class names without loading its model (only the
 * transformer's tensor index and a classes.txt beside it: no weights, no
 * device, so this is fine on the GTK thread).  Any failure, or a model
 * without its own names, means ImageNet's list. */
void
var_class_picker_set_folder (VarClassPicker *p, const gchar *folder, const gchar *model)
{
  var_class_names *names = NULL;

  var_class_names_free (p->named);
  p->named = NULL;
  if (! p->ctx)
    {
      var_ctx_params cp;

      var_ctx_params_default (&cp);
      cp.backend = "cpu";   /* never a GPU for reading names, whatever $VAR_BACKEND says */
      if (var_ctx_new (&cp, &p->ctx) != VAR_OK)
        p->ctx = NULL;
    }
  if (p->ctx && folder && *folder
      && var_model_dir_class_names (p->ctx, folder, model && *model ? model : NULL, &names) == VAR_OK)
    {
      if (var_class_names_own (names) > 0)
        p->named = g_steal_pointer (&names);
    }
  var_class_names_free (names);
  store_fill (p);
  update_label (p);
}

static void
picker_free (gpointer data)
{
  VarClassPicker *p = data;

  g_object_unref (p->store);
  var_class_names_free (p->named);
  var_ctx_free (p->ctx);
  g_free (p);
}

VarClassPicker *
var_class_picker_new (const gchar *folder, const gchar *model, gint label)
{
  VarClassPicker     *p = g_new0 (VarClassPicker, 1);
  GtkEntryCompletion *completion = gtk_entry_completion_new ();

  p->store = gtk_list_store_new (N_COLS, G_TYPE_STRING, G_TYPE_INT, G_TYPE_STRING);
  p->entry = gtk_entry_new ();
  p->label = gtk_label_new ("");
#if GTK_CHECK_VERSION (3, 0, 0)
  gtk_label_set_xalign (GTK_LABEL (p->label), 0.0);
#else
  gtk_misc_set_alignment (GTK_MISC (p->label), 0.0, 0.5);
#endif
  gtk_label_set_ellipsize (GTK_LABEL (p->label), PANGO_ELLIPSIZE_END);
  g_object_set_data_full (G_OBJECT (p->entry), "var-class-picker", p, picker_free);

  gtk_entry_completion_set_model (completion, GTK_TREE_MODEL (p->store));
  gtk_entry_completion_set_text_column (completion, COL_NAME);
  gtk_entry_completion_set_match_func (completion, class_match, NULL, NULL);
  g_signal_connect (completion, "match-selected", G_CALLBACK (on_selected), p);
  gtk_entry_set_completion (GTK_ENTRY (p->entry), completion);
  g_object_unref (completion);
  gtk_entry_set_width_chars (GTK_ENTRY (p->entry), 30);
  gtk_entry_set_activates_default (GTK_ENTRY (p->entry), TRUE);
  gtk_widget_set_tooltip_text (p->entry, _("Type part of a class name (ImageNet's, or the model's own from its "
                                           "classes.txt) or its number and pick it from the list; empty = no class."));
  var_class_picker_set_folder (p, folder, model);
  if (label >= 0 && class_name (p, label))
    gtk_entry_set_text (GTK_ENTRY (p->entry), class_name (p, label));
  else if (label >= 0)
    {
      g_autofree gchar *num = g_strdup_printf ("%d", label);
      gtk_entry_set_text (GTK_ENTRY (p->entry), num);
    }
  update_label (p);
  g_signal_connect (p->entry, "changed", G_CALLBACK (on_changed), p);
  return p;
}

GtkWidget *
var_class_picker_entry (VarClassPicker *p)
{
  return p->entry;
}

GtkWidget *
var_class_picker_label (VarClassPicker *p)
{
  return p->label;
}

gboolean
var_class_picker_get (VarClassPicker *p, gint *label)
{
  if (parse_class (p, gtk_entry_get_text (GTK_ENTRY (p->entry)), label))
    return TRUE;
  gtk_widget_grab_focus (p->entry);
  return FALSE;
}

GtkListStore *
var_backend_store_new (void)
{
  GtkListStore *store = gtk_list_store_new (2, G_TYPE_STRING, G_TYPE_STRING);
  gchar       **lines = g_strsplit (var_backends_available (), "\n", -1);
  GtkTreeIter   iter;
  gint          i;

  gtk_list_store_append (store, &iter);
  gtk_list_store_set (store, &iter, VAR_BACKEND_COL_ID, "", VAR_BACKEND_COL_LABEL,
                      _("Default ($VAR_BACKEND, else CPU)"), -1);
  for (i = 0; lines[i]; i++)
    {
      g_autofree gchar *id = NULL;

      if (! *lines[i])
        continue;
      id = g_strndup (lines[i], strcspn (lines[i], " "));
      gtk_list_store_append (store, &iter);
      gtk_list_store_set (store, &iter, VAR_BACKEND_COL_ID, id, VAR_BACKEND_COL_LABEL, lines[i], -1);
    }
  g_strfreev (lines);
  return store;
}
