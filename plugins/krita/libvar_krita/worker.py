"""Runs a job's libvar call off the GUI thread.

ctypes releases the GIL during foreign calls, so a plain QThread keeps Krita
responsive while libvar computes.  The progress callback runs in that thread
(libvar calls it between scales); it only emits a signal, which Qt queues to
the GUI thread.  Results and errors come back the same way; the job's
apply() step then runs in the GUI thread, where Krita's objects live.
"""

from __future__ import annotations

import traceback

from . import libvar
from .engine import Engine
from .errors import UserError
from .qt import QtCore, pyqtSignal


def describe_progress(title: str, p: libvar.Progress) -> str:
    text = f"{title}: {p.stage}" if p.stage else title
    if p.variants > 1:
        text += f" (variant {p.variant + 1}/{p.variants})"
    return text


class JobThread(QtCore.QThread):
    """One job's run() step.  Exactly one of `succeeded`, `failed` or
    `cancelled` is emitted, then QThread.finished."""

    progress = pyqtSignal(float, str)   # fraction 0..1, status text
    succeeded = pyqtSignal(object)      # list[libvar.ResultImage]
    failed = pyqtSignal(str)            # message for the user
    cancelled = pyqtSignal()

    def __init__(self, job, engine: Engine, parent=None):
        super().__init__(parent)
        self.job = job
        self.engine = engine

    def _on_progress(self, p: libvar.Progress) -> bool:
        self.progress.emit(max(0.0, min(1.0, p.fraction)), describe_progress(self.job.title, p))
        return False  # cancelling goes through Engine.cancel -> var_ctx_cancel

    def run(self) -> None:  # noqa: D401 (QThread entry point)
        try:
            images = self.job.run(self.engine, self._on_progress,
                                  lambda text: self.progress.emit(0.0, f"{self.job.title}: {text}"))
        except libvar.VarError as exc:
            if exc.cancelled:
                self.cancelled.emit()
            else:
                self.failed.emit(f"{self.job.title} failed: {exc.message}")
        except (UserError, libvar.LibraryNotFound) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: say so plainly, keep the details on stderr
            traceback.print_exc()
            self.failed.emit(f"{self.job.title} failed unexpectedly: {exc}")
        else:
            self.succeeded.emit(images)
