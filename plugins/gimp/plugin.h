/*
 * plugin.h — what the libvar GIMP plug-in's two front ends share.
 *
 * One binary (libvar-gimp) registers three PDB procedures, built either for
 * GIMP 2.10 (libgimp-2.0, GTK 2) or for GIMP 3 (libgimp-3.0, GTK 3):
 *
 *   written once, for both APIs         values.c (defaults, checks, libvar params),
 *                                       worker.c (the libvar call on a thread, progress, cancel),
 *                                       pixels.c (GEGL buffers <-> var_image / var_mask),
 *                                       procs.c (image -> libvar -> new layers, one undo group),
 *                                       classes.c (the class picker and the backend list, GTK 2 and 3)
 *   GIMP 2.10 front end                 gimp2.c (PDB registration and runs), gimp2-dialog.c,
 *                                       gimp2-values.c (last values), gimp2-api.h
 *   GIMP 3 front end                    gimp3.c (GimpPlugIn, procedures, runs), gimp3-dialog.c,
 *                                       gimp3-api.h
 *
 * api.h gives procs.c the few image and layer calls whose types differ
 * (item IDs in 2.10, GObjects in 3) under one set of names.
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

/* gimprc token that keeps the model folder across GIMP sessions and shares it
 * between the three procedures (both GIMP versions). */
#define GIMPRC_MODEL_DIR "libvar-model-folder"

typedef enum
{
  VAR_PROC_INPAINT,
  VAR_PROC_OUTPAINT,
  VAR_PROC_GENERATE
} VarProcKind;

/* Errors of the plug-in (GError domain var_gimp_error_quark): the front ends
 * turn the code into GIMP's status (cancel, calling or execution error) and
 * pass the message on to GIMP and the calling script. */
#define VAR_GIMP_ERROR (var_gimp_error_quark ())
typedef enum
{
  VAR_GIMP_ERROR_CALLING,     /* bad arguments or the wrong kind of drawable */
  VAR_GIMP_ERROR_FAILED,      /* the image or libvar could not do it */
  VAR_GIMP_ERROR_CANCELLED    /* the user cancelled */
} VarGimpError;
GQuark var_gimp_error_quark (void);

/* Everything a run needs besides the image.  Plain data only (GIMP 2.10
 * stores it with gimp_set_data as bytes). */
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
typedef struct
{
  const gchar *name;          /* PDB name */
  const gchar *menu_label;    /* N_(): translate when used */
  const gchar *blurb;         /* N_() */
  const gchar *help;          /* English, as GIMP's other procedures */
  const gchar *title;         /* N_(): the dialog's title */
  const gchar *working;       /* N_(): the progress window's title */
} VarProcInfo;
const VarProcInfo *var_proc_info  (VarProcKind kind);
const gchar *var_proc_name        (VarProcKind kind);
VarProcKind  var_proc_kind        (const gchar *name);   /* PROC_INPAINT for an unknown name */
void         var_values_default   (VarValues *vals);
void         var_values_to_params (const VarValues *vals, var_edit_params *params);
/* Checks what the plug-in decides itself (variants, margins); the sampling
 * and edit values are checked by libvar, whose message the run reports. */
gboolean     var_values_check     (VarProcKind kind, const VarValues *vals, GError **error);
/* The model folder remembered in the gimprc ("" when none); stores a new one. */
gchar       *var_model_dir_recall (void);
void         var_model_dir_keep   (const gchar *dir);

/* pixels.c: GEGL buffers (GIMP's drawables, either API) <-> libvar's images. */
gboolean     var_pixels_read      (GeglBuffer *buf, gint x, gint y, gint width, gint height, var_image *out);
gboolean     var_pixels_read_mask (GeglBuffer *selection, gint x, gint y, gint width, gint height,
                                   guint8 **mask_data, gboolean *any_selected);
gboolean     var_pixels_has_transparency (const var_image *img);
void         var_pixels_write     (GeglBuffer *layer, const var_image *img, GeglBuffer *source,
                                   gint source_w, gint source_h, gint sx, gint sy, const guint8 *regenerated);
guint8      *var_pixels_outpaint_filled (const var_image *canvas, const gint margin[4], gint *width, gint *height);
void         var_image_clear      (var_image *img);

/* worker.c: one libvar call on a thread; see VarJob. */
typedef struct
{
  /* inputs, owned by the job */
  VarProcKind  kind;
  VarValues    vals;
  var_image    image;
  guint8      *mask_data;
  /* outputs */
  var_result  *result;
  var_model_info info;
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
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VarJob, var_job_free)
/* Runs the job to completion.  interactive: a progress window with its own
 * Cancel button (GTK must be initialised); otherwise gimp_progress_*.
 * Returns TRUE when results are ready; FALSE (with *error) on failure or cancel. */
gboolean     var_job_run  (VarJob *job, gboolean interactive, const gchar *title, GError **error);
/* The name of result i's layer: libvar's description of its parameters. */
const gchar *var_job_layer_name (const VarJob *job, gint i);

#endif /* LIBVAR_GIMP_PLUGIN_H */
