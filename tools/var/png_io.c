/* png_io.c — PNG reading (libpng's simplified API, which validates everything
 * and converts every colour type) and writing (the classic API, for text chunks). */
#include "png_io.h"
#include "out_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VAR_HAVE_PNG
#include <png.h>
#include <setjmp.h>

int png_read_rgba_fp(FILE *fp, const char *path, var_image *img, char *err, size_t err_size)
{
  png_image pi;
  size_t bytes;
  memset(img, 0, sizeof *img);
  memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_stdio(&pi, fp)) {
    snprintf(err, err_size, "%s is not a readable PNG file (%s)", path, pi.message);
    return -1;
  }
  if (pi.width < 1 || pi.height < 1 || pi.width > VAR_MAX_IMAGE_SIDE || pi.height > VAR_MAX_IMAGE_SIDE ||
      (double)pi.width * pi.height > VAR_MAX_IMAGE_PIXELS) {
    snprintf(err, err_size, "%s is %ux%u pixels: libvar handles at most %d pixels a side and %d pixels in all", path,
             (unsigned)pi.width, (unsigned)pi.height, VAR_MAX_IMAGE_SIDE, VAR_MAX_IMAGE_PIXELS);
    png_image_free(&pi);
    return -1;
  }
  pi.format = PNG_FORMAT_RGBA;
  bytes = PNG_IMAGE_SIZE(pi);
  img->data = malloc(bytes);
  if (!img->data) {
    snprintf(err, err_size, "out of memory reading %s (%zu bytes)", path, bytes);
    png_image_free(&pi);
    return -1;
  }
  if (!png_image_finish_read(&pi, NULL, img->data, 0, NULL)) {
    snprintf(err, err_size, "%s is damaged or truncated (%s)", path, pi.message);
    free(img->data);
    img->data = NULL;
    png_image_free(&pi);
    return -1;
  }
  img->width = (int)pi.width;
  img->height = (int)pi.height;
  img->stride = 4 * img->width;
  return 0;
}

int png_read_rgba(const char *path, var_image *img, char *err, size_t err_size)
{
  FILE *fp;
  int rc;
  memset(img, 0, sizeof *img);
  /* open it ourselves first: libpng's messages do not say why a file is missing */
  fp = fopen(path, "rb");
  if (!fp) {
    snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  rc = png_read_rgba_fp(fp, path, img, err, err_size);
  fclose(fp);
  return rc;
}

/* The PNG into fp; -1 with a message naming path on any libpng error. */
static int write_stream(FILE *fp, const char *path, const var_image *img, const char *parameters, char *err,
                        size_t err_size)
{
  png_structp png;
  png_infop info;
  png_text text[2];
  char software[64];
  const int n_text = parameters && *parameters ? 2 : 1;
  int y;

  /* set up before setjmp: nothing below it changes these */
  snprintf(software, sizeof software, "libvar %s", var_version());
  memset(text, 0, sizeof text);
  text[0].compression = PNG_TEXT_COMPRESSION_NONE;
  text[0].key = (png_charp) "Software";
  text[0].text = software;
  if (n_text == 2) {
    text[1].compression = PNG_TEXT_COMPRESSION_NONE;
    text[1].key = (png_charp) "parameters";
    text[1].text = (png_charp)parameters;
  }
  png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, NULL);
    snprintf(err, err_size, "out of memory writing %s", path);
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    snprintf(err, err_size, "could not write %s%s%s", path, errno ? ": " : "", errno ? strerror(errno) : "");
    return -1;
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8, PNG_COLOR_TYPE_RGBA,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_text(png, info, text, n_text);
  png_write_info(png, info);
  for (y = 0; y < img->height; y++) png_write_row(png, img->data + (size_t)y * img->stride);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return 0;
}

int png_write_rgba_temp(const char *path, const var_image *img, const char *parameters, char *tmp, size_t tmp_size,
                        char *err, size_t err_size)
{
  FILE *fp;
  if (out_temp_open(path, tmp, tmp_size, &fp, err, err_size) != 0) return -1;
  errno = 0;
  if (write_stream(fp, path, img, parameters, err, err_size) != 0) {
    fclose(fp);
    unlink(tmp);
    return -1;
  }
  return out_temp_close(fp, tmp, path, err, err_size);
}

int png_write_rgba(const char *path, const var_image *img, const char *parameters, char *err, size_t err_size)
{
  char tmp[4200];
  if (png_write_rgba_temp(path, img, parameters, tmp, sizeof tmp, err, err_size) != 0) return -1;
  return out_temp_commit(tmp, path, err, err_size);
}

#else /* !VAR_HAVE_PNG */

int png_read_rgba_fp(FILE *fp, const char *path, var_image *img, char *err, size_t err_size)
{
  (void)fp;
  return png_read_rgba(path, img, err, err_size);
}

int png_read_rgba(const char *path, var_image *img, char *err, size_t err_size)
{
  memset(img, 0, sizeof *img);
  snprintf(err, err_size, "cannot read %s: this `var` was built without libpng (install libpng-dev and rebuild)",
           path);
  return -1;
}

int png_write_rgba_temp(const char *path, const var_image *img, const char *parameters, char *tmp, size_t tmp_size,
                        char *err, size_t err_size)
{
  (void)img;
  (void)parameters;
  (void)tmp;
  (void)tmp_size;
  snprintf(err, err_size, "cannot write %s: this `var` was built without libpng (install libpng-dev and rebuild)",
           path);
  return -1;
}

int png_write_rgba(const char *path, const var_image *img, const char *parameters, char *err, size_t err_size)
{
  char tmp[8];
  return png_write_rgba_temp(path, img, parameters, tmp, sizeof tmp, err, err_size);
}

#endif

int png_mask_from_rgba(const var_image *img, var_mask *mask, uint8_t **data, char *err, size_t err_size)
{
  size_t i, n = (size_t)img->width * (size_t)img->height;
  memset(mask, 0, sizeof *mask);
  *data = malloc(n ? n : 1);
  if (!*data) {
    snprintf(err, err_size, "out of memory making a %dx%d mask", img->width, img->height);
    return -1;
  }
  for (i = 0; i < n; i++) {
    const uint8_t *p = img->data + 4 * i;
    unsigned luma = (299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u;
    (*data)[i] = (uint8_t)((luma * p[3] + 127u) / 255u);
  }
  mask->width = img->width;
  mask->height = img->height;
  mask->stride = img->width;
  mask->data = *data;
  return 0;
}

int png_read_mask(const char *path, var_mask *mask, uint8_t **data, char *err, size_t err_size)
{
  var_image img;
  int rc;
  *data = NULL;
  memset(mask, 0, sizeof *mask);
  if (png_read_rgba(path, &img, err, err_size) != 0) return -1;
  rc = png_mask_from_rgba(&img, mask, data, err, err_size);
  free(img.data);
  return rc;
}
