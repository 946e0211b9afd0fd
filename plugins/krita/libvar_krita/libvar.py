"""ctypes binding of libvar (core/include/var.h).

The plug-in talks to libvar only through this module, and this module imports
nothing from Krita or Qt, so it can be tested (and used) with a plain Python.
The first half mirrors var.h one to one: enums, structures with the same field
order and types, and every VAR_API prototype with argtypes/restype, so that a
wrong call fails in Python instead of corrupting memory.  The second half wraps
what the plug-in needs in small classes that own their handles and turn a
non-zero var_status into a VarError carrying the library's own message.

The shared library is found, in this order, at $LIBVAR_PATH (a file), next to
this module (a copy shipped inside the plug-in folder), at the path the build
configured for the installed library (_libpath.py, written by meson install),
and finally on the system library path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import os
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

# --------------------------------------------------------------------------
# Enums and constants (var.h)

VAR_MAX_DIMS = 8
VAR_MAX_SCALES = 32
VAR_MAX_IMAGE_SIDE = 32768
VAR_MAX_IMAGE_PIXELS = 1 << 27
VAR_MAX_VARIANTS = 64


class Status(enum.IntEnum):
    """var_status."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO = 2
    FORMAT = 3
    UNSUPPORTED = 4
    SHAPE = 5
    NO_MEMORY = 6
    CANCELLED = 7
    BACKEND = 8
    NOT_FOUND = 9
    NOT_IMPLEMENTED = 10


class LogLevel(enum.IntEnum):
    """var_log_level."""

    ERROR = 0
    WARN = 1
    INFO = 2
    DEBUG = 3


class Fill(enum.IntEnum):
    """var_fill: what the model sees under an in-paint mask or in an out-paint margin."""

    ORIGINAL = 0
    SMOOTH = 1


class DType(enum.IntEnum):
    """var_dtype."""

    F32 = 0
    F16 = 1
    BF16 = 2
    I64 = 3
    I32 = 4
    U8 = 5


# --------------------------------------------------------------------------
# Structures (same field order and C types as var.h)

c_enum = ctypes.c_int  # C enums are int-sized on every ABI Krita runs on


class VarProgress(ctypes.Structure):
    _fields_ = [
        ("fraction", ctypes.c_double),
        ("step", ctypes.c_int),
        ("total_steps", ctypes.c_int),
        ("variant", ctypes.c_int),
        ("variants", ctypes.c_int),
        ("stage", ctypes.c_char_p),
    ]


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, c_enum, ctypes.c_char_p)
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(VarProgress))


class VarCtxParams(ctypes.Structure):
    _fields_ = [
        ("n_threads", ctypes.c_int),
        ("backend", ctypes.c_char_p),
        ("log", LOG_FN),
        ("log_user", ctypes.c_void_p),
        ("log_level", c_enum),
        ("weights", ctypes.c_int),   # a var_weights value; 0 = as stored
    ]


class VarTensorInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", c_enum),
        ("ndim", ctypes.c_int),
        ("shape", ctypes.c_int64 * VAR_MAX_DIMS),
        ("numel", ctypes.c_int64),
    ]


class VarSchedule(ctypes.Structure):
    _fields_ = [
        ("n_scales", ctypes.c_int),
        ("pn", ctypes.c_int * VAR_MAX_SCALES),
    ]

    @property
    def patch_nums(self) -> list[int]:
        return list(self.pn[: max(0, min(self.n_scales, VAR_MAX_SCALES))])


class VarVqvaeInfo(ctypes.Structure):
    _fields_ = [
        ("vocab_size", ctypes.c_int),
        ("z_channels", ctypes.c_int),
        ("ch", ctypes.c_int),
        ("n_levels", ctypes.c_int),
        ("ch_mult", ctypes.c_int * 8),
        ("num_res_blocks", ctypes.c_int),
        ("n_phi", ctypes.c_int),
        ("downsample", ctypes.c_int),
        ("n_params", ctypes.c_int64),
    ]


class VarTransformerInfo(ctypes.Structure):
    _fields_ = [
        ("depth", ctypes.c_int),
        ("width", ctypes.c_int),
        ("heads", ctypes.c_int),
        ("head_dim", ctypes.c_int),
        ("mlp_hidden", ctypes.c_int),
        ("vocab_size", ctypes.c_int),
        ("z_channels", ctypes.c_int),
        ("num_classes", ctypes.c_int),
        ("shared_aln", ctypes.c_int),
        ("schedule", VarSchedule),
        ("n_tokens", ctypes.c_int),
        ("image_size", ctypes.c_int),
        ("n_params", ctypes.c_int64),
    ]


class VarVqvaeAttention(ctypes.Structure):
    _fields_ = [
        ("encoder_last_level", ctypes.c_int),
        ("encoder_mid", ctypes.c_int),
        ("decoder_last_level", ctypes.c_int),
        ("decoder_mid", ctypes.c_int),
    ]


class VarSampleParams(ctypes.Structure):
    _fields_ = [
        ("seed", ctypes.c_uint64),
        ("cfg", ctypes.c_float),
        ("top_k", ctypes.c_int),
        ("top_p", ctypes.c_float),
        ("more_smooth", ctypes.c_int),
    ]


class VarImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("stride", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_uint8)),
    ]


class VarMask(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("stride", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_uint8)),
    ]


class VarModelInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("image_size", ctypes.c_int),
        ("token_cell", ctypes.c_int),
        ("num_classes", ctypes.c_int),
        ("schedule", VarSchedule),
        ("own_class_names", ctypes.c_int),
    ]


class VarEditParams(ctypes.Structure):
    _fields_ = [
        ("sample", VarSampleParams),
        ("class_label", ctypes.c_int),
        ("variants", ctypes.c_int),
        ("context_margin", ctypes.c_int),
        ("mask_grow", ctypes.c_int),
        ("fill", c_enum),
        ("strength", ctypes.c_float),
        ("seamless", ctypes.c_int),
    ]


# Every public struct, by its C name: the layout test compares these with the
# compiler's sizeof/offsetof.
STRUCTS = {
    "var_progress": VarProgress,
    "var_ctx_params": VarCtxParams,
    "var_tensor_info": VarTensorInfo,
    "var_schedule": VarSchedule,
    "var_vqvae_info": VarVqvaeInfo,
    "var_vqvae_attention": VarVqvaeAttention,
    "var_transformer_info": VarTransformerInfo,
    "var_sample_params": VarSampleParams,
    "var_image": VarImage,
    "var_mask": VarMask,
    "var_model_info": VarModelInfo,
    "var_edit_params": VarEditParams,
}

# --------------------------------------------------------------------------
# Prototypes

_p = ctypes.c_void_p  # opaque handles: var_ctx*, var_model*, ...
_pp = ctypes.POINTER(ctypes.c_void_p)  # out-parameters of *_new / *_load
_st = c_enum
_i32p = ctypes.POINTER(ctypes.c_int32)
_fp = ctypes.POINTER(ctypes.c_float)

# name: (restype, argtypes), in var.h order.
PROTOTYPES = {
    "var_version": (ctypes.c_char_p, []),
    "var_strerror": (ctypes.c_char_p, [_st]),
    "var_ctx_params_default": (None, [ctypes.POINTER(VarCtxParams)]),
    "var_ctx_new": (_st, [ctypes.POINTER(VarCtxParams), _pp]),
    "var_ctx_free": (None, [_p]),
    "var_ctx_last_error": (ctypes.c_char_p, [_p]),
    "var_last_init_error": (ctypes.c_char_p, []),
    "var_ctx_backend_name": (ctypes.c_char_p, [_p]),
    "var_backends_available": (ctypes.c_char_p, []),
    "var_ctx_set_progress": (None, [_p, PROGRESS_FN, ctypes.c_void_p]),
    "var_ctx_cancel": (None, [_p]),
    "var_ctx_n_threads": (ctypes.c_int, [_p]),
    "var_checkpoint_open": (_st, [_p, ctypes.c_char_p, _pp]),
    "var_checkpoint_free": (None, [_p]),
    "var_checkpoint_n_tensors": (ctypes.c_int, [_p]),
    "var_checkpoint_tensor": (_st, [_p, ctypes.c_int, ctypes.POINTER(VarTensorInfo)]),
    "var_checkpoint_find": (ctypes.c_int, [_p, ctypes.c_char_p]),
    "var_dtype_name": (ctypes.c_char_p, [c_enum]),
    "var_weights_name": (ctypes.c_char_p, [c_enum]),
    "var_weights_parse": (_st, [ctypes.c_char_p, ctypes.POINTER(c_enum)]),
    "var_checkpoint_convert": (_st, [_p, ctypes.c_char_p, ctypes.c_char_p, c_enum]),
    "var_checkpoint_get_format": (c_enum, [_p]),
    "var_verify_file": (_st, [_p, ctypes.c_char_p]),
    "var_verify_file_once": (_st, [_p, ctypes.c_char_p]),
    "var_schedule_for_image_size": (_st, [ctypes.c_int, ctypes.POINTER(VarSchedule)]),
    "var_schedule_parse": (_st, [ctypes.c_char_p, ctypes.POINTER(VarSchedule)]),
    "var_schedule_tokens": (ctypes.c_int, [ctypes.POINTER(VarSchedule)]),
    "var_checkpoint_vqvae_info": (_st, [_p, ctypes.POINTER(VarVqvaeInfo), ctypes.POINTER(VarVqvaeAttention)]),
    "var_checkpoint_transformer_info": (_st, [_p, ctypes.POINTER(VarSchedule), ctypes.POINTER(VarTransformerInfo)]),
    "var_vqvae_load": (_st, [_p, ctypes.c_char_p, _pp]),
    "var_vqvae_free": (None, [_p]),
    "var_vqvae_get_info": (_st, [_p, ctypes.POINTER(VarVqvaeInfo)]),
    "var_transformer_load": (_st, [_p, ctypes.c_char_p, ctypes.POINTER(VarSchedule), _pp]),
    "var_transformer_free": (None, [_p]),
    "var_transformer_get_info": (_st, [_p, ctypes.POINTER(VarTransformerInfo)]),
    "var_vqvae_encode": (_st, [_p, ctypes.POINTER(VarSchedule), ctypes.c_int, _fp, _i32p]),
    "var_vqvae_decode": (_st, [_p, ctypes.POINTER(VarSchedule), ctypes.c_int, _i32p, _fp]),
    "var_sample_params_default": (None, [ctypes.POINTER(VarSampleParams)]),
    "var_generate_tokens": (
        _st,
        [_p, _p, ctypes.POINTER(VarSampleParams), ctypes.c_int, ctypes.POINTER(ctypes.c_int), _i32p, _fp, _i32p, _fp],
    ),
    "var_model_load": (_st, [_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(VarSchedule), _pp]),
    "var_model_load_dir": (_st, [_p, ctypes.c_char_p, ctypes.c_char_p, _pp]),
    "var_model_free": (None, [_p]),
    "var_model_verify": (_st, [_p]),
    "var_model_vqvae": (_p, [_p]),
    "var_model_transformer": (_p, [_p]),
    "var_default_model_dir": (ctypes.c_char_p, []),
    "var_model_get_info": (_st, [_p, ctypes.POINTER(VarModelInfo)]),
    "var_model_class_name": (ctypes.c_char_p, [_p, ctypes.c_int]),
    "var_model_class_find": (ctypes.c_int, [_p, ctypes.c_char_p]),
    "var_model_dir_class_names": (_st, [_p, ctypes.c_char_p, ctypes.c_char_p, _pp]),
    "var_class_names_free": (None, [_p]),
    "var_class_names_count": (ctypes.c_int, [_p]),
    "var_class_names_own": (ctypes.c_int, [_p]),
    "var_class_names_get": (ctypes.c_char_p, [_p, ctypes.c_int]),
    "var_class_names_find": (ctypes.c_int, [_p, ctypes.c_char_p]),
    "var_edit_params_default": (None, [ctypes.POINTER(VarEditParams)]),
    "var_result_count": (ctypes.c_int, [_p]),
    "var_result_image": (ctypes.POINTER(VarImage), [_p, ctypes.c_int]),
    "var_result_seed": (ctypes.c_uint64, [_p, ctypes.c_int]),
    "var_result_description": (ctypes.c_char_p, [_p, ctypes.c_int]),
    "var_result_free": (None, [_p]),
    "var_inpaint": (_st, [_p, ctypes.POINTER(VarImage), ctypes.POINTER(VarMask), ctypes.POINTER(VarEditParams), _pp]),
    "var_outpaint": (
        _st,
        [_p, ctypes.POINTER(VarImage), ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
         ctypes.POINTER(VarEditParams), _pp],
    ),
    "var_generate": (_st, [_p, ctypes.POINTER(VarEditParams), _pp]),
    "var_imagenet_n_classes": (ctypes.c_int, []),
    "var_imagenet_class_name": (ctypes.c_char_p, [ctypes.c_int]),
    "var_imagenet_class_synonyms": (ctypes.c_char_p, [ctypes.c_int]),
    "var_imagenet_class_find": (ctypes.c_int, [ctypes.c_char_p]),
}

# --------------------------------------------------------------------------
# Loading the shared library

_LIB_NAMES = ("libvar.so.0", "libvar.so", "libvar.dylib", "var.dll", "libvar.dll")
_lib: Optional[ctypes.CDLL] = None
_lib_lock = threading.Lock()


class LibraryNotFound(OSError):
    """libvar could not be loaded; the message lists the places tried."""


def _candidates() -> list[str]:
    """Places to try, most specific first (see the module docstring)."""
    found = []
    env = os.environ.get("LIBVAR_PATH")
    if env:
        found.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    found += [os.path.join(here, name) for name in _LIB_NAMES]
    try:
        from . import _libpath  # written by meson install

        found.append(_libpath.LIBVAR_PATH)
    except ImportError:
        pass
    system = ctypes.util.find_library("var")
    if system:
        found.append(system)
    found += list(_LIB_NAMES)  # bare names: the dynamic loader's own search
    return found


# Krita's process already holds GSL's reference CBLAS (libgslcblas, pulled in
# by Krita itself), loaded globally.  Without deep binding, libvar's
# cblas_sgemm calls would resolve to that slow reference code instead of the
# OpenBLAS libvar was linked with (measured: 30-40x slower generation inside
# Krita).  RTLD_DEEPBIND makes libvar look in its own dependencies first.
_DLOPEN_MODE = ctypes.RTLD_LOCAL | getattr(os, "RTLD_DEEPBIND", 0)


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Returns the loaded libvar (loading it once), or raises LibraryNotFound."""
    global _lib
    with _lib_lock:
        if _lib is not None and path is None:
            return _lib
        tried = []
        for cand in [path] if path else _candidates():
            is_file = os.sep in cand
            if is_file and not os.path.exists(cand):
                tried.append(f"{cand} (missing)")
                continue
            try:
                lib = ctypes.CDLL(cand, mode=_DLOPEN_MODE)
                _declare(lib)
            except (OSError, AttributeError) as exc:
                tried.append(f"{cand} ({exc})")
                continue
            if path is None:
                _lib = lib
            return lib
        raise LibraryNotFound("libvar could not be loaded; tried: " + "; ".join(tried))


def lib() -> ctypes.CDLL:
    return load_library()


def library_path() -> str:
    """File name of the loaded library (for the docker's 'about' line)."""
    return str(lib()._name)


def _s(value: Optional[bytes]) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _b(value: Optional[str]) -> Optional[bytes]:
    return None if value is None else os.fsencode(value)


# --------------------------------------------------------------------------
# Errors


class VarError(Exception):
    """A libvar call failed; `status` is the var_status, `message` the library's reason."""

    def __init__(self, status: int, message: str):
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.message = message or strerror(status)
        super().__init__(self.message)

    @property
    def cancelled(self) -> bool:
        return self.status == Status.CANCELLED


def _error_message(ctx_handle) -> str:
    """The reason of the failure just seen in this thread.

    Functions that reach no context (or stubs) record the reason in the
    thread-local var_last_init_error(); prefer the context's own message."""
    msg = _s(lib().var_ctx_last_error(ctx_handle)) if ctx_handle else ""
    return msg or _s(lib().var_last_init_error())


def _check(status: int, ctx_handle=None) -> None:
    if status != Status.OK:
        raise VarError(status, _error_message(ctx_handle))


# --------------------------------------------------------------------------
# Library-wide queries


def version() -> str:
    return _s(lib().var_version())


def strerror(status: int) -> str:
    return _s(lib().var_strerror(int(status)))


def backends_available() -> list[tuple[str, str]]:
    """Backends of this build and machine as (id for Context(backend=...), label)."""
    out = []
    for line in _s(lib().var_backends_available()).splitlines():
        line = line.strip()
        if line:
            out.append((line.split(" ", 1)[0], line))
    return out


def default_model_dir() -> str:
    return _s(lib().var_default_model_dir())


def imagenet_class_names() -> list[str]:
    n = lib().var_imagenet_n_classes()
    return [_s(lib().var_imagenet_class_name(i)) for i in range(max(0, n))]


def imagenet_class_name(index: int) -> Optional[str]:
    name = lib().var_imagenet_class_name(index)
    return None if name is None else _s(name)


def imagenet_class_synonyms(index: int) -> Optional[str]:
    """All names of a class, comma-separated ("tench, Tinca tinca")."""
    names = lib().var_imagenet_class_synonyms(index)
    return None if names is None else _s(names)


def imagenet_class_find(name: str) -> int:
    return lib().var_imagenet_class_find(name.encode("utf-8"))


def schedule_for_image_size(size: int) -> list[int]:
    sch = VarSchedule()
    _check(lib().var_schedule_for_image_size(size, ctypes.byref(sch)))
    return sch.patch_nums


def schedule_parse(text: str) -> VarSchedule:
    sch = VarSchedule()
    _check(lib().var_schedule_parse(text.encode(), ctypes.byref(sch)))
    return sch


def sample_params_default() -> VarSampleParams:
    p = VarSampleParams()
    lib().var_sample_params_default(ctypes.byref(p))
    return p


def edit_params(**fields) -> VarEditParams:
    """var_edit_params_default() with some fields replaced.

    Keys are those of var_edit_params plus the sampling ones (seed, cfg, top_k,
    top_p, more_smooth), which go into `.sample`."""
    p = VarEditParams()
    lib().var_edit_params_default(ctypes.byref(p))
    sample_keys = {name for name, _ in VarSampleParams._fields_}
    for key, value in fields.items():
        if key in sample_keys:
            setattr(p.sample, key, value)
        elif key in {name for name, _ in VarEditParams._fields_}:
            setattr(p, key, value)
        else:
            raise TypeError(f"unknown edit parameter {key!r}")
    return p


# --------------------------------------------------------------------------
# Context


@dataclass(frozen=True)
class Progress:
    """A copy of var_progress (the C struct is only valid during the callback)."""

    fraction: float
    step: int
    total_steps: int
    variant: int
    variants: int
    stage: str


class _Owned:
    """A C handle freed by `_free` (a libvar function name) on close(), on
    leaving a `with` block, or when garbage-collected."""

    _free = ""
    _what = "handle"
    _handle: Optional[ctypes.c_void_p] = None

    @property
    def handle(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise VarError(Status.INVALID_ARGUMENT, "the %s was closed" % self._what)
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            getattr(lib(), self._free)(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Context(_Owned):
    """A var_ctx.  Use it from one thread at a time; cancel() from any thread."""

    _free = "var_ctx_free"
    _what = "context"

    def __init__(self, backend: Optional[str] = None, n_threads: int = 0,
                 log: Optional[Callable[[LogLevel, str], None]] = None,
                 log_level: LogLevel = LogLevel.WARN):
        L = lib()
        params = VarCtxParams()
        L.var_ctx_params_default(ctypes.byref(params))
        params.n_threads = n_threads
        params.backend = _b(backend) if backend else None
        self._log_cb = None
        if log is not None:
            def _log(_user, level, message, _log=log):
                try:
                    _log(LogLevel(level), _s(message))
                except Exception:  # an exception must not unwind through C
                    pass
            self._log_cb = LOG_FN(_log)
            params.log = self._log_cb
            params.log_level = int(log_level)
        handle = ctypes.c_void_p()
        status = L.var_ctx_new(ctypes.byref(params), ctypes.byref(handle))
        if status != Status.OK:
            raise VarError(status, _s(L.var_last_init_error()))
        self._handle = handle
        self._progress_fn: Optional[Callable[[Progress], bool]] = None
        self._cancel_requested = threading.Event()
        # Always installed, so that a cancel() that came before the library
        # cleared its own flag (at the start of a long call) still stops it.
        self._progress_cb = PROGRESS_FN(self._on_progress)
        L.var_ctx_set_progress(handle, self._progress_cb, None)

    @property
    def backend_name(self) -> str:
        return _s(lib().var_ctx_backend_name(self.handle))

    @property
    def n_threads(self) -> int:
        return lib().var_ctx_n_threads(self.handle)

    @property
    def last_error(self) -> str:
        return _s(lib().var_ctx_last_error(self.handle))

    def set_progress(self, fn: Optional[Callable[[Progress], bool]]) -> None:
        """fn(progress) is called from the thread running the long call; a true
        return value cancels it.  Exceptions in fn are swallowed (and cancel)."""
        self._progress_fn = fn

    def _on_progress(self, _user, p) -> int:
        if self._cancel_requested.is_set():
            return 1
        fn = self._progress_fn
        if fn is None:
            return 0
        c = p.contents
        try:
            stop = fn(Progress(c.fraction, c.step, c.total_steps, c.variant, c.variants, _s(c.stage)))
        except Exception:
            return 1
        return 1 if stop else 0

    def cancel(self) -> None:
        """Asks the running call to stop (any thread).  Unlike var_ctx_cancel
        alone, this also stops a call that has not reached the library yet:
        the request stays until begin_job() is called for the next job."""
        self._cancel_requested.set()
        handle = self._handle
        if handle is not None:
            lib().var_ctx_cancel(handle)

    def begin_job(self) -> None:
        """Forgets an earlier cancel request; call before a new job starts."""
        self._cancel_requested.clear()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested.is_set()

    def _raise_if_cancelled(self) -> None:
        if self._cancel_requested.is_set():
            raise VarError(Status.CANCELLED, "cancelled by the caller")


# --------------------------------------------------------------------------
# Models and results


@dataclass(frozen=True)
class ResultImage:
    """One image of a var_result, copied out of the library (RGBA8, tightly packed)."""

    width: int
    height: int
    rgba: bytes
    seed: int
    description: str


def _make_image(rgba, width: int, height: int):
    """A var_image over a copy of `rgba`; returns (image, buffer) — keep the buffer alive."""
    if width <= 0 or height <= 0 or len(rgba) != width * height * 4:
        raise VarError(Status.INVALID_ARGUMENT,
                       f"image data of {len(rgba)} bytes does not fit {width}x{height} RGBA")
    buf = (ctypes.c_uint8 * len(rgba)).from_buffer_copy(rgba)
    img = VarImage(width, height, width * 4, ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8)))
    return img, buf


def _take_result(handle: ctypes.c_void_p) -> list[ResultImage]:
    """Copies every image of a var_result and frees it."""
    L = lib()
    try:
        images = []
        for i in range(L.var_result_count(handle)):
            ptr = L.var_result_image(handle, i)
            if not ptr:
                raise VarError(Status.INVALID_ARGUMENT, f"result image {i} is missing")
            im = ptr.contents
            w, h, stride = im.width, im.height, im.stride
            raw = ctypes.string_at(im.data, stride * h)
            if stride != 4 * w:
                raw = b"".join(raw[y * stride: y * stride + 4 * w] for y in range(h))
            images.append(ResultImage(w, h, raw, int(L.var_result_seed(handle, i)),
                                      _s(L.var_result_description(handle, i))))
        return images
    finally:
        L.var_result_free(handle)


class Model(_Owned):
    """A var_model (VQ-VAE + transformer) loaded through a Context."""

    _free = "var_model_free"
    _what = "model"

    def __init__(self, ctx: Context, handle: ctypes.c_void_p, source: str):
        self.ctx = ctx
        self._handle = handle
        self.source = source

    @classmethod
    def load(cls, ctx: Context, vae_path: str, transformer_path: str,
             schedule: Optional[VarSchedule] = None) -> "Model":
        handle = ctypes.c_void_p()
        _check(lib().var_model_load(ctx.handle, _b(vae_path), _b(transformer_path),
                                    ctypes.byref(schedule) if schedule is not None else None,
                                    ctypes.byref(handle)), ctx.handle)
        return cls(ctx, handle, transformer_path)

    @classmethod
    def load_dir(cls, ctx: Context, directory: Optional[str] = None, name: Optional[str] = None) -> "Model":
        handle = ctypes.c_void_p()
        _check(lib().var_model_load_dir(ctx.handle, _b(directory), _b(name) if name else None,
                                        ctypes.byref(handle)), ctx.handle)
        return cls(ctx, handle, os.path.join(directory or "", name or ""))

    def verify(self) -> None:
        """Reads both model files end to end once per process (var_model_verify: CRCs,
        finite values); raises VarError naming the damaged file and tensor."""
        _check(lib().var_model_verify(self.handle), self.ctx.handle)

    def info(self) -> VarModelInfo:
        """Name, native size, token cell, number of classes and schedule (var_model_get_info)."""
        info = VarModelInfo()
        _check(lib().var_model_get_info(self.handle, ctypes.byref(info)), self.ctx.handle)
        return info

    @property
    def name(self) -> str:
        return _s(self.info().name)

    def class_name(self, index: int) -> Optional[str]:
        """The model's name of class `index` (classes.txt beside it, or ImageNet's); None if unnamed."""
        name = lib().var_model_class_name(self.handle, index)
        return _s(name) if name is not None else None

    def class_names(self) -> list:
        """[(index, name)] of every named class of this model."""
        named = ((i, self.class_name(i)) for i in range(self.info().num_classes))
        return [(i, n) for i, n in named if n is not None]

    def class_find(self, name: str) -> int:
        """The class named `name` (case-insensitive, or a unique prefix); -1 if none or several."""
        return lib().var_model_class_find(self.handle, name.encode("utf-8"))

    def transformer_info(self) -> VarTransformerInfo:
        info = VarTransformerInfo()
        _check(lib().var_transformer_get_info(lib().var_model_transformer(self.handle), ctypes.byref(info)),
               self.ctx.handle)
        return info

    def vqvae_info(self) -> VarVqvaeInfo:
        info = VarVqvaeInfo()
        _check(lib().var_vqvae_get_info(lib().var_model_vqvae(self.handle), ctypes.byref(info)),
               self.ctx.handle)
        return info

    def _run(self, fn, *args) -> list[ResultImage]:
        self.ctx._raise_if_cancelled()
        out = ctypes.c_void_p()
        status = fn(self.handle, *args, ctypes.byref(out))
        if status != Status.OK:
            _check(status, self.ctx.handle)
        if not out:
            raise VarError(Status.INVALID_ARGUMENT, "the library returned no result")
        return _take_result(out)

    def inpaint(self, rgba: bytes, width: int, height: int, mask: bytes,
                params: Optional[VarEditParams] = None) -> list[ResultImage]:
        """var_inpaint on a tightly packed RGBA8 image and a width x height mask (255 = regenerate)."""
        img, buf = _make_image(rgba, width, height)
        if len(mask) != width * height:
            raise VarError(Status.INVALID_ARGUMENT, f"mask of {len(mask)} bytes does not fit {width}x{height}")
        mbuf = (ctypes.c_uint8 * len(mask)).from_buffer_copy(mask)
        vmask = VarMask(width, height, width, ctypes.cast(mbuf, ctypes.POINTER(ctypes.c_uint8)))
        params = params if params is not None else edit_params()
        return self._run(lib().var_inpaint, ctypes.byref(img), ctypes.byref(vmask), ctypes.byref(params))

    def outpaint(self, rgba: bytes, width: int, height: int, left: int = 0, top: int = 0,
                 right: int = 0, bottom: int = 0, params: Optional[VarEditParams] = None) -> list[ResultImage]:
        """var_outpaint: extends by the margins, or fills alpha-0 pixels when all margins are 0."""
        img, buf = _make_image(rgba, width, height)
        params = params if params is not None else edit_params()
        return self._run(lib().var_outpaint, ctypes.byref(img), left, top, right, bottom, ctypes.byref(params))

    def generate(self, params: Optional[VarEditParams] = None) -> list[ResultImage]:
        """var_generate at the model's native size."""
        params = params if params is not None else edit_params()
        return self._run(lib().var_generate, ctypes.byref(params))


def checkpoint_tensors(ctx: Context, path: str) -> list[tuple[str, str, tuple[int, ...]]]:
    """(name, dtype name, shape) of every tensor of a checkpoint — a cheap way to
    tell whether a file is a readable checkpoint without loading a model."""
    L = lib()
    handle = ctypes.c_void_p()
    _check(L.var_checkpoint_open(ctx.handle, _b(path), ctypes.byref(handle)), ctx.handle)
    try:
        out = []
        info = VarTensorInfo()
        for i in range(L.var_checkpoint_n_tensors(handle)):
            _check(L.var_checkpoint_tensor(handle, i, ctypes.byref(info)), ctx.handle)
            out.append((_s(info.name), _s(L.var_dtype_name(info.dtype)), tuple(info.shape[: info.ndim])))
        return out
    finally:
        L.var_checkpoint_free(handle)


__all__: Sequence[str] = [
    "Status", "LogLevel", "DType", "VarError", "LibraryNotFound", "Context", "Model", "ResultImage",
    "Progress", "load_library", "version", "strerror", "backends_available", "default_model_dir",
    "imagenet_class_names", "imagenet_class_name", "imagenet_class_synonyms",
    "imagenet_class_find", "edit_params",
    "sample_params_default", "schedule_for_image_size", "schedule_parse", "checkpoint_tensors",
]
