/* fuzz_png.c — libFuzzer harness for the `var` command's PNG reader
 * (tools/var/png_io.c, libpng's simplified API): each input is read as an
 * image from memory and, when it reads, turned into a mask.  Invariants
 * (abort = finding): a failure leaves a message and no buffer; a success
 * gives a buffer of width x height x 4 bytes within the size limits. */
#include "png_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char err[512];
  var_image img;
  var_mask mask;
  uint8_t *mdata = NULL;
  volatile uint8_t sink = 0;
  FILE *fp;
  if (!size) return 0;
  fp = fmemopen((void *)data, size, "rb");
  if (!fp) return 0;
  err[0] = '\0';
  if (png_read_rgba_fp(fp, "input", &img, err, sizeof err) != 0) {
    fclose(fp);
    if (img.data || !err[0]) abort();
    return 0;
  }
  fclose(fp);
  if (!img.data || img.width < 1 || img.height < 1 || img.width > VAR_MAX_IMAGE_SIDE ||
      img.height > VAR_MAX_IMAGE_SIDE || img.stride != 4 * img.width)
    abort();
  sink ^= img.data[0] ^ img.data[(size_t)img.stride * img.height - 1];   /* ASan checks the size */
  if (png_mask_from_rgba(&img, &mask, &mdata, err, sizeof err) == 0) {
    if (mask.width != img.width || mask.height != img.height) abort();
    sink ^= mdata[(size_t)mask.width * mask.height - 1];
  }
  free(mdata);
  free(img.data);
  (void)sink;
  return 0;
}
