/* pixels.c — GEGL buffers <-> libvar's RGBA8 images and 8-bit masks (both
 * GIMP versions hand drawables out as GEGL buffers).
 *
 * libvar works on 8-bit sRGB with straight alpha ("R'G'B'A u8" in babl's
 * terms).  A result layer starts as a copy of the source layer in the image's
 * own precision, and only the pixels libvar regenerated are written from its
 * 8-bit result, so kept pixels are the original's exactly, also in 16- and
 * 32-bit images.
 */
#include "plugin.h"

#include <string.h>

void
var_image_clear (var_image *img)
{
  g_free (img->data);
  memset (img, 0, sizeof *img);
}

/* Reads the rectangle (x, y, width, height), in the buffer's own
 * coordinates, into a new image; pixels outside the buffer are transparent. */
gboolean
var_pixels_read (GeglBuffer *buf, gint x, gint y, gint width, gint height, var_image *out)
{
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
  gegl_buffer_get (buf, &r, 1.0, babl_format ("R'G'B'A u8"), out->data, out->stride, GEGL_ABYSS_NONE);
  return TRUE;
}

/* The image's selection over (x, y, width, height) in image coordinates, as
 * libvar's mask (255 = regenerate); soft and feathered edges stay soft. */
gboolean
var_pixels_read_mask (GeglBuffer *selection, gint x, gint y, gint width, gint height,
                      guint8 **mask_data, gboolean *any_selected)
{
  GeglRectangle r = { x, y, width, height };
  gsize         i, n = (gsize) width * height;

  *any_selected = FALSE;
  *mask_data = g_try_malloc0 (n);
  if (! *mask_data)
    return FALSE;
  /* The selection channel is linear coverage: "Y u8" keeps its values as they are. */
  gegl_buffer_get (selection, &r, 1.0, babl_format ("Y u8"), *mask_data, width, GEGL_ABYSS_NONE);
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

/* Fills the buffer `layer` (the result's size): the source buffer
 * (source_w x source_h) copied to (sx, sy), then the result's pixels wherever
 * `regenerated` (one byte per result pixel, NULL = all) is non-zero, in runs
 * along each row.  Kept pixels are thus the source's own, at its precision. */
void
var_pixels_write (GeglBuffer *buf, const var_image *img, GeglBuffer *source, gint source_w, gint source_h,
                  gint sx, gint sy, const guint8 *regenerated)
{
  const Babl *u8 = babl_format ("R'G'B'A u8");
  gint        x, y;

  if (source && regenerated)
    {
      GeglRectangle from = { 0, 0, source_w, source_h };
      GeglRectangle to = { sx, sy, source_w, source_h };

      gegl_buffer_copy (source, &from, GEGL_ABYSS_NONE, buf, &to);
    }
  for (y = 0; y < img->height; y++)
    {
      const guint8 *row = regenerated ? regenerated + (gsize) y * img->width : NULL;

      for (x = 0; x < img->width;)
        {
          GeglRectangle r;
          gint          end;

          if (row && ! row[x])
            {
              x++;
              continue;
            }
          for (end = x + 1; end < img->width && (! row || row[end]); end++)
            ;
          r.x = x, r.y = y, r.width = end - x, r.height = 1;
          gegl_buffer_set (buf, &r, 0, u8, img->data + (gsize) y * img->stride + 4 * x, img->stride);
          x = end;
        }
    }
  gegl_buffer_flush (buf);
}

/* Out-painting fills the margins and the canvas's transparent pixels and keeps
 * the others: which pixels of the (margin-enlarged) result are new. */
guint8 *
var_pixels_outpaint_filled (const var_image *canvas, const gint margin[4], gint *width, gint *height)
{
  gint    iw = canvas->width, ih = canvas->height;
  gint    nw = margin[0] + iw + margin[2], nh = margin[1] + ih + margin[3], x, y;
  guint8 *filled = g_malloc ((gsize) nw * nh);

  for (y = 0; y < nh; y++)
    for (x = 0; x < nw; x++)
      {
        gint cx = x - margin[0], cy = y - margin[1];
        filled[(gsize) y * nw + x] = cx < 0 || cy < 0 || cx >= iw || cy >= ih
                                     || canvas->data[(gsize) cy * canvas->stride + 4 * cx + 3] == 0;
      }
  *width = nw;
  *height = nh;
  return filled;
}
