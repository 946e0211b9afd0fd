/* ocl_device.c — OpenCL platforms and devices, the device spec, and the
 * per-process shared device: one cl_context per device whose programs are
 * built once, whatever the number of backends (contexts of libvar) using it.
 * PoCL compiles a program in seconds, so building per backend would make
 * every var_ctx_new slow; sharing makes the second one nearly free. */
#include "ocl.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

extern const char var_cl_src_common[], var_cl_src_rng[], var_cl_src_eltwise[], var_cl_src_rows[],
    var_cl_src_attention[], var_cl_src_conv[], var_cl_src_resample[], var_cl_src_vq[], var_cl_src_sample[];

static const struct {
  const char *name;
  const char *src;
  int needs_rng;
} programs[OCL_N_PROGRAMS] = {
  { "eltwise", var_cl_src_eltwise, 0 },
  { "rows", var_cl_src_rows, 0 },
  { "attention", var_cl_src_attention, 0 },
  { "conv", var_cl_src_conv, 0 },
  { "resample", var_cl_src_resample, 0 },
  { "vq", var_cl_src_vq, 0 },
  { "sample", var_cl_src_sample, 1 },
};

static const struct {
  const char *name;
  int program;
} kernels[OCL_N_KERNELS] = {
  { "fill_rows", OCL_PROG_ELTWISE },
  { "scale_2d", OCL_PROG_ELTWISE },
  { "axpby", OCL_PROG_ELTWISE },
  { "activation", OCL_PROG_ELTWISE },
  { "embed_rows", OCL_PROG_ROWS },
  { "add_rows", OCL_PROG_ROWS },
  { "ln_modulate", OCL_PROG_ROWS },
  { "gated_add", OCL_PROG_ROWS },
  { "att_fill_cache", OCL_PROG_ATTENTION },
  { "att_queries", OCL_PROG_ATTENTION },
  { "im2col", OCL_PROG_CONV },
  { "conv_prefill", OCL_PROG_CONV },
  { "group_norm_stats", OCL_PROG_CONV },
  { "group_norm_apply", OCL_PROG_CONV },
  { "upsample2x", OCL_PROG_CONV },
  { "softmax_rows", OCL_PROG_CONV },
  { "resize_area", OCL_PROG_RESAMPLE },
  { "resize_bicubic", OCL_PROG_RESAMPLE },
  { "vq_zsq", OCL_PROG_VQ },
  { "vq_prefill", OCL_PROG_VQ },
  { "vq_argmin", OCL_PROG_VQ },
  { "codebook_gather_cm", OCL_PROG_VQ },
  { "select_cm", OCL_PROG_VQ },
  { "cm_to_tokens", OCL_PROG_VQ },
  { "cfg_combine", OCL_PROG_SAMPLE },
  { "sample_keys", OCL_PROG_SAMPLE },
  { "bitonic_step", OCL_PROG_SAMPLE },
  { "sample_select", OCL_PROG_SAMPLE },
  { "gumbel_mix", OCL_PROG_SAMPLE },
};

void ocl_kernel_info(int k, const char **name, int *program)
{
  *name = kernels[k].name;
  *program = kernels[k].program;
}

const char *ocl_error_name(cl_int err)
{
  switch (err) {
#define E(x) \
  case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
    E(CL_DEVICE_PARTITION_FAILED) E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT)
    E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE) E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY)
    E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
    E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE)
    E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT)
    E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_MIP_LEVEL)
    E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY) E(CL_INVALID_IMAGE_DESCRIPTOR)
    E(CL_INVALID_COMPILER_OPTIONS) E(CL_INVALID_LINKER_OPTIONS) E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
  case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
  default: return "unknown OpenCL error";
  }
}

const char *ocl_clblast_error_name(int status)
{
  switch (status) {
  case CLBlastNotImplemented: return "CLBlastNotImplemented";
  case CLBlastInvalidMatrixA: return "CLBlastInvalidMatrixA";
  case CLBlastInvalidMatrixB: return "CLBlastInvalidMatrixB";
  case CLBlastInvalidMatrixC: return "CLBlastInvalidMatrixC";
  case CLBlastInvalidDimension: return "CLBlastInvalidDimension";
  case CLBlastInvalidLeadDimA: return "CLBlastInvalidLeadDimA";
  case CLBlastInvalidLeadDimB: return "CLBlastInvalidLeadDimB";
  case CLBlastInvalidLeadDimC: return "CLBlastInvalidLeadDimC";
  case CLBlastInsufficientMemoryA: return "CLBlastInsufficientMemoryA";
  case CLBlastInsufficientMemoryB: return "CLBlastInsufficientMemoryB";
  case CLBlastInsufficientMemoryC: return "CLBlastInsufficientMemoryC";
  case CLBlastInsufficientMemoryTemp: return "CLBlastInsufficientMemoryTemp";
  case CLBlastInvalidLocalMemUsage: return "CLBlastInvalidLocalMemUsage";
  case CLBlastDatabaseError: return "CLBlastDatabaseError";
  case CLBlastUnknownError: return "CLBlastUnknownError";
  case CLBlastUnexpectedError: return "CLBlastUnexpectedError";
  default: return status > -1000 ? ocl_error_name(status) : "unknown CLBlast error";
  }
}

/* ---- enumeration ---------------------------------------------------------- */

#define MAX_DEVICES 64

typedef struct {
  cl_platform_id platform;
  cl_device_id device;
  cl_device_type type;
  char name[160], platform_name[160];
} dev_entry;

/* PoCL's first platform query is not thread-safe (two threads asking at once
 * crashed in its initialisation): queries go one at a time. */
static pthread_mutex_t enumerate_lock = PTHREAD_MUTEX_INITIALIZER;

static cl_int enumerate_locked(dev_entry *out, int max, int *n);

/* Every device of every platform, in platform order.  0 on success, else the
 * OpenCL error of the platform query (no platform at all is an error). */
static cl_int enumerate(dev_entry *out, int max, int *n)
{
  cl_int err;
  pthread_mutex_lock(&enumerate_lock);
  err = enumerate_locked(out, max, n);
  pthread_mutex_unlock(&enumerate_lock);
  return err;
}

static cl_int enumerate_locked(dev_entry *out, int max, int *n)
{
  cl_platform_id plats[16];
  cl_uint np = 0, p;
  cl_int err = clGetPlatformIDs(16, plats, &np);
  *n = 0;
  if (err != CL_SUCCESS) return err;
  if (np == 0) return -1001;
  for (p = 0; p < np && p < 16; p++) {
    cl_device_id devs[MAX_DEVICES];
    cl_uint nd = 0, d;
    char pname[160] = "";
    if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd) != CL_SUCCESS) continue;
    if (clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL) != CL_SUCCESS)
      snprintf(pname, sizeof pname, "platform %u", p);
    for (d = 0; d < nd && d < MAX_DEVICES && *n < max; d++) {
      dev_entry *e = &out[*n];
      memset(e, 0, sizeof *e);
      e->platform = plats[p];
      e->device = devs[d];
      snprintf(e->platform_name, sizeof e->platform_name, "%s", pname);
      if (clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof e->name - 1, e->name, NULL) != CL_SUCCESS)
        snprintf(e->name, sizeof e->name, "device %d", *n);
      if (clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof e->type, &e->type, NULL) != CL_SUCCESS) e->type = 0;
      (*n)++;
    }
  }
  return CL_SUCCESS;
}

const char *var_backend_opencl_list(void)
{
  static VAR_THREAD_LOCAL char list[4096];
  dev_entry devs[MAX_DEVICES];
  int n = 0, i;
  size_t len = 0;
  list[0] = '\0';
  if (enumerate(devs, MAX_DEVICES, &n) != CL_SUCCESS) return list;
  for (i = 0; i < n && len < sizeof list; i++) {
    int w = snprintf(list + len, sizeof list - len, "%sopencl:%d %s (%s)", i ? "\n" : "", i, devs[i].name,
                     devs[i].platform_name);
    if (w < 0) break;
    len += (size_t)w;
  }
  return list;
}

static int contains_nocase(const char *hay, const char *needle)
{
  size_t i, j, nl = strlen(needle);
  if (!nl) return 1;
  for (i = 0; hay[i]; i++) {
    for (j = 0; j < nl && hay[i + j]; j++)
      if (tolower((unsigned char)hay[i + j]) != tolower((unsigned char)needle[j])) break;
    if (j == nl) return 1;
  }
  return 0;
}

static var_status select_device(var_ctx *ctx, const char *spec, dev_entry *devs, int n, int *pick)
{
  int i;
  *pick = -1;
  if (!spec || !*spec) {
    for (i = 0; i < n && *pick < 0; i++)
      if (devs[i].type & CL_DEVICE_TYPE_GPU) *pick = i;
    if (*pick < 0) *pick = 0;
    return VAR_OK;
  }
  for (i = 0; spec[i] && isdigit((unsigned char)spec[i]); i++) continue;
  if (!spec[i] && i < 6) {
    int idx = atoi(spec);
    if (idx >= n)
      return var_fail(ctx, VAR_ERR_BACKEND, "OpenCL device %d does not exist (this machine has %d: %s)", idx, n,
                      var_backend_opencl_list());
    *pick = idx;
    return VAR_OK;
  }
  for (i = 0; i < n && *pick < 0; i++)
    if (contains_nocase(devs[i].name, spec)) *pick = i;
  for (i = 0; i < n && *pick < 0; i++)
    if (contains_nocase(devs[i].platform_name, spec)) *pick = i;
  if (*pick < 0)
    return var_fail(ctx, VAR_ERR_BACKEND, "no OpenCL device matches \"%s\" (devices: %s)", spec,
                    var_backend_opencl_list());
  return VAR_OK;
}

/* ---- the shared device registry ------------------------------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static ocl_device *registry[MAX_DEVICES];

static var_status open_device(var_ctx *ctx, const dev_entry *e, int index, ocl_device **out)
{
  ocl_device *dev = calloc(1, sizeof *dev);
  pthread_mutex_t *mu = malloc(sizeof *mu);
  cl_context_properties props[3];
  cl_int err;
  size_t max_wg = 0, ext_len = 0;
  cl_ulong max_alloc = 0;
  char *ext = NULL;
  *out = NULL;
  if (!dev || !mu) {
    free(dev);
    free(mu);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  }
  pthread_mutex_init(mu, NULL);
  dev->lock = mu;
  dev->index = index;
  dev->platform = e->platform;
  dev->device = e->device;
  snprintf(dev->name, sizeof dev->name, "%s", e->name);
  snprintf(dev->platform_name, sizeof dev->platform_name, "%s", e->platform_name);
  props[0] = CL_CONTEXT_PLATFORM;
  props[1] = (cl_context_properties)e->platform;
  props[2] = 0;
  dev->context = clCreateContext(props, 1, &e->device, NULL, NULL, &err);
  if (err != CL_SUCCESS) {
    pthread_mutex_destroy(mu);
    free(mu);
    free(dev);
    return var_fail(ctx, VAR_ERR_BACKEND, "OpenCL device \"%s\": clCreateContext: %s", e->name, ocl_error_name(err));
  }
  if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL) != CL_SUCCESS)
    max_wg = 64;
  if (clGetDeviceInfo(e->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL) != CL_SUCCESS)
    max_alloc = 128u << 20;
  dev->max_alloc = (size_t)max_alloc;
  if (clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len) == CL_SUCCESS && (ext = malloc(ext_len + 1))) {
    if (clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL) == CL_SUCCESS) {
      ext[ext_len] = '\0';
      dev->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    }
    free(ext);
  }
  /* Row kernels reduce over a work-group of a fixed power-of-two size. */
  dev->wg = 256;
  while ((size_t)dev->wg > max_wg && dev->wg > 1) dev->wg /= 2;
  /* No -cl-fast-relaxed-math: the ops must follow the CPU backend's rounding
   * closely (argmin and sampling decisions depend on it). */
  snprintf(dev->options, sizeof dev->options, "-cl-std=CL1.2 -DVAR_WG=%d", dev->wg);
  *out = dev;
  return VAR_OK;
}

static void close_device(ocl_device *dev)
{
  int p;
  for (p = 0; p < OCL_N_PROGRAMS; p++)
    if (dev->programs[p]) clReleaseProgram(dev->programs[p]);
  clReleaseContext(dev->context);
  pthread_mutex_destroy(dev->lock);
  free(dev->lock);
  free(dev);
}

var_status ocl_device_acquire(var_ctx *ctx, const char *spec, ocl_device **out)
{
  dev_entry devs[MAX_DEVICES];
  int n = 0, pick;
  cl_int err;
  var_status s = VAR_OK;
  *out = NULL;
  pthread_mutex_lock(&registry_lock);
  err = enumerate(devs, MAX_DEVICES, &n);
  if (err == -1001 || (err == CL_SUCCESS && n == 0))
    s = var_fail(ctx, VAR_ERR_BACKEND,
                 "OpenCL backend: no OpenCL platform or device found (%s); install an OpenCL driver (ICD) such as "
                 "PoCL, or use the cpu backend",
                 err == CL_SUCCESS ? "no devices" : ocl_error_name(err));
  else if (err != CL_SUCCESS)
    s = var_fail(ctx, VAR_ERR_BACKEND, "OpenCL backend: clGetPlatformIDs: %s", ocl_error_name(err));
  if (s == VAR_OK) s = select_device(ctx, spec, devs, n, &pick);
  if (s == VAR_OK) {
    if (!registry[pick]) s = open_device(ctx, &devs[pick], pick, &registry[pick]);
    if (s == VAR_OK) {
      registry[pick]->refs++;
      *out = registry[pick];
    }
  }
  pthread_mutex_unlock(&registry_lock);
  return s;
}

void ocl_device_release(ocl_device *dev)
{
  int i, any = 0;
  if (!dev) return;
  pthread_mutex_lock(&registry_lock);
  if (--dev->refs == 0) {
    registry[dev->index] = NULL;
    close_device(dev);
    for (i = 0; i < MAX_DEVICES; i++) any |= registry[i] != NULL;
    /* CLBlast caches programs per context and keeps the contexts alive; with
     * no device left in use, let it drop them too. */
    if (!any) CLBlastClearCache();
  }
  pthread_mutex_unlock(&registry_lock);
}

var_status ocl_device_program(var_ctx *ctx, ocl_device *dev, int program, cl_program *out)
{
  const char *srcs[3];
  cl_uint ns = 0;
  cl_int err;
  var_status s = VAR_OK;
  pthread_mutex_lock(dev->lock);
  if (!dev->programs[program]) {
    cl_program p;
    srcs[ns++] = var_cl_src_common;
    if (programs[program].needs_rng) srcs[ns++] = var_cl_src_rng;
    srcs[ns++] = programs[program].src;
    p = clCreateProgramWithSource(dev->context, ns, srcs, NULL, &err);
    if (err != CL_SUCCESS) {
      s = var_fail(ctx, VAR_ERR_BACKEND, "OpenCL program %s: clCreateProgramWithSource: %s", programs[program].name,
                   ocl_error_name(err));
    } else if ((err = clBuildProgram(p, 1, &dev->device, dev->options, NULL, NULL)) != CL_SUCCESS) {
      char log[600] = "";
      size_t len = 0;
      clGetProgramBuildInfo(p, dev->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &len);
      log[sizeof log - 1] = '\0';
      s = var_fail(ctx, VAR_ERR_BACKEND, "OpenCL program %s: clBuildProgram: %s: %s", programs[program].name,
                   ocl_error_name(err), log);
      clReleaseProgram(p);
    } else {
      dev->programs[program] = p;
    }
  }
  *out = dev->programs[program];
  pthread_mutex_unlock(dev->lock);
  return s;
}
