/* gimp2-front.h — the GIMP 2.10 front end's own declarations. */
#ifndef LIBVAR_GIMP2_FRONT_H
#define LIBVAR_GIMP2_FRONT_H

#include "plugin.h"

/* gimp2-values.c: the last values (this GIMP session) and the shared folder. */
void     var_values_load (VarProcKind kind, VarValues *vals);
void     var_values_save (VarProcKind kind, const VarValues *vals);

/* gimp2-dialog.c: returns TRUE on OK; vals is updated in place. */
gboolean var_dialog_run  (VarProcKind kind, VarValues *vals);

#endif /* LIBVAR_GIMP2_FRONT_H */
