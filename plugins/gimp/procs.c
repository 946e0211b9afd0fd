/* procs.c — the three procedures: GIMP image -> libvar call -> new layers
 * (written once for GIMP 2.10 and 3 through api.h).
 *
 * The image is read and checked first, libvar runs (worker.c), and only when
 * it has succeeded is the image changed, inside one undo group: new layers
 * (one per variant, named with libvar's description of the parameters) above
 * the layer, and for out-painting by margins a larger canvas.  The layer
 * itself is never written.  A failed or cancelled run leaves the image exactly
 * as it was.
 */
#include "api.h"

#include <string.h>

/* A new layer with alpha in the image's colour model (and precision), at
 * `position` in the group `parent` (api_place_above). */
static ApiLayer
layer_new (ApiImage image, ApiLayer parent, gint position, const gchar *name, gint w, gint h)
{
  ApiLayer layer = gimp_layer_new (image, name, w, h, api_image_is_gray (image) ? GIMP_GRAYA_IMAGE : GIMP_RGBA_IMAGE,
                                   100.0, GIMP_LAYER_MODE_NORMAL);

  gimp_image_insert_layer (image, layer, parent, position);
  return layer;
}

/* Adds one layer per result, in the caller's undo group, at (x, y), directly
 * above `above` (or at the top when API_NONE).  The first variant is on top
 * and visible, the others hidden below it.  Where `regenerated` (one byte per
 * result pixel) is 0, the layer holds `above`'s own pixels (placed at (sx, sy)
 * in the layer), not their 8-bit copy. */
static void
add_result_layers (ApiImage image, ApiDrawable above, const VarJob *job, gint x, gint y,
                   gint sx, gint sy, const guint8 *regenerated, GArray *new_layers)
{
  g_autoptr (GeglBuffer) source = regenerated && above != API_NONE ? api_buffer (above) : NULL;
  gint     first = (gint) new_layers->len;
  gint     i, n = var_result_count (job->result), position;
  ApiLayer parent;

  /* last variant first, each at the same position: the first ends on top */
  api_place_above (image, above, &parent, &position);
  for (i = n - 1; i >= 0; i--)
    {
      const var_image *img = var_result_image (job->result, i);
      ApiLayer layer = layer_new (image, parent, position, var_job_layer_name (job, i), img->width, img->height);
      g_autoptr (GeglBuffer) buf = NULL;

      api_set_offsets (layer, x, y);
      buf = api_buffer ((ApiDrawable) layer);
      var_pixels_write (buf, img, source, source ? api_width (above) : 0, source ? api_height (above) : 0,
                        sx, sy, regenerated);
      g_clear_object (&buf);
      api_update (layer);
      api_set_visible (layer, i == 0);
      g_array_insert_val (new_layers, first, layer);
    }
}

/* The image stays usable while libvar works (the progress window is not
 * modal); a result made for a layer or canvas that has since changed is not
 * added.  geometry: the layer's offsets and size and the canvas size then. */
typedef struct { gint ox, oy, w, h, iw, ih; } Geometry;

static Geometry
geometry_of (ApiImage image, ApiDrawable drawable)
{
  Geometry g;

  api_offsets (drawable, &g.ox, &g.oy);
  g.w = api_width (drawable);
  g.h = api_height (drawable);
  g.iw = api_image_width (image);
  g.ih = api_image_height (image);
  return g;
}

static gboolean
unchanged_since (ApiImage image, ApiDrawable drawable, const Geometry *then, GError **error)
{
  Geometry now;

  if (! api_image_valid (image) || ! api_is_layer (drawable))
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED,
                           _("The image or its layer was closed while VAR was working; the result was not added."));
      return FALSE;
    }
  now = geometry_of (image, drawable);
  if (memcmp (&now, then, sizeof now) != 0)
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED,
                           _("The layer or the canvas changed size or place while VAR was working; "
                             "the result was not added."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_layer (ApiDrawable drawable, GError **error)
{
  if (! api_is_layer (drawable))
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_CALLING,
                           _("Choose a layer (not a channel or a layer mask) to work on."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
out_of_memory (GError **error)
{
  g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED, _("Not enough memory for this layer."));
  return FALSE;
}

/* One layer's in-paint job: its pixels and the selection over it. */
static VarJob *
inpaint_job_new (ApiImage image, ApiDrawable drawable, const VarValues *vals, GError **error)
{
  g_autoptr (VarJob)     job = var_job_new (VAR_PROC_INPAINT, vals);
  g_autoptr (GeglBuffer) buf = api_buffer (drawable);
  g_autoptr (GeglBuffer) sel = api_selection_buffer (image);
  gint                   ox, oy, w = api_width (drawable), h = api_height (drawable);
  gboolean               any;

  api_offsets (drawable, &ox, &oy);
  if (! var_pixels_read (buf, 0, 0, w, h, &job->image)
      || ! var_pixels_read_mask (sel, ox, oy, w, h, &job->mask_data, &any))
    {
      out_of_memory (error);
      return NULL;
    }
  if (! any)
    {
      g_autofree gchar *name = api_name (drawable);
      g_set_error (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED, _("The selection does not touch the layer “%s”."),
                   name);
      return NULL;
    }
  return g_steal_pointer (&job);
}

gboolean
var_proc_inpaint (ApiImage image, const ApiDrawable *drawables, gint n, const VarValues *vals,
                  gboolean interactive, GArray *new_layers, GError **error)
{
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) var_job_free);
  g_autofree Geometry  *geometry = g_new0 (Geometry, MAX (n, 1));
  gint                  i;

  if (n < 1)
    return check_layer (API_NONE, error);
  for (i = 0; i < n; i++)
    if (! check_layer (drawables[i], error))
      return FALSE;
  if (! var_values_check (VAR_PROC_INPAINT, vals, error))
    return FALSE;
  if (gimp_selection_is_empty (image))
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED,
                           _("There is no selection. Select the area to in-paint first "
                             "(any selection tool; feathered edges blend)."));
      return FALSE;
    }
  /* Every layer is read and checked before libvar runs on any of them. */
  for (i = 0; i < n; i++)
    {
      VarJob *job = inpaint_job_new (image, drawables[i], vals, error);

      if (! job)
        return FALSE;
      g_ptr_array_add (jobs, job);
      geometry[i] = geometry_of (image, drawables[i]);
    }
  for (i = 0; i < n; i++)
    {
      g_autofree gchar *title = NULL;

      if (n > 1)
        {
          g_autofree gchar *name = api_name (drawables[i]);
          title = g_strdup_printf (_("VAR in-painting “%s” (%d/%d)"), name, i + 1, n);
        }
      if (! var_job_run (g_ptr_array_index (jobs, i), interactive, title ? title : _(var_proc_info (VAR_PROC_INPAINT)->working), error))
        return FALSE;
    }
  for (i = 0; i < n; i++)
    if (! unchanged_since (image, drawables[i], &geometry[i], error))
      return FALSE;

  gimp_image_undo_group_start (image);
  for (i = 0; i < n; i++)
    {
      VarJob *job = g_ptr_array_index (jobs, i);
      gint    ox, oy;

      api_offsets (drawables[i], &ox, &oy);
      add_result_layers (image, drawables[i], job, ox, oy, 0, 0, job->mask_data, new_layers);
    }
  api_select_layer (image, g_array_index (new_layers, ApiLayer, 0));
  gimp_image_undo_group_end (image);
  return TRUE;
}

gboolean
var_proc_outpaint (ApiImage image, ApiDrawable drawable, const VarValues *vals, gboolean interactive,
                   GArray *new_layers, GError **error)
{
  g_autoptr (VarJob)     job = NULL;
  g_autoptr (GeglBuffer) buf = NULL;
  g_autofree guint8     *filled = NULL;
  const gint            *m = vals->margin;
  Geometry               geometry;
  gint                   ox, oy, iw, ih, nw, nh;
  gboolean               margins = m[0] > 0 || m[1] > 0 || m[2] > 0 || m[3] > 0;

  if (! check_layer (drawable, error) || ! var_values_check (VAR_PROC_OUTPAINT, vals, error))
    return FALSE;
  iw = api_image_width (image);
  ih = api_image_height (image);
  api_offsets (drawable, &ox, &oy);

  job = var_job_new (VAR_PROC_OUTPAINT, vals);
  buf = api_buffer (drawable);
  /* The layer as it sits on the canvas: everything outside it is unknown. */
  if (! var_pixels_read (buf, -ox, -oy, iw, ih, &job->image))
    return out_of_memory (error);
  if (! margins && ! var_pixels_has_transparency (&job->image))
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED,
                           _("Nothing to out-paint: enlarge the canvas first (Image ▸ Canvas Size) "
                             "so that the layer does not cover it, or set margins."));
      return FALSE;
    }
  geometry = geometry_of (image, drawable);
  if (! var_job_run (job, interactive, _(var_proc_info (VAR_PROC_OUTPAINT)->working), error)
      || ! unchanged_since (image, drawable, &geometry, error))
    return FALSE;

  filled = var_pixels_outpaint_filled (&job->image, m, &nw, &nh);
  gimp_image_undo_group_start (image);
  if (margins)
    gimp_image_resize (image, nw, nh, m[0], m[1]);
  add_result_layers (image, drawable, job, 0, 0, ox + m[0], oy + m[1], filled, new_layers);
  api_select_layer (image, g_array_index (new_layers, ApiLayer, 0));
  gimp_image_undo_group_end (image);
  return TRUE;
}

gboolean
var_proc_generate (ApiImage image, ApiDrawable above, const VarValues *vals, gboolean interactive,
                   GArray *new_layers, GError **error)
{
  g_autoptr (VarJob) job = NULL;
  gint               size;

  if (! api_is_layer (above))
    above = API_NONE;
  if (! var_values_check (VAR_PROC_GENERATE, vals, error))
    return FALSE;
  job = var_job_new (VAR_PROC_GENERATE, vals);
  if (! var_job_run (job, interactive, _(var_proc_info (VAR_PROC_GENERATE)->working), error))
    return FALSE;
  if (! api_image_valid (image))
    {
      g_set_error_literal (error, VAR_GIMP_ERROR, VAR_GIMP_ERROR_FAILED,
                           _("The image was closed while VAR was working; the result was not added."));
      return FALSE;
    }
  if (! api_is_layer (above))
    above = API_NONE;

  /* A square of the model's size, centred on the canvas. */
  size = var_result_image (job->result, 0)->width;
  gimp_image_undo_group_start (image);
  add_result_layers (image, above, job, (api_image_width (image) - size) / 2,
                     (api_image_height (image) - size) / 2, 0, 0, NULL, new_layers);
  api_select_layer (image, g_array_index (new_layers, ApiLayer, 0));
  gimp_image_undo_group_end (image);
  return TRUE;
}
