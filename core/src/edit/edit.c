/* edit.c — image-level in-paint, out-paint and generate on images of any size.
 *
 * Every call validates all inputs first, then works on private buffers and hands
 * a result over only when everything succeeded, so a failed or cancelled call
 * leaves nothing half-done.  Pixels are written only through
 * var_image_paste_model, which never touches a pixel whose mask is 0. */
#include "edit/fill.h"
#include "edit/image.h"
#include "edit/model.h"
#include "edit/result.h"
#include "edit/window.h"

#include <math.h>
#include <string.h>

void var_edit_params_default(var_edit_params *params)
{
  if (!params) return;
  memset(params, 0, sizeof *params);
  /* the documented var_sample_params defaults (upstream demo settings) */
  params->sample.seed = 0;
  params->sample.cfg = 4.0f;
  params->sample.top_k = 900;
  params->sample.top_p = 0.95f;
  params->sample.more_smooth = 0;
  params->class_label = -1;
  params->variants = 1;
  params->context_margin = -1;
  params->mask_grow = -1;
  params->fill = VAR_FILL_SMOOTH;
  params->strength = 1.0f;
  params->seamless = 1;
}

/* ---- validation ------------------------------------------------------------- */

static var_status check_size(var_ctx *ctx, const char *what, int64_t w, int64_t h)
{
  if (w < 1 || h < 1)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "%s is %lldx%lld pixels: both sides must be at least 1", what,
                    (long long)w, (long long)h);
  if (w > VAR_MAX_IMAGE_SIDE || h > VAR_MAX_IMAGE_SIDE || w * h > VAR_MAX_IMAGE_PIXELS)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT,
                    "%s of %lldx%lld pixels is too large (at most %d pixels a side and %d pixels in all)", what,
                    (long long)w, (long long)h, VAR_MAX_IMAGE_SIDE, VAR_MAX_IMAGE_PIXELS);
  return VAR_OK;
}

static var_status check_image(var_ctx *ctx, const var_image *img)
{
  var_status st;
  if (!img) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "image is NULL");
  st = check_size(ctx, "the image", img->width, img->height);
  if (st != VAR_OK) return st;
  if (!img->data) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "image has no pixel data (data is NULL)");
  if (img->stride < 4 * img->width)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "image row stride %d is less than 4 x width (%d)", img->stride,
                    4 * img->width);
  return VAR_OK;
}

static var_status check_params(var_model *m, const var_edit_params *p)
{
  var_ctx *ctx = m->ctx;
  if (p->variants < 1 || p->variants > VAR_MAX_VARIANTS)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "variants must be 1..%d (got %d)", VAR_MAX_VARIANTS, p->variants);
  if (!isfinite(p->sample.cfg) || p->sample.cfg < 0 || p->sample.cfg > 1000)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "cfg must be between 0 and 1000 (got %g)", (double)p->sample.cfg);
  if (p->sample.top_k < 0)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "top_k must be >= 0 (got %d)", p->sample.top_k);
  if (!(p->sample.top_p >= 0 && p->sample.top_p <= 1))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "top_p must be between 0 and 1 (got %g)", (double)p->sample.top_p);
  if (p->class_label < -1 || p->class_label >= m->num_classes)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "class %d is out of range: this model has classes 0..%d (-1 = none)",
                    p->class_label, m->num_classes - 1);
  if (p->context_margin < -1 || p->context_margin > VAR_MAX_IMAGE_SIDE)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "context_margin must be -1 (automatic) or 0..%d (got %d)",
                    VAR_MAX_IMAGE_SIDE, p->context_margin);
  if (p->mask_grow < -1 || p->mask_grow > VAR_MAX_IMAGE_SIDE)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "mask_grow must be -1 (automatic) or 0..%d (got %d)",
                    VAR_MAX_IMAGE_SIDE, p->mask_grow);
  if (!(p->strength >= 0.0f && p->strength <= 1.0f))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "strength must be between 0 and 1 (got %g)", (double)p->strength);
  if (p->fill != VAR_FILL_ORIGINAL && p->fill != VAR_FILL_SMOOTH)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "fill must be VAR_FILL_ORIGINAL (0) or VAR_FILL_SMOOTH (1) (got %d)",
                    p->fill);
  if (p->seamless != 0 && p->seamless != 1)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "seamless must be 0 or 1 (got %d)", p->seamless);
  return VAR_OK;
}

/* An edit's strength as the number of coarse scales kept whole: strength 1
 * regenerates every scale inside the mask, 0 none (the result is the encoded input). */
static int strength_keep_scales(const var_model *m, float strength)
{
  return (int)floor((1.0 - (double)strength) * m->schedule.n_scales + 0.5);
}

/* Common start of every call: model and out checked, cancel flag cleared, params defaulted. */
static var_status begin_call(var_model *model, const char *fn, var_result **out, const var_edit_params **params,
                             var_edit_params *def)
{
  if (out) *out = NULL;
  if (!model) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "%s: model is NULL", fn);
  if (!out) return var_fail(model->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
  var_clear_error(model->ctx);
  var_cancel_reset(model->ctx);
  if (!*params) {
    var_edit_params_default(def);
    *params = def;
  }
  return check_params(model, *params);
}

/* ---- progress over the whole job ------------------------------------------------- */

/* One image-level call reports a single fraction over all its model calls.
 * While a model call runs, the context's progress callback is this job's
 * forwarder, which maps the inner call's fraction into the job's. */
typedef struct edit_job {
  var_model *m;
  var_progress_fn user_fn;
  void *user;
  int total, done, cur;       /* steps: all, finished, of the running model call */
  int variant, variants;
  int keep_scales;            /* edits: coarse scales kept whole from the encoded input (strength) */
} edit_job;

static void job_init(edit_job *j, var_model *m, int variants, int total)
{
  memset(j, 0, sizeof *j);
  j->m = m;
  j->user_fn = m->ctx->progress;
  j->user = m->ctx->progress_user;
  j->variants = variants;
  j->total = total > 0 ? total : 1;
}

static int job_send(edit_job *j, double inner, const char *stage)
{
  var_progress p;
  double f = inner < 0 ? 0 : inner > 1 ? 1 : inner;
  if (!j->user_fn) return 0;
  p.step = j->done + (int)(f * j->cur);
  p.total_steps = j->total;
  p.fraction = (double)p.step / j->total;
  if (p.fraction > 1) p.fraction = 1;
  p.variant = j->variant;
  p.variants = j->variants;
  p.stage = stage ? stage : "";
  return j->user_fn(j->user, &p);
}

static int job_forward(void *user, const var_progress *inner)
{
  edit_job *j = user;
  return job_send(j, inner ? inner->fraction : 0, inner ? inner->stage : NULL);
}

/* Marks `steps` finished and reports; VAR_ERR_CANCELLED if asked to stop. */
static var_status job_step(edit_job *j, int steps, const char *stage)
{
  var_ctx *ctx = j->m->ctx;
  j->done += steps;
  j->cur = 0;
  if (job_send(j, 0, stage)) var_ctx_cancel(ctx);
  if (var_cancelled(ctx)) return var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  return VAR_OK;
}

/* Runs one model call of `steps` steps with progress forwarded. */
static var_status job_call_generate(edit_job *j, const var_sample_params *sp, int label, const int32_t *keep_tokens,
                                    const float *keep_mask, int32_t *tokens, float *img, int steps)
{
  var_ctx *ctx = j->m->ctx;
  var_status st;
  if (var_cancelled(ctx)) return var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  j->cur = steps;
  ctx->progress = job_forward;
  ctx->progress_user = j;
  st = j->m->ops->generate(j->m, sp, label, keep_tokens, keep_mask, keep_tokens ? j->keep_scales : 0, tokens, img);
  ctx->progress = j->user_fn;
  ctx->progress_user = j->user;
  /* a cancel that arrived after the model call's last report still counts */
  if (st == VAR_OK && var_cancelled(ctx)) st = var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  if (st != VAR_OK) return st;
  return job_step(j, steps, "composite");
}

static var_status job_call_encode(edit_job *j, const float *img, int32_t *tokens)
{
  var_ctx *ctx = j->m->ctx;
  var_status st;
  if (var_cancelled(ctx)) return var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  j->cur = 1;
  ctx->progress = job_forward;
  ctx->progress_user = j;
  st = j->m->ops->encode(j->m, img, tokens);
  ctx->progress = j->user_fn;
  ctx->progress_user = j->user;
  if (st != VAR_OK) return st;
  return job_step(j, 1, "generate");
}

static void trace(var_model *m, const char *op, int variant, int window, uint64_t seed, var_window w,
                  const int32_t *keep_tokens, const float *keep_mask, const int32_t *tokens, const float *img)
{
  var_model_trace t;
  if (!m->trace) return;
  t.op = op;
  t.variant = variant;
  t.window = window;
  t.seed = seed;
  t.win_x = w.x;
  t.win_y = w.y;
  t.win_size = w.size;
  t.keep_tokens = keep_tokens;
  t.keep_mask = keep_mask;
  t.tokens = tokens;
  t.image = img;
  m->trace(m->trace_user, &t);
}

/* Steps of one generation: its scales plus one for decoding. */
static int gen_steps(const var_model *m) { return m->schedule.n_scales + 1; }

/* Buffers of one window pass. */
typedef struct work {
  float *in;          /* 3 S S, model input in [-1, 1] */
  float *gen;         /* 3 S S, model output in [0, 1] */
  int32_t *tokens;    /* L, the window's own tokens */
  int32_t *out_tokens;
  float *keep;        /* h h */
} work;

static var_status work_alloc(var_model *m, work *w)
{
  var_ctx *ctx = m->ctx;
  size_t px = var_size_mul3(3, (size_t)m->image_size, (size_t)m->image_size);
  var_status st;
  memset(w, 0, sizeof *w);
  st = var_alloc(ctx, var_size_mul(px, sizeof(float)), (void **)&w->in);
  if (st == VAR_OK) st = var_alloc(ctx, var_size_mul(px, sizeof(float)), (void **)&w->gen);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int32_t) * (size_t)m->n_tokens, (void **)&w->tokens);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int32_t) * (size_t)m->n_tokens, (void **)&w->out_tokens);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(float) * (size_t)m->grid * (size_t)m->grid, (void **)&w->keep);
  return st;
}

static void work_free(work *w)
{
  var_free(w->in);
  var_free(w->gen);
  var_free(w->tokens);
  var_free(w->out_tokens);
  var_free(w->keep);
}

static void copy_image(var_image *dst, const var_image *src)
{
  int y;
  for (y = 0; y < src->height; y++)
    memcpy(dst->data + (size_t)y * dst->stride, src->data + (size_t)y * src->stride, (size_t)src->width * 4);
}

/* ---- in-paint --------------------------------------------------------------------- */

/* One separately windowed area of an in-paint mask. */
typedef struct inpaint_area {
  var_rect box;
  var_window win;
  int32_t *tokens;    /* L: the window's own tokens */
  float *keep;        /* h x h */
} inpaint_area;

var_status var_inpaint(var_model *model, const var_image *image, const var_mask *mask,
                       const var_edit_params *params, var_result **out)
{
  var_edit_params def;
  var_ctx *ctx;
  var_result *res = NULL;
  var_rect bbox, *boxes = NULL;
  inpaint_area *areas = NULL;
  edit_job job;
  work w;
  int v, k, S, n_areas = 0;
  var_status st;

  memset(&w, 0, sizeof w);
  st = begin_call(model, "var_inpaint", out, &params, &def);
  if (st != VAR_OK) return st;
  ctx = model->ctx;
  S = model->image_size;
  if ((st = check_image(ctx, image)) != VAR_OK) return st;
  if (!mask || !mask->data) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "mask is NULL");
  if (mask->width != image->width || mask->height != image->height)
    return var_fail(ctx, VAR_ERR_SHAPE, "mask is %dx%d but the image is %dx%d: they must be the same size",
                    mask->width, mask->height, image->width, image->height);
  if (mask->stride < mask->width)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "mask row stride %d is less than its width %d", mask->stride,
                    mask->width);
  if (!var_mask_bbox(mask->data, (size_t)mask->stride, mask->width, mask->height, &bbox))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "the mask is empty (all 0): there is nothing to in-paint");

  st = var_mask_clusters(ctx, mask->data, (size_t)mask->stride, mask->width, mask->height, S, params->context_margin,
                         &boxes, &n_areas);
  if (st == VAR_OK) st = var_calloc(ctx, (size_t)n_areas, sizeof *areas, (void **)&areas);
  if (st == VAR_OK) st = work_alloc(model, &w);
  if (st == VAR_OK) st = var_result_new(ctx, params->variants, image->width, image->height, &res);
  if (st != VAR_OK) goto done;
  job_init(&job, model, params->variants, n_areas * (1 + params->variants * (gen_steps(model) + 1)));
  job.keep_scales = strength_keep_scales(model, params->strength);
  if ((st = job_step(&job, 0, "encode")) != VAR_OK) goto done;

  /* every area is encoded from the input: the windows are disjoint, so they do not see each other's results */
  for (k = 0; k < n_areas; k++) {
    inpaint_area *a = &areas[k];
    int grow, n_gen = 0;
    a->box = boxes[k];
    a->win = var_window_for_mask_box(a->box, image->width, image->height, S, params->context_margin);
    grow = params->mask_grow >= 0 ? params->mask_grow : var_window_auto_grow(a->win, S, model->cell);
    st = var_alloc(ctx, sizeof(int32_t) * (size_t)model->n_tokens, (void **)&a->tokens);
    if (st == VAR_OK) st = var_alloc(ctx, sizeof(float) * (size_t)model->grid * model->grid, (void **)&a->keep);
    if (st == VAR_OK) st = var_image_to_model(ctx, image, a->win, S, w.in);
    if (st == VAR_OK && params->fill == VAR_FILL_SMOOTH)
      st = var_fill_masked(ctx, mask->data, (size_t)mask->stride, image->width, image->height, a->win, S, w.in, NULL);
    if (st == VAR_OK) st = job_call_encode(&job, w.in, a->tokens);
    if (st == VAR_OK)
      st = var_window_keep_mask(ctx, mask->data, (size_t)mask->stride, image->width, image->height, a->box, a->win,
                                S, model->cell, grow, a->keep, &n_gen);
    if (st != VAR_OK) goto done;
    var_log(ctx, VAR_LOG_INFO,
            "inpaint area %d/%d: mask box %dx%d at (%d,%d), window %d px at (%d,%d), grow %d px, %d of %d tokens "
            "regenerated", k + 1, n_areas, a->box.w, a->box.h, a->box.x, a->box.y, a->win.size, a->win.x, a->win.y,
            grow, n_gen, model->grid * model->grid);
  }
  for (v = 0; v < params->variants; v++) {
    var_sample_params sp = params->sample;
    var_image *dst = var_result_image_mut(res, v);
    sp.seed = params->sample.seed + (uint64_t)v;
    job.variant = v;
    copy_image(dst, image);
    for (k = 0; k < n_areas; k++) {
      inpaint_area *a = &areas[k];
      st = job_call_generate(&job, &sp, params->class_label, a->tokens, a->keep, w.out_tokens, w.gen,
                             gen_steps(model));
      if (st != VAR_OK) goto done;
      trace(model, "inpaint", v, k, sp.seed, a->win, a->tokens, a->keep, w.out_tokens, w.gen);
      if (params->seamless) {
        /* w.in holds the last area's input by now: resample this one's again */
        st = var_image_to_model(ctx, image, a->win, S, w.in);
        if (st == VAR_OK)
          st = var_fill_seamless(ctx, mask->data, (size_t)mask->stride, image->width, image->height, a->win, S, w.in,
                                 w.gen);
        if (st != VAR_OK) goto done;
      }
      st = var_image_paste_model(ctx, dst, mask->data, (size_t)mask->stride, a->box, a->win, S, w.gen);
      if (st == VAR_OK) st = job_step(&job, 1, "composite");
      if (st != VAR_OK) goto done;
    }
    var_result_set(res, v, sp.seed, "inpaint", model->name, var_model_class_name(model, params->class_label),
                   params);
  }
done:
  work_free(&w);
  for (k = 0; areas && k < n_areas; k++) {
    var_free(areas[k].tokens);
    var_free(areas[k].keep);
  }
  var_free(areas);
  var_free(boxes);
  if (st != VAR_OK) {
    var_result_free(res);
    return st;
  }
  *out = res;
  return VAR_OK;
}

/* ---- out-paint -------------------------------------------------------------------- */

/* Known bounding box of the canvas (pixels with unknown == 0). */
static void known_box(const uint8_t *unknown, int W, int H, var_rect *box)
{
  int x, y, x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (y = 0; y < H; y++) {
    const uint8_t *u = unknown + (size_t)y * W;
    for (x = 0; x < W; x++) {
      if (u[x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) {
    box->x = box->y = box->w = box->h = 0;
    return;
  }
  box->x = x0;
  box->y = y0;
  box->w = x1 - x0 + 1;
  box->h = y1 - y0 + 1;
}

static var_status outpaint_window(var_model *m, edit_job *job, const var_edit_params *p, const var_sample_params *sp,
                                  var_image *canvas, uint8_t *unknown, var_window win, int index, work *w)
{
  var_ctx *ctx = m->ctx;
  int S = m->image_size, grow, y;
  var_rect all = { 0, 0, canvas->width, canvas->height }, wr = { win.x, win.y, win.size, win.size }, in, box;
  var_status st;

  var_rect_intersect(all, wr, &in);
  if (!var_mask_bbox(unknown + (size_t)in.y * canvas->width + in.x, (size_t)canvas->width, in.w, in.h, &box))
    return job_step(job, 1 + gen_steps(m) + 1, "generate");   /* an earlier window filled it */
  box.x += in.x;
  box.y += in.y;
  /* unknown pixels are transparent on the canvas (new margins are zero, filled
   * holes had alpha 0), so the model sees them as the mean visible colour, or a
   * smooth continuation of the known ones with VAR_FILL_SMOOTH */
  grow = p->mask_grow >= 0 ? p->mask_grow : var_window_auto_grow(win, S, m->cell);
  st = var_image_to_model(ctx, canvas, win, S, w->in);
  if (st == VAR_OK && p->fill == VAR_FILL_SMOOTH)
    st = var_fill_masked(ctx, unknown, (size_t)canvas->width, canvas->width, canvas->height, win, S, w->in, NULL);
  if (st == VAR_OK) st = job_call_encode(job, w->in, w->tokens);
  if (st == VAR_OK)
    st = var_window_keep_mask(ctx, unknown, (size_t)canvas->width, canvas->width, canvas->height, box, win, S, m->cell,
                              grow, w->keep, NULL);
  if (st == VAR_OK)
    st = job_call_generate(job, sp, p->class_label, w->tokens, w->keep, w->out_tokens, w->gen, gen_steps(m));
  if (st != VAR_OK) return st;
  trace(m, "outpaint", job->variant, index, sp->seed, win, w->tokens, w->keep, w->out_tokens, w->gen);
  /* the fill changed only unknown pixels of w->in, and the correction reads only the known ones */
  if (p->seamless)
    st = var_fill_seamless(ctx, unknown, (size_t)canvas->width, canvas->width, canvas->height, win, S, w->in, w->gen);
  if (st != VAR_OK) return st;
  st = var_image_paste_model(ctx, canvas, unknown, (size_t)canvas->width, box, win, S, w->gen);
  if (st != VAR_OK) return st;
  for (y = box.y; y < box.y + box.h; y++) memset(unknown + (size_t)y * canvas->width + box.x, 0, (size_t)box.w);
  return job_step(job, 1, "generate");
}

var_status var_outpaint(var_model *model, const var_image *image, int left, int top, int right, int bottom,
                        const var_edit_params *params, var_result **out)
{
  var_edit_params def;
  var_ctx *ctx;
  var_result *res = NULL;
  var_image canvas0 = { 0, 0, 0, NULL };
  uint8_t *unknown0 = NULL, *unknown = NULL;
  var_window *wins = NULL;
  var_rect known;
  edit_job job;
  work w;
  int64_t CW, CH, n_unknown = 0;
  int n_wins = 0, v, i, x, y, S, D, margins;
  var_status st;

  memset(&w, 0, sizeof w);
  st = begin_call(model, "var_outpaint", out, &params, &def);
  if (st != VAR_OK) return st;
  ctx = model->ctx;
  S = model->image_size;
  if ((st = check_image(ctx, image)) != VAR_OK) return st;
  if (left < 0 || top < 0 || right < 0 || bottom < 0)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "out-paint margins must be >= 0 (got %d,%d,%d,%d)", left, top,
                    right, bottom);
  CW = (int64_t)left + image->width + right;
  CH = (int64_t)top + image->height + bottom;
  if ((st = check_size(ctx, "the extended canvas", CW, CH)) != VAR_OK) return st;
  margins = left || top || right || bottom;

  /* canvas0: the input placed on the new canvas; unknown0: 255 where to generate */
  canvas0.width = (int)CW;
  canvas0.height = (int)CH;
  canvas0.stride = (int)CW * 4;
  st = var_calloc(ctx, (size_t)CW * (size_t)CH, 4, (void **)&canvas0.data);
  if (st == VAR_OK) st = var_alloc(ctx, (size_t)CW * (size_t)CH, (void **)&unknown0);
  if (st == VAR_OK) st = var_alloc(ctx, (size_t)CW * (size_t)CH, (void **)&unknown);
  if (st != VAR_OK) goto done;
  memset(unknown0, margins ? 255 : 0, (size_t)CW * (size_t)CH);
  for (y = 0; y < image->height; y++) {
    const uint8_t *src = image->data + (size_t)y * image->stride;
    memcpy(canvas0.data + ((size_t)(y + top) * CW + left) * 4, src, (size_t)image->width * 4);
    for (x = 0; x < image->width; x++)
      unknown0[(size_t)(y + top) * CW + left + x] = margins ? 0 : (src[4 * x + 3] == 0 ? 255 : 0);
  }
  for (i = 0; i < CW * CH; i++) n_unknown += unknown0[i] != 0;
  if (!n_unknown) {
    st = var_fail(ctx, VAR_ERR_INVALID_ARGUMENT,
                  "nothing to out-paint: all margins are 0 and the image has no transparent pixels");
    goto done;
  }
  known_box(unknown0, (int)CW, (int)CH, &known);
  D = var_outpaint_window_size((int)CW, (int)CH, known.w, known.h, S);
  st = var_outpaint_windows(ctx, (int)CW, (int)CH, known, D, &wins, &n_wins);
  if (st != VAR_OK) goto done;
  {
    /* keep only windows that hold unknown pixels to begin with */
    int kept = 0;
    var_rect all = { 0, 0, (int)CW, (int)CH };
    for (i = 0; i < n_wins; i++) {
      var_rect wr = { wins[i].x, wins[i].y, wins[i].size, wins[i].size }, in, b;
      var_rect_intersect(all, wr, &in);
      if (var_mask_bbox(unknown0 + (size_t)in.y * CW + in.x, (size_t)CW, in.w, in.h, &b)) wins[kept++] = wins[i];
    }
    n_wins = kept;
  }
  var_log(ctx, VAR_LOG_INFO, "outpaint: canvas %lldx%lld, %lld pixels to fill, %d windows of %d px",
          (long long)CW, (long long)CH, (long long)n_unknown, n_wins, D);
  st = work_alloc(model, &w);
  if (st == VAR_OK) st = var_result_new(ctx, params->variants, (int)CW, (int)CH, &res);
  if (st != VAR_OK) goto done;
  job_init(&job, model, params->variants, params->variants * n_wins * (1 + gen_steps(model) + 1));
  job.keep_scales = strength_keep_scales(model, params->strength);
  if ((st = job_step(&job, 0, "encode")) != VAR_OK) goto done;
  for (v = 0; v < params->variants; v++) {
    var_sample_params sp = params->sample;
    var_image *dst = var_result_image_mut(res, v);
    sp.seed = params->sample.seed + (uint64_t)v;
    job.variant = v;
    copy_image(dst, &canvas0);
    memcpy(unknown, unknown0, (size_t)CW * (size_t)CH);
    for (i = 0; i < n_wins && st == VAR_OK; i++)
      st = outpaint_window(model, &job, params, &sp, dst, unknown, wins[i], i, &w);
    if (st != VAR_OK) goto done;
    for (i = 0; i < CW * CH; i++) {
      if (unknown[i]) {
        st = var_fail(ctx, VAR_ERR_BACKEND, "internal error: out-paint windows left pixel %d,%d unfilled",
                      (int)(i % CW), (int)(i / CW));
        goto done;
      }
    }
    var_result_set(res, v, sp.seed, "outpaint", model->name, var_model_class_name(model, params->class_label),
                   params);
  }
done:
  work_free(&w);
  var_free(canvas0.data);
  var_free(unknown0);
  var_free(unknown);
  var_free(wins);
  if (st != VAR_OK) {
    var_result_free(res);
    return st;
  }
  *out = res;
  return VAR_OK;
}

/* ---- generate --------------------------------------------------------------------- */

var_status var_generate(var_model *model, const var_edit_params *params, var_result **out)
{
  var_edit_params def;
  var_result *res = NULL;
  var_window win;
  edit_job job;
  work w;
  int v;
  var_status st;

  memset(&w, 0, sizeof w);
  st = begin_call(model, "var_generate", out, &params, &def);
  if (st != VAR_OK) return st;
  win.x = win.y = 0;
  win.size = model->image_size;
  st = work_alloc(model, &w);
  if (st == VAR_OK) st = var_result_new(model->ctx, params->variants, model->image_size, model->image_size, &res);
  if (st != VAR_OK) goto done;
  job_init(&job, model, params->variants, params->variants * (gen_steps(model) + 1));
  if ((st = job_step(&job, 0, "generate")) != VAR_OK) goto done;
  for (v = 0; v < params->variants; v++) {
    var_sample_params sp = params->sample;
    var_image *dst = var_result_image_mut(res, v);
    sp.seed = params->sample.seed + (uint64_t)v;
    job.variant = v;
    st = job_call_generate(&job, &sp, params->class_label, NULL, NULL, w.out_tokens, w.gen, gen_steps(model));
    if (st != VAR_OK) goto done;
    trace(model, "generate", v, 0, sp.seed, win, NULL, NULL, w.out_tokens, w.gen);
    var_image_from_planar(w.gen, model->image_size, dst->data, (size_t)dst->stride);
    if ((st = job_step(&job, 1, v + 1 < params->variants ? "generate" : "done")) != VAR_OK) goto done;
    var_result_set(res, v, sp.seed, "generate", model->name, var_model_class_name(model, params->class_label),
                   params);
  }
done:
  work_free(&w);
  if (st != VAR_OK) {
    var_result_free(res);
    return st;
  }
  *out = res;
  return VAR_OK;
}
