"""The docker's contents: a plain QWidget, so it can be built and driven
without a Krita main window (the headless test does exactly that).

The panel owns one Engine (the loaded model) and runs at most one job at a
time: the action buttons are disabled while a JobThread works, and Cancel
calls Engine.cancel() from the GUI thread.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Callable, Optional

from . import edits, libvar
from .engine import Engine, first_use_hint, transformer_names, usable_default_folder
from .errors import UserError
from .qt import Qt, QtWidgets, pyqtSignal
from .settings import Persisted
from .worker import JobThread

UNCONDITIONAL = "(none: unconditional)"
SMALLEST = "(smallest in the folder)"
DEFAULT_BACKEND = "(default: $VAR_BACKEND or cpu)"


def _library_defaults() -> edits.Settings:
    p = libvar.edit_params()
    s = p.sample
    return edits.Settings(cfg=float(s.cfg), top_k=int(s.top_k), top_p=float(s.top_p), seed=int(s.seed),
                          variants=max(1, int(p.variants)), more_smooth=bool(s.more_smooth),
                          keep_masked=p.fill == libvar.Fill.ORIGINAL, strength=float(p.strength),
                          seamless=bool(p.seamless))


class VarPanel(QtWidgets.QWidget):
    """Model, sampling settings, the three actions, progress and Cancel."""

    job_done = pyqtSignal(str, list)    # kind, new layers (for scripts and tests)
    job_failed = pyqtSignal(str, str)   # kind, message ("cancelled" when cancelled)

    def __init__(self, document_provider: Optional[Callable[[], object]] = None, store=None, parent=None):
        super().__init__(parent)
        if document_provider is None:
            from krita import Krita

            document_provider = lambda: Krita.instance().activeDocument()  # noqa: E731
        self.document_provider = document_provider
        self.dialogs = True        # errors also as a QMessageBox (off in tests)
        self.engine = Engine()
        self.thread: Optional[JobThread] = None
        self.job = None
        self._started = 0.0
        self.persisted = Persisted(store)
        self._names_ctx = None     # a context and model kept open only for a model's own class names
        self._names_model = None
        self._build()
        self._load_settings()
        # Quitting Krita while a job runs must not destroy a running QThread
        QtWidgets.QApplication.instance().aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.model_dir = QtWidgets.QLineEdit()
        self.model_dir.setPlaceholderText("folder with vae_*.pth and var_d*.pth")
        self.model_dir.editingFinished.connect(self._refresh_models)
        browse = QtWidgets.QToolButton()
        browse.setText("…")
        browse.setToolTip("Choose the model folder")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.model_dir)
        row.addWidget(browse)
        form.addRow("Models", row)

        self.model_name = QtWidgets.QComboBox()
        form.addRow("Model", self.model_name)

        self.backend = QtWidgets.QComboBox()
        self.backend.addItem(DEFAULT_BACKEND, "")
        form.addRow("Backend", self.backend)

        self.class_box = QtWidgets.QComboBox()
        self.class_box.setEditable(True)
        self.class_box.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.class_box.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.class_box.setMinimumContentsLength(12)
        form.addRow("Class", self.class_box)

        self.cfg = QtWidgets.QDoubleSpinBox()
        self.cfg.setRange(0.0, 50.0)
        self.cfg.setSingleStep(0.5)
        self.cfg.setToolTip("Classifier-free guidance: how strongly the class steers the image")
        form.addRow("CFG", self.cfg)

        self.top_k = QtWidgets.QSpinBox()
        self.top_k.setRange(0, 1_000_000)
        self.top_k.setSpecialValueText("off")
        form.addRow("Top-k", self.top_k)

        self.top_p = QtWidgets.QDoubleSpinBox()
        self.top_p.setRange(0.0, 1.0)
        self.top_p.setDecimals(3)
        self.top_p.setSingleStep(0.05)
        self.top_p.setSpecialValueText("off")
        form.addRow("Top-p", self.top_p)

        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 2)
        dice = QtWidgets.QToolButton()
        dice.setText("Randomise")
        dice.clicked.connect(lambda: self.seed.setValue(edits.random_seed()))
        self.random_each = QtWidgets.QCheckBox("new each run")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.seed, 1)
        row.addWidget(dice)
        row.addWidget(self.random_each)
        form.addRow("Seed", row)

        self.variants = QtWidgets.QSpinBox()
        self.variants.setRange(1, 16)
        self.variants.setToolTip("Number of results (seeds seed, seed+1, ...), one layer each")
        form.addRow("Variants", self.variants)

        self.more_smooth = QtWidgets.QCheckBox("smoother sampling (Gumbel)")
        form.addRow("", self.more_smooth)

        self.strength = QtWidgets.QDoubleSpinBox()
        self.strength.setRange(0.0, 1.0)
        self.strength.setDecimals(2)
        self.strength.setSingleStep(0.05)
        self.strength.setToolTip("In-paint and out-paint: the share of the scales regenerated, finest first. "
                                 "1 = all (the original VAR); lower keeps the coarse layout of the (filled) area.")
        form.addRow("Strength", self.strength)

        self.keep_masked = QtWidgets.QCheckBox("keep what is under the selection (original VAR)")
        self.keep_masked.setToolTip("Off: the selected pixels are replaced by a smooth fill from their surroundings "
                                    "before the image is encoded, so the old content does not leak into the "
                                    "in-paint.  On: they are encoded as they are.")
        form.addRow("", self.keep_masked)
        self.seamless = QtWidgets.QCheckBox("match colours at the edge (seamless blend)")
        self.seamless.setToolTip("On: the new pixels are shifted by a smooth colour correction so that they meet "
                                 "their surroundings without a visible edge.  Off: pasted as the model decoded "
                                 "them (the original VAR).")
        form.addRow("", self.seamless)

        self.margins = []
        row = QtWidgets.QHBoxLayout()
        for side in ("left", "top", "right", "bottom"):
            box = QtWidgets.QSpinBox()
            box.setRange(0, 8192)
            box.setPrefix(side[0].upper() + " ")
            box.setToolTip(f"Out-paint: pixels to add on the {side}; all 0 = fill the transparent areas")
            self.margins.append(box)
            row.addWidget(box)
        form.addRow("Margins", row)

        self.inpaint_button = QtWidgets.QPushButton("In-paint")
        self.inpaint_button.setToolTip("Regenerate the selected area")
        self.outpaint_button = QtWidgets.QPushButton("Out-paint")
        self.outpaint_button.setToolTip("Extend by the margins, or fill transparent areas")
        self.generate_button = QtWidgets.QPushButton("Generate")
        self.generate_button.setToolTip("A new image of the class, at the model's size")
        self.inpaint_button.clicked.connect(lambda: self.start("inpaint"))
        self.outpaint_button.clicked.connect(lambda: self.start("outpaint"))
        self.generate_button.clicked.connect(lambda: self.start("generate"))
        actions = QtWidgets.QHBoxLayout()
        for b in (self.inpaint_button, self.outpaint_button, self.generate_button):
            actions.addWidget(b)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        prow = QtWidgets.QHBoxLayout()
        prow.addWidget(self.progress, 1)
        prow.addWidget(self.cancel_button)

        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addLayout(prow)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def _fill_classes(self) -> None:
        """The model's own class names (classes.txt beside it) when it has them, else ImageNet's."""
        current = self.class_box.currentData()
        self.class_box.clear()
        self.class_box.addItem(UNCONDITIONAL, -1)
        if self._names_model is not None:
            for i, name in self._names_model.class_names():
                self.class_box.addItem(f"{i}: {name}", i)
        else:
            for i, name in enumerate(libvar.imagenet_class_names()):
                # every synonym is searchable: "Tinca" finds "0: tench, Tinca tinca"
                self.class_box.addItem(f"{i}: {libvar.imagenet_class_synonyms(i) or name}", i)
        self._select_data(self.class_box, current if current is not None else -1)

    def _refresh_classes(self) -> None:
        """Opens the folder's model (mmapped: milliseconds) to see whether it names its own classes."""
        if self._names_model is not None:
            self._names_model.close()
            self._names_model = None
        folder = self.model_dir.text().strip()
        if folder:
            try:
                if self._names_ctx is None:
                    self._names_ctx = libvar.Context(backend="cpu", n_threads=1)
                model = libvar.Model.load_dir(self._names_ctx, folder, self.model_name.currentData() or None)
                if model.info().own_class_names > 0:
                    self._names_model = model
                else:
                    model.close()
            except (libvar.LibraryNotFound, libvar.VarError, OSError):
                pass   # no usable model here (yet): ImageNet's names; the actions report the problem
        self._fill_classes()

    def _fill_from_library(self) -> edits.Settings:
        """Backends and default values come from libvar itself (class names: set_settings fills them
        for the model folder)."""
        completer = QtWidgets.QCompleter(self.class_box.model(), self.class_box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.PopupCompletion)
        self.class_box.setCompleter(completer)
        for ident, label in libvar.backends_available():
            self.backend.addItem(label, ident)
        return _library_defaults()

    def _load_settings(self) -> None:
        try:
            base = self._fill_from_library()
        except (libvar.LibraryNotFound, libvar.VarError, OSError) as exc:
            self._set_busy(False)
            for b in (self.inpaint_button, self.outpaint_button, self.generate_button):
                b.setEnabled(False)
            self.show_message(f"libvar could not be loaded: {exc}", error=True, dialog=False)
            return
        settings, random_each = self.persisted.load(base)
        if not settings.model_dir:
            settings = settings.replace(model_dir=usable_default_folder())
        self.set_settings(settings, random_each)
        if settings.model_dir:
            self.show_message(f"libvar {libvar.version()} ({os.path.basename(libvar.library_path())})")
        else:  # first use: say what to download before the first click fails
            self.show_message(first_use_hint())

    # --------------------------------------------------------- settings <-> UI

    def set_settings(self, s: edits.Settings, random_each: bool = False) -> None:
        self.model_dir.setText(s.model_dir)
        self._refresh_models()
        self._select_data(self.model_name, s.model_name)
        self._select_data(self.backend, s.backend)
        self._select_data(self.class_box, s.class_label)
        self.cfg.setValue(s.cfg or 0.0)
        self.top_k.setValue(s.top_k or 0)
        self.top_p.setValue(s.top_p or 0.0)
        self.seed.setValue(max(0, min(s.seed, self.seed.maximum())))
        self.variants.setValue(s.variants)
        self.more_smooth.setChecked(bool(s.more_smooth))
        self.keep_masked.setChecked(bool(s.keep_masked))
        self.seamless.setChecked(bool(s.seamless))
        self.strength.setValue(s.strength if s.strength is not None else 1.0)
        for box, value in zip(self.margins, s.margins):
            box.setValue(value)
        self.random_each.setChecked(random_each)

    def settings(self) -> edits.Settings:
        return edits.Settings(
            model_dir=self.model_dir.text().strip(),
            model_name=self.model_name.currentData() or "",
            backend=self.backend.currentData() or "",
            class_label=self.class_label(),
            cfg=self.cfg.value(), top_k=self.top_k.value(), top_p=self.top_p.value(),
            seed=self.seed.value(), variants=self.variants.value(), more_smooth=self.more_smooth.isChecked(),
            keep_masked=self.keep_masked.isChecked(), strength=self.strength.value(),
            seamless=self.seamless.isChecked(), margins=tuple(box.value() for box in self.margins))

    def class_label(self) -> int:
        """The picked class; typed text is matched like libvar does (prefix, synonym)."""
        text = self.class_box.currentText().strip()
        index = self.class_box.findText(text)
        if index >= 0:
            return int(self.class_box.itemData(index))
        if not text or text == UNCONDITIONAL:
            return -1
        if text.split(":", 1)[0].isdigit():
            return int(text.split(":", 1)[0])
        if self._names_model is not None:
            found = self._names_model.class_find(text)
            if found < 0:
                raise UserError(f"No class of this model matches “{text}” (or more than one does).")
            return found
        found = libvar.imagenet_class_find(text)
        if found < 0:
            raise UserError(f"No ImageNet class matches “{text}” (or more than one does).")
        return found

    @staticmethod
    def _select_data(combo: QtWidgets.QComboBox, data) -> None:
        index = combo.findData(data)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _refresh_models(self) -> None:
        current = self.model_name.currentData()
        self.model_name.clear()
        self.model_name.addItem(SMALLEST, "")
        for stem in transformer_names(self.model_dir.text().strip()):
            self.model_name.addItem(stem, stem)
        self._select_data(self.model_name, current or "")
        self._refresh_classes()

    def _browse(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "VAR model folder",
                                                            self.model_dir.text() or libvar.default_model_dir())
        if folder:
            self.model_dir.setText(folder)
            self._refresh_models()

    # ------------------------------------------------------------------ jobs

    def start(self, kind: str) -> bool:
        """Starts an action on the active document; False (with a message) when it cannot."""
        if self.thread is not None:
            self.show_message("A job is already running.", error=True, dialog=False)
            return False
        try:
            if self.random_each.isChecked():
                self.seed.setValue(edits.random_seed())
            settings = self.settings()
            self.persisted.save(settings, self.random_each.isChecked())
            doc = self.document_provider() if kind != "generate" else None
            self.job = edits.JOBS[kind].prepare(doc, settings)
        except (UserError, libvar.VarError, libvar.LibraryNotFound) as exc:
            self._report_failure(kind, str(exc))
            return False
        except Exception as exc:
            traceback.print_exc()
            self._report_failure(kind, f"Unexpected error: {exc}")
            return False
        self.engine.begin_job()
        self.thread = JobThread(self.job, self.engine, self)
        self.thread.progress.connect(self._on_progress)
        self.thread.succeeded.connect(self._on_succeeded)
        self.thread.failed.connect(self._on_failed)
        self.thread.cancelled.connect(self._on_cancelled)
        self.thread.finished.connect(self._on_thread_finished)
        self._started = time.monotonic()
        self._set_busy(True)
        self.show_message(f"{self.job.title}…")
        self.thread.start()
        return True

    def cancel(self) -> None:
        if self.thread is not None:
            self.engine.cancel()
            self.cancel_button.setEnabled(False)
            self.show_message("Cancelling…")

    @property
    def busy(self) -> bool:
        return self.thread is not None

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _on_succeeded(self, images) -> None:
        job = self.job
        try:
            layers = job.apply(images)
        except UserError as exc:
            self._report_failure(job.kind, str(exc))
            return
        except Exception as exc:
            traceback.print_exc()
            self._report_failure(job.kind, f"Adding the result failed: {exc}")
            return
        seconds = time.monotonic() - self._started
        self.progress.setValue(1000)
        n = len(layers)
        self.show_message(f"{job.title}: {n} layer{'s' if n != 1 else ''} added in {seconds:.1f} s"
                          f" ({job.used}).")
        self.job_done.emit(job.kind, layers)

    def _on_failed(self, message: str) -> None:
        self._report_failure(self.job.kind, message)

    def _on_cancelled(self) -> None:
        self.progress.setValue(0)
        self.show_message(f"{self.job.title} cancelled.")
        self.job_failed.emit(self.job.kind, "cancelled")

    def _on_thread_finished(self) -> None:
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.deleteLater()
        self._set_busy(False)

    def _report_failure(self, kind: str, message: str) -> None:
        self.progress.setValue(0)
        self.show_message(message, error=True)
        self.job_failed.emit(kind, message)

    def _set_busy(self, busy: bool) -> None:
        for b in (self.inpaint_button, self.outpaint_button, self.generate_button):
            b.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def show_message(self, text: str, error: bool = False, dialog: bool = True) -> None:
        self.status.setStyleSheet("color: #d04040;" if error else "")
        self.status.setText(text)
        if error and dialog and self.dialogs:
            QtWidgets.QMessageBox.warning(self, "libvar", text)

    # --------------------------------------------------------------- teardown

    def shutdown(self) -> None:
        """Stops a running job and frees the model (Krita is quitting or the docker is going away)."""
        if self._names_model is not None:
            self._names_model.close()
            self._names_model = None
        thread, self.thread = self.thread, None
        if thread is not None:
            self.engine.cancel()
            try:
                thread.wait()
            except RuntimeError:  # the QThread's C++ side is already gone
                pass
        self.engine.close()
