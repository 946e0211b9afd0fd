/* png_io.h — PNG files for the `var` command (libpng; RGBA8, straight alpha). */
#ifndef VAR_PNG_IO_H
#define VAR_PNG_IO_H

#include "var.h"

#include <stddef.h>
#include <stdio.h>

/* Reads any PNG as RGBA8 (16-bit, grey, palette and transparency are converted).
 * On success img->data is malloc'ed (free it).  On failure returns -1 with a
 * message in err ("cannot open ...", "... is not a PNG file", ...). */
int png_read_rgba(const char *path, var_image *img, char *err, size_t err_size);
/* The same from an open stream (path names it in messages): the fuzzer's entry. */
int png_read_rgba_fp(FILE *fp, const char *path, var_image *img, char *err, size_t err_size);

/* Reads a mask: white = regenerate, black = keep; grey and alpha scale it
 * (value = luminance x alpha / 255), so both a black-and-white mask and white
 * strokes painted on a transparent layer work.  *data is malloc'ed, w x h bytes. */
int png_read_mask(const char *path, var_mask *mask, uint8_t **data, char *err, size_t err_size);
/* The mask of an RGBA image read already (as png_read_mask computes it). */
int png_mask_from_rgba(const var_image *img, var_mask *mask, uint8_t **data, char *err, size_t err_size);

/* Writes RGBA8 with tEXt chunks Software = "libvar <version>" and, when given,
 * "parameters" = the description (the key other image generators use).  The
 * file is written beside path under a temporary name and renamed over path at
 * the end, so a failure (full disk, file-size limit) leaves an existing file
 * as it was and no partial file. */
int png_write_rgba(const char *path, const var_image *img, const char *parameters, char *err, size_t err_size);

/* The same into a temporary file beside path (its name in tmp), for writing a
 * set of files all or none: out_temp_commit() each once all are written. */
int png_write_rgba_temp(const char *path, const var_image *img, const char *parameters, char *tmp, size_t tmp_size,
                        char *err, size_t err_size);

#endif
