/* api.h — the image and layer calls of procs.c under one set of names:
 * gimp2-api.h (item IDs) or gimp3-api.h (GObjects), whichever libgimp this
 * build uses.  Each is a list of one-line static inline wrappers. */
#ifndef LIBVAR_GIMP_API_H
#define LIBVAR_GIMP_API_H

#include "plugin.h"

#if GIMP_CHECK_VERSION (2, 99, 0)
#include "gimp3-api.h"
#else
#include "gimp2-api.h"
#endif

/* procs.c: the three procedures.  new_layers receives the new ApiLayers, the
 * first variant first.  In-paint works on each of the n layers in turn (GIMP 3
 * can select several); out-paint takes one; generate places its layers above
 * `above` (API_NONE: at the top). */
gboolean var_proc_inpaint  (ApiImage image, const ApiDrawable *drawables, gint n, const VarValues *vals,
                            gboolean interactive, GArray *new_layers, GError **error);
gboolean var_proc_outpaint (ApiImage image, ApiDrawable drawable, const VarValues *vals, gboolean interactive,
                            GArray *new_layers, GError **error);
gboolean var_proc_generate (ApiImage image, ApiDrawable above, const VarValues *vals, gboolean interactive,
                            GArray *new_layers, GError **error);

#endif /* LIBVAR_GIMP_API_H */
