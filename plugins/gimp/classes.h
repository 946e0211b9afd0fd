/* classes.h — widgets both dialogs share (GTK 2 for GIMP 2.10, GTK 3 for GIMP 3). */
#ifndef LIBVAR_GIMP_CLASSES_H
#define LIBVAR_GIMP_CLASSES_H

#include <gtk/gtk.h>

/* The class picker: an entry that takes a class number or part of its name
 * (completion lists the matches) and a label that says which class it is.
 * Names come from the model folder's classes.txt when it has one, else from
 * ImageNet's list.  Both widgets are the caller's to pack; the picker lives as
 * long as the entry. */
typedef struct _VarClassPicker VarClassPicker;

VarClassPicker *var_class_picker_new        (const gchar *folder, const gchar *model, gint label);
GtkWidget      *var_class_picker_entry      (VarClassPicker *picker);
GtkWidget      *var_class_picker_label      (VarClassPicker *picker);
/* Re-reads the class names of another folder (the entry's text stays). */
void            var_class_picker_set_folder (VarClassPicker *picker, const gchar *folder, const gchar *model);
/* FALSE when the text names no class (the entry then has the focus). */
gboolean        var_class_picker_get        (VarClassPicker *picker, gint *label);

/* libvar's backends as (id, label) rows: "" (the default) first, then
 * var_backends_available()'s ("cpu", "opencl:0", ...). */
enum { VAR_BACKEND_COL_ID, VAR_BACKEND_COL_LABEL };
GtkListStore   *var_backend_store_new       (void);

#endif /* LIBVAR_GIMP_CLASSES_H */
