"""The docker's three actions — in-paint, out-paint, generate — without any GUI.

Each action is a job in three steps, so that only the middle one leaves the
GUI thread:

    job = InpaintJob.prepare(doc, settings)   # GUI thread: checks, snapshot
    images = job.run(engine, on_progress)     # worker thread: libvar only
    layers = job.apply(images)                # GUI thread: new layers

run_now() chains the three in the calling thread; the headless Krita test and
scripts use it, the docker runs step two in a QThread (worker.py).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import document, libvar, pixels
from .engine import Engine, check_model_folder
from .errors import UserError

ProgressFn = Callable[[libvar.Progress], bool]


@dataclass
class Settings:
    """Everything the docker's fields hold.  Sampling fields set to None keep
    libvar's defaults (var_edit_params_default)."""

    model_dir: str = ""
    model_name: str = ""          # transformer file stem; "" = the smallest in the folder
    backend: str = ""             # "" = $VAR_BACKEND or cpu
    class_label: int = -1         # -1 = unconditional
    cfg: Optional[float] = None
    top_k: Optional[int] = None
    top_p: Optional[float] = None
    seed: int = 0
    variants: int = 1
    more_smooth: bool = False
    keep_masked: bool = False     # encode what is under the mask as it is (VAR_FILL_ORIGINAL), not a smooth fill
    strength: Optional[float] = None  # share of the scales regenerated in the mask (None: libvar's default, 1)
    seamless: bool = True         # correct the new pixels' colours to meet the surroundings (off: paste as decoded)
    margins: tuple = field(default=(0, 0, 0, 0))  # out-paint: left, top, right, bottom

    def edit_params(self) -> libvar.VarEditParams:
        p = libvar.edit_params(seed=self.seed, class_label=self.class_label,
                               variants=max(1, self.variants), more_smooth=int(self.more_smooth),
                               fill=libvar.Fill.ORIGINAL if self.keep_masked else libvar.Fill.SMOOTH,
                               seamless=int(self.seamless))
        if self.cfg is not None:
            p.sample.cfg = self.cfg
        if self.top_k is not None:
            p.sample.top_k = self.top_k
        if self.top_p is not None:
            p.sample.top_p = self.top_p
        if self.strength is not None:
            p.strength = self.strength
        return p

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def random_seed() -> int:
    """A seed that fits the docker's spin box (and a C int, for any binding)."""
    return random.randrange(0, 2**31 - 1)


def _describe(kind: str, image: libvar.ResultImage) -> str:
    return image.description or f"VAR {kind} seed={image.seed}"


class Job:
    """One action on one document; see the module docstring."""

    kind = ""        # as in libvar's descriptions: inpaint, outpaint, generate
    title = ""       # for the docker's status line

    def __init__(self, doc, settings: Settings):
        self.doc = doc
        self.settings = settings
        self.used = ""  # "var_d16 on cpu", once run

    def run(self, engine: Engine, on_progress: Optional[ProgressFn] = None,
            on_stage: Optional[Callable[[str], None]] = None) -> list[libvar.ResultImage]:
        """Loads the model if needed and calls libvar (any thread but the GUI's).
        on_stage(text) is told when a (slow) model load starts."""
        s = self.settings
        model = engine.model(s.model_dir, s.model_name, s.backend, on_stage)
        self.used = f"{model.name} on {engine.backend_name}"
        engine.set_progress(on_progress)
        try:
            engine.raise_if_cancelled()
            return self.compute(model, s.edit_params())
        finally:
            engine.set_progress(None)

    def compute(self, model: libvar.Model, params: libvar.VarEditParams) -> list[libvar.ResultImage]:
        raise NotImplementedError

    def apply(self, images: list[libvar.ResultImage]) -> list:
        raise NotImplementedError

    def _check_still_open(self) -> None:
        if not document.is_open(self.doc):
            raise UserError("The image was closed before the result arrived.")


def _prepare_common(doc, settings: Settings) -> None:
    check_model_folder(settings.model_dir)
    document.check_document(doc)


class InpaintJob(Job):
    """Regenerates the selected area of the merged image (soft selections blend)."""

    kind, title = "inpaint", "In-paint"

    @classmethod
    def prepare(cls, doc, settings: Settings) -> "InpaintJob":
        _prepare_common(doc, settings)
        mask = document.selection_mask(doc)
        if mask is None:
            raise UserError("Select the area to in-paint first (any selection tool; feathered edges blend).")
        job = cls(doc, settings)
        job.width, job.height = doc.width(), doc.height()
        job.rgba, job.mask = document.snapshot_rgba(doc), mask
        return job

    def compute(self, model, params):
        return model.inpaint(self.rgba, self.width, self.height, self.mask, params)

    def apply(self, images):
        self._check_still_open()
        if (self.doc.width(), self.doc.height()) != (self.width, self.height):
            raise UserError("The image was resized while in-painting; the result was not added.")
        layers = []
        for im in images:
            if (im.width, im.height) != (self.width, self.height):
                raise UserError(f"libvar returned a {im.width}x{im.height} image for a "
                                f"{self.width}x{self.height} document.")
            layers.append((_describe(self.kind, im), pixels.layer_pixels(self.rgba, im.rgba)))
        return document.add_layers(self.doc, layers, self.width, self.height)


class OutpaintJob(Job):
    """Extends the image: by the margins of the settings (the canvas grows when
    the result arrives), or, with all margins 0, into the transparent areas of
    a canvas the user already enlarged."""

    kind, title = "outpaint", "Out-paint"

    @classmethod
    def prepare(cls, doc, settings: Settings) -> "OutpaintJob":
        _prepare_common(doc, settings)
        margins = tuple(int(m) for m in settings.margins)
        if len(margins) != 4 or min(margins) < 0:
            raise UserError("Out-paint margins must be four numbers of pixels, 0 or more.")
        job = cls(doc, settings)
        job.width, job.height, job.margins = doc.width(), doc.height(), margins
        job.rgba = document.snapshot_rgba(doc)
        if not any(margins) and not pixels.has_transparent_pixel(job.rgba):
            raise UserError("Nothing to out-paint: enlarge the canvas first (Image › Resize Canvas) "
                            "so that it has transparent areas, or set margins.")
        return job

    def compute(self, model, params):
        left, top, right, bottom = self.margins
        return model.outpaint(self.rgba, self.width, self.height, left, top, right, bottom, params)

    def apply(self, images):
        self._check_still_open()
        if (self.doc.width(), self.doc.height()) != (self.width, self.height):
            raise UserError("The image was resized while out-painting; the result was not added.")
        left, top, right, bottom = self.margins
        new_w, new_h = left + self.width + right, top + self.height + bottom
        before = pixels.pad(self.rgba, self.width, self.height, left, top, right, bottom)
        layers = []
        for im in images:
            if (im.width, im.height) != (new_w, new_h):
                raise UserError(f"libvar returned a {im.width}x{im.height} image; {new_w}x{new_h} was expected.")
            layers.append((_describe(self.kind, im), pixels.layer_pixels(before, im.rgba)))
        if any(self.margins):
            document.resize_canvas(self.doc, left, top, right, bottom)
        return document.add_layers(self.doc, layers, new_w, new_h)


class GenerateJob(Job):
    """Class-conditional generation at the model's native size, into a new image."""

    kind, title = "generate", "Generate"

    @classmethod
    def prepare(cls, doc, settings: Settings) -> "GenerateJob":
        check_model_folder(settings.model_dir)
        return cls(doc, settings)

    def compute(self, model, params):
        return model.generate(params)

    def apply(self, images):
        if not images:
            return []
        w, h = images[0].width, images[0].height
        label = self.settings.class_label
        name = libvar.imagenet_class_name(label) if label >= 0 else None
        self.doc = document.new_document(f"VAR {name or 'generated'}", w, h)
        layers = [(_describe(self.kind, im), pixels.swap_red_blue(im.rgba)) for im in images]
        return document.add_layers(self.doc, layers, w, h)


JOBS = {job.kind: job for job in (InpaintJob, OutpaintJob, GenerateJob)}


def run_now(kind: str, doc, settings: Settings, engine: Optional[Engine] = None,
            on_progress: Optional[ProgressFn] = None) -> list:
    """Runs one action to the end in the calling thread; returns the new layers.

    Raises UserError or libvar.VarError.  The engine is closed afterwards unless
    the caller passed one (to keep the model loaded between calls)."""
    own = engine is None
    engine = engine or Engine()
    try:
        job = JOBS[kind].prepare(doc, settings)
        engine.begin_job()
        return job.apply(job.run(engine, on_progress))
    finally:
        if own:
            engine.close()
