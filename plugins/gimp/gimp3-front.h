/* gimp3-front.h — the GIMP 3 front end's own declarations. */
#ifndef LIBVAR_GIMP3_FRONT_H
#define LIBVAR_GIMP3_FRONT_H

#include "plugin.h"

/* gimp3-dialog.c: the GimpProcedureDialog of a procedure; TRUE on OK (the
 * values are then in config). */
gboolean var_dialog3_run (GimpProcedure *procedure, GimpProcedureConfig *config, VarProcKind kind);

#endif /* LIBVAR_GIMP3_FRONT_H */
