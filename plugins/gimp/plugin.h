/*
 * plugin.h — shared declarations of the libvar GIMP 2.10 plug-in.
 *
 * One binary (libvar-gimp) registers three PDB procedures; main.c dispatches,
 * procs.c turns GIMP images into libvar calls and results into layers,
 * worker.c runs the libvar call on a thread while the main thread reports
 * progress, dialog.c is the GimpUi dialog, values.c the remembered settings,
 * pixels.c the GEGL buffer <-> var_image / var_mask conversions.
 *
 * Threads: every libgimp / GTK call happens on the plug-in's main thread; the
 * worker thread only calls libvar (var.h: one context per thread, except
 * var_ctx_cancel, which the main thread uses to stop it).
 */
#ifndef LIBVAR_GIMP_PLUGIN_H
#define LIBVAR_GIMP_PLUGIN_H

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "var.h"

#define PLUG_IN_BINARY "libvar-gimp"
#define PLUG_IN_ROLE   "libvar-gimp"

#define PROC_INPAINT   "plug-in-var-inpaint"
#define PROC_OUTPAINT  "plug-in-var-outpaint"
#define PROC_GENERATE  "plug-in-var-generate"

/* gimprc token that keeps the model folder across GIMP sessions (the PDB data
 * of gimp_set_data lives only as long as the GIMP session). */
#define GIMPRC_MODEL_DIR "libvar-model-folder"

typedef enum
{
  VAR_PROC_INPAINT,
  VAR_PROC_OUTPAINT,
  VAR_PROC_GENERATE
} VarProcKind;

/* Everything a run needs besides the image; remembered as the last values.
 * Plain data only (it is stored with gimp_set_data as bytes). */
typedef struct
{
  gchar    model_dir[4096];   /* "" = $VAR_MODEL_DIR or var_default_model_dir() */
  gchar    model_name[64];    /* transformer file stem; "" = the smallest present */
  gchar    backend[128];      /* "" = $VAR_BACKEND or cpu */
  gint32   class_label;       /* -1 = unconditional */
  gdouble  cfg;
  gint32   top_k;
  gdouble  top_p;
  guint32  seed;
  gboolean random_seed;       /* draw a new seed for every run */
  gint32   variants;
  gboolean more_smooth;
  gboolean keep_masked;       /* encode what is under the selection as it is (VAR_FILL_ORIGINAL) */
  gdouble  strength;          /* share of the scales regenerated in the selection, finest first */
  gboolean seamless;          /* correct the new pixels' colours to meet the surroundings (var_edit_params) */
  gint32   margin[4];         /* out-paint: left, top, right, bottom (0 = fill transparent areas) */
} VarValues;

/* values.c */
const gchar *var_proc_name       (VarProcKind kind);
void         var_values_default  (VarValues *vals);
void         var_values_load     (VarProcKind kind, VarValues *vals);
void         var_values_save     (VarProcKind kind, const VarValues *vals);
void         var_values_to_params (const VarValues *vals, var_edit_params *params);

/* pixels.c */
gboolean     var_pixels_read_drawable (gint32 drawable, gint x, gint y, gint width, gint height,
                                       var_image *out);
gboolean     var_pixels_read_selection (gint32 image, gint x, gint y, gint width, gint height,
                                        guint8 **mask_data, gboolean *any_selected);
gboolean     var_pixels_has_transparency (const var_image *img);
void         var_pixels_write_layer (gint32 layer, const var_image *img, gint32 source, gint sx, gint sy,
                                     const guint8 *regenerated);
void         var_image_clear (var_image *img);

/* worker.c: one libvar call on a thread; see VarJob. */
typedef struct
{
  /* inputs, owned by the job */
  VarProcKind  kind;
  VarValues    vals;
  var_image    image;
  guint8      *mask_data;
  gint         margin[4];
  /* outputs */
  var_result  *result;
  var_model_info info;
  gchar        model_used[128];
  var_status   status;
  gchar       *error;          /* translated message when status != VAR_OK */
  /* shared between the threads (lock) */
  GMutex       lock;
  gdouble      fraction;
  gchar        stage[64];
  gint         done;           /* atomic */
  gint         cancelled;      /* atomic; also polled by the progress callback */
  var_ctx     *ctx;
} VarJob;

VarJob      *var_job_new  (VarProcKind kind, const VarValues *vals);
void         var_job_free (VarJob *job);
/* Runs the job to completion.  interactive: a progress window with its own
 * Cancel button (GTK must be initialised); otherwise gimp_progress_*.
 * Returns TRUE when results are ready; FALSE on failure or cancel (job->status). */
gboolean     var_job_run  (VarJob *job, gboolean interactive, const gchar *title);

/* dialog.c: returns TRUE on OK; vals is updated in place. */
gboolean     var_dialog_run (VarProcKind kind, VarValues *vals);

/* procs.c: the three procedures.  *error receives a translated message on failure. */
GimpPDBStatusType var_proc_inpaint  (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                                     GArray *new_layers, gchar **error);
GimpPDBStatusType var_proc_outpaint (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                                     GArray *new_layers, gchar **error);
GimpPDBStatusType var_proc_generate (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                                     GArray *new_layers, gchar **error);

#endif /* LIBVAR_GIMP_PLUGIN_H */
