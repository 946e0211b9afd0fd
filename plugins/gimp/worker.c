/* worker.c — runs one libvar call on a thread and reports its progress
 * (both GIMP versions: GTK 2 and 3 differ only in a few widget calls here).
 *
 * GIMP's own progress (the status bar's cancel button) kills a plug-in that
 * does not answer it, which could leave a half-made undo group behind.  So in
 * interactive runs the plug-in shows its own progress window whose Cancel asks
 * libvar to stop (var_ctx_cancel, the one thread-safe entry point); libvar then
 * returns VAR_ERR_CANCELLED without outputs, and procs.c has not touched the
 * image yet.  Non-interactive runs report through gimp_progress_update from
 * the main thread (libgimp's wire is not thread-safe).
 */
#include "plugin.h"

#include <libgimp/gimpui.h>
#include <string.h>

VarJob *
var_job_new (VarProcKind kind, const VarValues *vals)
{
  VarJob *job = g_new0 (VarJob, 1);

  job->kind = kind;
  job->vals = *vals;
  job->status = VAR_OK;
  g_mutex_init (&job->lock);
  return job;
}

void
var_job_free (VarJob *job)
{
  if (! job)
    return;
  var_image_clear (&job->image);
  g_free (job->mask_data);
  var_result_free (job->result);
  var_ctx_free (job->ctx);
  g_free (job->error);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static void
job_set_stage (VarJob *job, gdouble fraction, const gchar *stage)
{
  g_mutex_lock (&job->lock);
  job->fraction = fraction;
  g_strlcpy (job->stage, stage, sizeof job->stage);
  g_mutex_unlock (&job->lock);
}

/* Called by libvar on the worker thread after every scale. */
static int
job_progress (void *user, const var_progress *progress)
{
  VarJob *job = user;
  gchar   stage[64];

  if (progress->variants > 1)
    g_snprintf (stage, sizeof stage, "%s (%d/%d)", progress->stage ? progress->stage : "",
                progress->variant + 1, progress->variants);
  else
    g_strlcpy (stage, progress->stage ? progress->stage : "", sizeof stage);
  job_set_stage (job, progress->fraction, stage);
  return g_atomic_int_get (&job->cancelled);
}

static var_status
job_fail (VarJob *job, var_status status, gchar *message)
{
  job->status = status;
  g_free (job->error);
  job->error = message;
  return status;
}

static gpointer
job_thread (gpointer data)
{
  VarJob         *job = data;
  var_model      *model = NULL;
  var_edit_params params;
  var_status      st;
  const gchar    *dir = job->vals.model_dir[0] ? job->vals.model_dir : NULL;
  const gchar    *name = job->vals.model_name[0] ? job->vals.model_name : NULL;

  job_set_stage (job, 0.0, _("loading the model"));
  st = var_model_load_dir (job->ctx, dir, name, &model);
  if (st != VAR_OK)
    {
      job_fail (job, st, g_strdup_printf (_("Could not load the VAR model: %s"), var_ctx_last_error (job->ctx)));
      goto done;
    }
  /* A damaged or poisoned file must fail here, naming the file and tensor,
   * not give a wrong image.  GIMP runs a plug-in process per call, so libvar's
   * once-per-process memory makes this once per call (about 1 s per GB). */
  job_set_stage (job, 0.0, _("checking the model files"));
  st = var_model_verify (model);
  if (st != VAR_OK)
    {
      job_fail (job, st, g_strdup_printf (_("The VAR model is damaged: %s"), var_ctx_last_error (job->ctx)));
      goto done;
    }
  var_model_get_info (model, &job->info);
  var_values_to_params (&job->vals, &params);
  if (params.class_label >= job->info.num_classes)
    {
      job_fail (job, VAR_ERR_INVALID_ARGUMENT,
                g_strdup_printf (_("Class %d is not one of the %d classes of the model %s."),
                                 params.class_label, job->info.num_classes, job->info.name));
      goto done;
    }
  if (g_atomic_int_get (&job->cancelled))
    {
      job_fail (job, VAR_ERR_CANCELLED, g_strdup (_("Cancelled.")));
      goto done;
    }

  switch (job->kind)
    {
    case VAR_PROC_INPAINT:
      {
        var_mask mask = { job->image.width, job->image.height, job->image.width, job->mask_data };
        st = var_inpaint (model, &job->image, &mask, &params, &job->result);
        break;
      }
    case VAR_PROC_OUTPAINT:
      st = var_outpaint (model, &job->image, job->vals.margin[0], job->vals.margin[1], job->vals.margin[2],
                         job->vals.margin[3], &params, &job->result);
      break;
    case VAR_PROC_GENERATE:
    default:
      st = var_generate (model, &params, &job->result);
      break;
    }
  if (st == VAR_ERR_CANCELLED)
    job_fail (job, st, g_strdup (_("Cancelled.")));
  else if (st != VAR_OK)
    job_fail (job, st, g_strdup_printf (_("VAR failed: %s"), var_ctx_last_error (job->ctx)));

done:
  var_model_free (model);
  job_set_stage (job, 1.0, "");
  g_atomic_int_set (&job->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* ---- waiting on the main thread ---------------------------------------- */

typedef struct
{
  VarJob    *job;
  GMainLoop *loop;          /* non-interactive */
  GtkWidget *bar, *label;   /* interactive */
  gdouble    shown;
} Waiter;

static gboolean
poll_job (gpointer data)
{
  Waiter *w = data;
  gdouble fraction;
  gchar   stage[64];

  g_mutex_lock (&w->job->lock);
  fraction = w->job->fraction;
  g_strlcpy (stage, w->job->stage, sizeof stage);
  g_mutex_unlock (&w->job->lock);

  if (w->bar)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (w->bar), CLAMP (fraction, 0.0, 1.0));
      if (! g_atomic_int_get (&w->job->cancelled))
        gtk_progress_bar_set_text (GTK_PROGRESS_BAR (w->bar), stage);
    }
  else if (fraction != w->shown)
    {
      gimp_progress_update (CLAMP (fraction, 0.0, 1.0));
    }
  w->shown = fraction;

  if (g_atomic_int_get (&w->job->done))
    {
      if (w->loop)
        g_main_loop_quit (w->loop);
      else
        gtk_main_quit ();
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
request_cancel (Waiter *w)
{
  if (g_atomic_int_get (&w->job->cancelled))
    return;
  g_atomic_int_set (&w->job->cancelled, 1);
  var_ctx_cancel (w->job->ctx);
  if (w->bar)
    gtk_progress_bar_set_text (GTK_PROGRESS_BAR (w->bar), _("Cancelling…"));
}

static void
on_response (GtkDialog *dialog, gint response, gpointer data)
{
  (void) dialog;
  (void) response;   /* Cancel or the window's close button */
  request_cancel (data);
}

static gboolean
on_delete (GtkWidget *widget, GdkEvent *event, gpointer data)
{
  (void) widget;
  (void) event;
  request_cancel (data);
  return TRUE;   /* the window closes when the worker has stopped */
}

const gchar *
var_job_layer_name (const VarJob *job, gint i)
{
  const gchar *desc = var_result_description (job->result, i);

  return desc && *desc ? desc : "VAR";
}

gboolean
var_job_run (VarJob *job, gboolean interactive, const gchar *title, GError **error)
{
  var_ctx_params cp;
  GThread       *thread;
  Waiter         w;
  GtkWidget     *dialog = NULL;

  var_ctx_params_default (&cp);
  cp.backend = job->vals.backend[0] ? job->vals.backend : NULL;
  if (var_ctx_new (&cp, &job->ctx) != VAR_OK)
    {
      job_fail (job, VAR_ERR_BACKEND,
                g_strdup_printf (_("Could not start the compute backend: %s"), var_last_init_error ()));
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED, job->error);
      return FALSE;
    }
  var_ctx_set_progress (job->ctx, job_progress, job);

  memset (&w, 0, sizeof w);
  w.job = job;
  w.shown = -1.0;
  if (interactive)
    {
      GtkWidget *vbox;

      dialog = gimp_dialog_new (title, PLUG_IN_ROLE, NULL, 0, NULL, NULL,
                                _("_Cancel"), GTK_RESPONSE_CANCEL, NULL);
      gtk_window_set_default_size (GTK_WINDOW (dialog), 360, -1);
#if GTK_CHECK_VERSION (3, 0, 0)
      vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
#else
      vbox = gtk_vbox_new (FALSE, 6);
#endif
      gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
      gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), vbox, TRUE, TRUE, 0);
      w.label = gtk_label_new (title);
      w.bar = gtk_progress_bar_new ();
#if GTK_CHECK_VERSION (3, 0, 0)
      gtk_label_set_xalign (GTK_LABEL (w.label), 0.0);
      gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (w.bar), TRUE);
#else
      gtk_misc_set_alignment (GTK_MISC (w.label), 0.0, 0.5);
#endif
      gtk_box_pack_start (GTK_BOX (vbox), w.label, FALSE, FALSE, 0);
      gtk_box_pack_start (GTK_BOX (vbox), w.bar, FALSE, FALSE, 0);
      g_signal_connect (dialog, "response", G_CALLBACK (on_response), &w);
      g_signal_connect (dialog, "delete-event", G_CALLBACK (on_delete), &w);
      gtk_widget_show_all (dialog);
    }
  else
    {
      gimp_progress_init (title);
      w.loop = g_main_loop_new (NULL, FALSE);
    }

  thread = g_thread_new ("libvar", job_thread, job);
  g_timeout_add (100, poll_job, &w);
  if (interactive)
    gtk_main ();
  else
    g_main_loop_run (w.loop);
  g_thread_join (thread);

  if (dialog)
    gtk_widget_destroy (dialog);
  if (w.loop)
    {
      g_main_loop_unref (w.loop);
      gimp_progress_update (1.0);
    }
  if (job->status == VAR_OK && job->result != NULL)
    return TRUE;
  g_set_error_literal (error, VAR_GIMP_ERROR,
                       job->status == VAR_ERR_CANCELLED ? VAR_GIMP_ERROR_CANCELLED : VAR_GIMP_ERROR_FAILED,
                       job->error ? job->error : _("VAR failed."));
  return FALSE;
}
