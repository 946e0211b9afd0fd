"""The loaded model, kept between jobs.

Loading a model maps hundreds of megabytes and builds backend state, so the
engine keeps one context + model pair and reloads only when the model folder,
model name or backend changes.  It is used by one worker thread at a time (the
docker runs one job at a time); cancel() is the only call made from the GUI
thread, and libvar allows exactly that (var_ctx_cancel from any thread).
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Optional

from . import libvar
from .errors import UserError

TRANSFORMER_EXTS = (".pth", ".safetensors")


def transformer_names(folder: str) -> list[str]:
    """File stems of the VAR transformers in a model folder (var_d16, var_d20, ...), sorted by depth."""
    try:
        files = os.listdir(folder)
    except OSError:
        return []
    stems = {os.path.splitext(f)[0] for f in files
             if f.startswith("var_") and f.endswith(TRANSFORMER_EXTS)}

    def depth(stem: str):
        digits = "".join(ch for ch in stem[len("var_d"):] if ch.isdigit())
        return (int(digits) if digits else 1 << 30, stem)

    return sorted(stems, key=depth)


# The CLI's words (tools/var/main.c, `var --help`), so both say the same; a test compares them.
MODEL_FILES = ("put vae_ch160v4096z32.pth and var_d16.pth (or d20, d24, d30, d36) from "
               "https://huggingface.co/FoundationVision/var")


def first_use_hint() -> str:
    """What to do before the first run: which files to put where."""
    try:
        where = libvar.default_model_dir()
    except (libvar.LibraryNotFound, OSError):
        where = ""
    default = f" (libvar's default is {where})" if where else ""
    return (f"No model folder is chosen yet: {MODEL_FILES} into a folder{default} "
            "and choose it under Models.")


def usable_default_folder() -> str:
    """libvar's default model folder when it holds a transformer (else "")."""
    try:
        folder = libvar.default_model_dir()
    except (libvar.LibraryNotFound, OSError):
        return ""
    return folder if folder and transformer_names(folder) else ""


def check_model_folder(folder: str) -> None:
    if not folder:
        raise UserError(first_use_hint())
    if not os.path.isdir(folder):
        raise UserError(f"The model folder {folder} does not exist: {MODEL_FILES} into it, or choose another.")


class Engine:
    """A libvar context and model, (re)loaded on demand in the worker thread."""

    def __init__(self):
        self._lock = threading.Lock()  # guards _ctx against cancel() racing with a reload
        self._cancel = threading.Event()  # outlives contexts: a cancel during loading still counts
        self._ctx: Optional[libvar.Context] = None
        self._model: Optional[libvar.Model] = None
        self._key: Optional[tuple] = None
        self._backend = ""

    def begin_job(self) -> None:
        """Forgets earlier cancel requests.  Called by the GUI thread before it
        starts a worker, so a Cancel clicked right after the start is kept."""
        with self._lock:
            self._cancel.clear()
            if self._ctx is not None:
                self._ctx.begin_job()

    def cancel(self) -> None:
        """Stops the running job (any thread)."""
        with self._lock:
            self._cancel.set()
            if self._ctx is not None:
                self._ctx.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise libvar.VarError(libvar.Status.CANCELLED, "cancelled by the caller")

    def model(self, folder: str, name: str = "", backend: str = "",
              on_stage: Optional[Callable[[str], None]] = None) -> libvar.Model:
        """The model for these settings, loading it (and a context) if needed (worker thread)."""
        key = (os.path.abspath(folder), name or "", backend or "")
        if self._model is not None and self._key == key:
            return self._model
        self._drop_model()
        if self._ctx is not None and self._backend != key[2]:
            self._drop_context()
        if self._ctx is None:
            ctx = libvar.Context(backend=backend or None)
            with self._lock:
                self._ctx, self._backend = ctx, key[2]
                if self._cancel.is_set():
                    ctx.cancel()
        self.raise_if_cancelled()
        if on_stage:
            on_stage("loading the model…")
        self._model = libvar.Model.load_dir(self._ctx, folder, name or None)
        self._key = key
        return self._model

    def set_progress(self, fn) -> None:
        """Progress callback of the next call (worker thread)."""
        if self._ctx is not None:
            self._ctx.set_progress(fn)

    @property
    def backend_name(self) -> str:
        return self._ctx.backend_name if self._ctx is not None else ""

    def _drop_model(self) -> None:
        if self._model is not None:
            self._model.close()
        self._model, self._key = None, None

    def _drop_context(self) -> None:
        with self._lock:
            ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ctx.close()

    def close(self) -> None:
        """Frees the model, then its context (the model uses the context)."""
        self._drop_model()
        self._drop_context()
