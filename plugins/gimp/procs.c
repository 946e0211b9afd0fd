/* procs.c — the three procedures: GIMP image -> libvar call -> new layers.
 *
 * The image is read and checked first, libvar runs (worker.c), and only when
 * it has succeeded is the image changed, inside one undo group: new layers
 * (one per variant, named with libvar's description of the parameters) above
 * the active layer, and for out-painting by margins a larger canvas.  The
 * active layer itself is never written.  A failed or cancelled run leaves the
 * image exactly as it was.
 */
#include "plugin.h"

#include <string.h>

static gchar *
fail (const gchar *message)
{
  return g_strdup (message);
}

static GimpImageType
result_layer_type (gint32 image)
{
  return gimp_image_base_type (image) == GIMP_GRAY ? GIMP_GRAYA_IMAGE : GIMP_RGBA_IMAGE;
}

/* Adds one layer per result, in one undo group (opened by the caller), at
 * (x, y), directly above `above` (or at the top when above is -1).  The first
 * variant is on top and visible, the others hidden below it.  Where
 * `regenerated` (one byte per result pixel) is 0, the layer holds `above`'s
 * own pixels (placed at (sx, sy) in the layer), not their 8-bit copy. */
static void
add_result_layers (gint32 image, gint32 above, const VarJob *job, gint x, gint y,
                   gint sx, gint sy, const guint8 *regenerated, GArray *new_layers)
{
  gint32 parent = -1;
  gint   position = 0;
  gint   i, n = var_result_count (job->result);

  if (above != -1)
    {
      parent = gimp_item_get_parent (above);
      position = gimp_image_get_item_position (image, above);
    }
  for (i = n - 1; i >= 0; i--)
    {
      const var_image *img = var_result_image (job->result, i);
      const gchar     *desc = var_result_description (job->result, i);
      gint32           layer;

      layer = gimp_layer_new (image, desc && *desc ? desc : "VAR", img->width, img->height,
                              result_layer_type (image), 100.0, GIMP_LAYER_MODE_NORMAL);
      gimp_image_insert_layer (image, layer, parent, position);
      gimp_layer_set_offsets (layer, x, y);
      var_pixels_write_layer (layer, img, above, sx, sy, regenerated);
      gimp_item_set_visible (layer, i == 0);
      g_array_prepend_val (new_layers, layer);
    }
  if (n > 0)
    gimp_image_set_active_layer (image, g_array_index (new_layers, gint32, 0));
}

static GimpPDBStatusType
finish_failed_job (VarJob *job, gchar **error)
{
  GimpPDBStatusType status = job->status == VAR_ERR_CANCELLED ? GIMP_PDB_CANCEL : GIMP_PDB_EXECUTION_ERROR;

  *error = job->error ? g_strdup (job->error) : g_strdup (_("VAR failed."));
  var_job_free (job);
  return status;
}

/* The image stays usable while libvar works (the progress window is not
 * modal); a result made for a layer or canvas that has since changed is not
 * added.  geometry: the layer's offsets and size and the canvas size then. */
typedef struct { gint ox, oy, w, h, iw, ih; } Geometry;

static Geometry
geometry_of (gint32 image, gint32 drawable)
{
  Geometry g;

  gimp_drawable_offsets (drawable, &g.ox, &g.oy);
  g.w = gimp_drawable_width (drawable);
  g.h = gimp_drawable_height (drawable);
  g.iw = gimp_image_width (image);
  g.ih = gimp_image_height (image);
  return g;
}

static gboolean
unchanged_since (gint32 image, gint32 drawable, const Geometry *then, VarJob *job, gchar **error)
{
  Geometry now;

  if (! gimp_image_is_valid (image) || ! gimp_item_is_valid (drawable))
    {
      *error = fail (_("The image or its layer was closed while VAR was working; the result was not added."));
      var_job_free (job);
      return FALSE;
    }
  now = geometry_of (image, drawable);
  if (memcmp (&now, then, sizeof now) != 0)
    {
      *error = fail (_("The layer or the canvas changed size or place while VAR was working; "
                       "the result was not added."));
      var_job_free (job);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_layer (gint32 drawable, gchar **error)
{
  if (! gimp_item_is_valid (drawable) || ! gimp_item_is_layer (drawable))
    {
      *error = fail (_("Choose a layer (not a channel or a layer mask) to work on."));
      return FALSE;
    }
  return TRUE;
}

GimpPDBStatusType
var_proc_inpaint (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                  GArray *new_layers, gchar **error)
{
  VarJob  *job;
  Geometry geometry;
  gint     ox, oy, w, h;
  gboolean any;

  if (! check_layer (drawable, error))
    return GIMP_PDB_CALLING_ERROR;
  if (gimp_selection_is_empty (image))
    {
      *error = fail (_("There is no selection. Select the area to in-paint first "
                       "(any selection tool; feathered edges blend)."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  w = gimp_drawable_width (drawable);
  h = gimp_drawable_height (drawable);
  gimp_drawable_offsets (drawable, &ox, &oy);

  job = var_job_new (VAR_PROC_INPAINT, vals);
  if (! var_pixels_read_drawable (drawable, 0, 0, w, h, &job->image)
      || ! var_pixels_read_selection (image, ox, oy, w, h, &job->mask_data, &any))
    {
      var_job_free (job);
      *error = fail (_("Not enough memory for this layer."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  if (! any)
    {
      var_job_free (job);
      *error = g_strdup_printf (_("The selection does not touch the layer “%s”."), gimp_item_get_name (drawable));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  geometry = geometry_of (image, drawable);
  if (! var_job_run (job, interactive, _("VAR in-painting")))
    return finish_failed_job (job, error);
  if (! unchanged_since (image, drawable, &geometry, job, error))
    return GIMP_PDB_EXECUTION_ERROR;

  gimp_image_undo_group_start (image);
  add_result_layers (image, drawable, job, ox, oy, 0, 0, job->mask_data, new_layers);
  gimp_image_undo_group_end (image);
  var_job_free (job);
  return GIMP_PDB_SUCCESS;
}

GimpPDBStatusType
var_proc_outpaint (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                   GArray *new_layers, gchar **error)
{
  VarJob  *job;
  Geometry geometry;
  gint     ox, oy, iw, ih, i;
  gboolean margins = FALSE;

  if (! check_layer (drawable, error))
    return GIMP_PDB_CALLING_ERROR;
  for (i = 0; i < 4; i++)
    {
      if (vals->margin[i] < 0)
        {
          *error = fail (_("Out-paint margins must be 0 or more pixels."));
          return GIMP_PDB_CALLING_ERROR;
        }
      margins |= vals->margin[i] > 0;
    }
  iw = gimp_image_width (image);
  ih = gimp_image_height (image);
  gimp_drawable_offsets (drawable, &ox, &oy);

  job = var_job_new (VAR_PROC_OUTPAINT, vals);
  /* The layer as it sits on the canvas: everything outside it is unknown. */
  if (! var_pixels_read_drawable (drawable, -ox, -oy, iw, ih, &job->image))
    {
      var_job_free (job);
      *error = fail (_("Not enough memory for this image."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  if (! margins && ! var_pixels_has_transparency (&job->image))
    {
      var_job_free (job);
      *error = fail (_("Nothing to out-paint: enlarge the canvas first (Image ▸ Canvas Size) "
                       "so that the layer does not cover it, or set margins."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  for (i = 0; i < 4; i++)
    job->margin[i] = vals->margin[i];
  geometry = geometry_of (image, drawable);
  if (! var_job_run (job, interactive, _("VAR out-painting")))
    return finish_failed_job (job, error);
  if (! unchanged_since (image, drawable, &geometry, job, error))
    return GIMP_PDB_EXECUTION_ERROR;

  {
    /* libvar fills the margins and the canvas's transparent pixels and keeps the others */
    gint    nw = vals->margin[0] + iw + vals->margin[2], nh = vals->margin[1] + ih + vals->margin[3], x, y;
    guint8 *filled = g_malloc ((gsize) nw * nh);

    for (y = 0; y < nh; y++)
      for (x = 0; x < nw; x++)
        {
          gint cx = x - vals->margin[0], cy = y - vals->margin[1];
          filled[(gsize) y * nw + x] = cx < 0 || cy < 0 || cx >= iw || cy >= ih
                                       || job->image.data[(gsize) cy * job->image.stride + 4 * cx + 3] == 0;
        }
    gimp_image_undo_group_start (image);
    if (margins)
      gimp_image_resize (image, nw, nh, vals->margin[0], vals->margin[1]);
    add_result_layers (image, drawable, job, 0, 0, ox + vals->margin[0], oy + vals->margin[1], filled, new_layers);
    gimp_image_undo_group_end (image);
    g_free (filled);
  }
  var_job_free (job);
  return GIMP_PDB_SUCCESS;
}

GimpPDBStatusType
var_proc_generate (gint32 image, gint32 drawable, const VarValues *vals, gboolean interactive,
                   GArray *new_layers, gchar **error)
{
  VarJob *job;
  gint    size;
  gint32  above = -1;

  if (gimp_item_is_valid (drawable) && gimp_item_is_layer (drawable))
    above = drawable;
  job = var_job_new (VAR_PROC_GENERATE, vals);
  if (! var_job_run (job, interactive, _("VAR generating")))
    return finish_failed_job (job, error);
  if (! gimp_image_is_valid (image))
    {
      var_job_free (job);
      *error = fail (_("The image was closed while VAR was working; the result was not added."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  if (above != -1 && ! gimp_item_is_valid (above))
    above = -1;

  /* A square of the model's size, centred on the canvas. */
  size = var_result_image (job->result, 0)->width;
  gimp_image_undo_group_start (image);
  add_result_layers (image, above, job, (gimp_image_width (image) - size) / 2,
                     (gimp_image_height (image) - size) / 2, 0, 0, NULL, new_layers);
  gimp_image_undo_group_end (image);
  var_job_free (job);
  return GIMP_PDB_SUCCESS;
}
