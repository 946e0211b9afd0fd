/* pixels.c — GEGL buffers <-> libvar's RGBA8 images and 8-bit masks.
 *
 * libvar works on 8-bit sRGB with straight alpha ("R'G'B'A u8" in babl's
 * terms), so an 8-bit gamma image round-trips bit for bit: pixels the core
 * keeps are identical in the new layer.  Deeper images are converted to 8 bits.
 */
#include "plugin.h"

#include <string.h>

void
var_image_clear (var_image *img)
{
  g_free (img->data);
  memset (img, 0, sizeof *img);
}

/* Reads the rectangle (x, y, width, height), in the drawable's own
 * coordinates, into a new image; pixels outside the drawable are transparent. */
gboolean
var_pixels_read_drawable (gint32 drawable, gint x, gint y, gint width, gint height, var_image *out)
{
  GeglBuffer   *buf;
  GeglRectangle r = { x, y, width, height };

  memset (out, 0, sizeof *out);
  if (width <= 0 || height <= 0)
    return FALSE;
  out->data = g_try_malloc0 ((gsize) width * height * 4);
  if (! out->data)
    return FALSE;
  out->width = width;
  out->height = height;
  out->stride = width * 4;
  buf = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buf, &r, 1.0, babl_format ("R'G'B'A u8"), out->data, out->stride, GEGL_ABYSS_NONE);
  g_object_unref (buf);
  return TRUE;
}

/* The image's selection over (x, y, width, height) in image coordinates, as
 * libvar's mask (255 = regenerate); soft and feathered edges stay soft. */
gboolean
var_pixels_read_selection (gint32 image, gint x, gint y, gint width, gint height,
                           guint8 **mask_data, gboolean *any_selected)
{
  GeglBuffer   *buf;
  GeglRectangle r = { x, y, width, height };
  gsize         i, n = (gsize) width * height;

  *any_selected = FALSE;
  *mask_data = g_try_malloc0 (n);
  if (! *mask_data)
    return FALSE;
  buf = gimp_drawable_get_buffer (gimp_image_get_selection (image));
  /* The selection channel is linear coverage: "Y u8" keeps its values as they are. */
  gegl_buffer_get (buf, &r, 1.0, babl_format ("Y u8"), *mask_data, width, GEGL_ABYSS_NONE);
  g_object_unref (buf);
  for (i = 0; i < n; i++)
    if ((*mask_data)[i])
      {
        *any_selected = TRUE;
        break;
      }
  return TRUE;
}

gboolean
var_pixels_has_transparency (const var_image *img)
{
  gint x, y;

  for (y = 0; y < img->height; y++)
    {
      const guint8 *row = img->data + (gsize) y * img->stride;
      for (x = 0; x < img->width; x++)
        if (row[4 * x + 3] == 0)
          return TRUE;
    }
  return FALSE;
}

/* Writes a whole result into a layer of the same size. */
void
var_pixels_write_layer (gint32 layer, const var_image *img)
{
  GeglBuffer   *buf = gimp_drawable_get_buffer (layer);
  GeglRectangle r = { 0, 0, img->width, img->height };

  gegl_buffer_set (buf, &r, 0, babl_format ("R'G'B'A u8"), img->data, img->stride);
  gegl_buffer_flush (buf);
  g_object_unref (buf);
  gimp_drawable_update (layer, 0, 0, img->width, img->height);
}
