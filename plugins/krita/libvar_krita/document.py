"""Reading from and writing to Krita documents (GUI thread only).

Krita is imported only where it is needed, so the GUI-free actions can be
imported (and their checks exercised) by plain Python.  Krita's scripting
objects are not thread-safe, so the jobs read everything
they need here before the work starts (a snapshot of the merged image and the
selection as plain bytes) and write results back here once it is done.
"""

from __future__ import annotations

from typing import Optional, Sequence

from . import pixels
from .errors import UserError


# libvar's own pixels: 8-bit sRGB with alpha, in Krita's terms.  The model
# sees every document in this space, as in GIMP; see snapshot_rgba().
WORK_SPACE = ("RGBA", "U8", "sRGB-elle-V2-srgbtrc.icc")
MODELS = ("RGBA", "GRAYA")
DEPTHS = ("U8", "U16", "F16", "F32")
CONVERT_HINT = ("Convert it with Image › Convert Image Color Space to RGB/Alpha (or Grayscale/Alpha), "
                "at any depth: 8 or 16-bit integer, 16 or 32-bit float.")


def check_document(doc) -> None:
    """RGB and greyscale documents of 8 and 16-bit integer and 16 and 32-bit float
    are taken; other colour models (CMYK, Lab, XYZ, YCbCr) are refused with a hint,
    because a round trip through sRGB would lose what they are chosen for."""
    if doc is None:
        raise UserError("Open or create an image first.")
    model, depth = doc.colorModel(), doc.colorDepth()
    if model not in MODELS:
        raise UserError(f"The image is {model}/{depth}; libvar works on RGB and greyscale images. {CONVERT_HINT}")
    if depth not in DEPTHS:
        raise UserError(f"The image is {model}/{depth}; libvar works on 8 and 16-bit integer and 16 and "
                        f"32-bit float images. {CONVERT_HINT}")
    if doc.width() <= 0 or doc.height() <= 0:
        raise UserError("The image is empty.")


def color_space(doc) -> tuple:
    return doc.colorModel(), doc.colorDepth(), doc.colorProfile()


def convert_pixels(data: bytes, width: int, height: int, source: tuple, target: tuple) -> bytes:
    """Pixels of one colour space (model, depth, profile) in another, converted by
    Krita itself (LittleCMS, the profiles' own transfer curves; out-of-range
    float values are clipped when the target is an integer space).

    The conversion runs in a scratch document that is never shown, so the
    user's document and its undo history are not touched."""
    if tuple(source) == tuple(target):
        return bytes(data)
    from krita import Krita

    scratch = Krita.instance().createDocument(width, height, "libvar conversion", *source, 72.0)
    if scratch is None:
        raise UserError(f"Krita could not make a {'/'.join(source)} image to convert the pixels in.")
    try:
        layer = scratch.rootNode().childNodes()[0]
        layer.setPixelData(data, 0, 0, width, height)
        if not scratch.setColorSpace(*target):
            raise UserError(f"Krita could not convert the pixels from {'/'.join(source)} to {'/'.join(target)}.")
        scratch.waitForDone()
        return bytes(layer.pixelData(0, 0, width, height))
    finally:
        scratch.setModified(False)
        scratch.close()


def is_open(doc) -> bool:
    """Whether `doc` is still one of Krita's documents (it may be closed while a job runs)."""
    from krita import Krita

    try:
        return any(d == doc for d in Krita.instance().documents())
    except RuntimeError:  # the wrapped C++ object is gone
        return False


def snapshot_rgba(doc) -> bytes:
    """The merged image (what the user sees) as the model sees it: 8-bit sRGB,
    tightly packed RGBA.  Other depths and profiles are converted by Krita
    (convert_pixels): values outside 0..1 are clipped, linear (g10) profiles,
    Krita's default for deep documents, get the sRGB curve, greyscale becomes
    R = G = B."""
    doc.waitForDone()
    doc.refreshProjection()
    w, h = doc.width(), doc.height()
    data = bytes(doc.pixelData(0, 0, w, h))
    data = convert_pixels(data, w, h, color_space(doc), WORK_SPACE)
    expected = w * h * 4
    if len(data) != expected:
        raise UserError(f"Krita returned {len(data)} bytes of pixels instead of {expected}.")
    return pixels.swap_red_blue(data)


def selection_mask(doc) -> Optional[bytes]:
    """The selection as one byte per pixel of the whole image (soft edges kept:
    Krita's 0..255 selection is libvar's 0 = keep .. 255 = regenerate), or None
    when nothing is selected."""
    sel = doc.selection()
    if sel is None or sel.width() <= 0 or sel.height() <= 0:
        return None
    mask = bytes(sel.pixelData(0, 0, doc.width(), doc.height()))
    if len(mask) != doc.width() * doc.height() or pixels.is_empty_mask(mask):
        return None
    return mask


def resize_canvas(doc, left: int, top: int, right: int, bottom: int) -> None:
    """Enlarges the canvas by the margins; existing layers keep their place on the image."""
    doc.resizeImage(-left, -top, doc.width() + left + right, doc.height() + top + bottom)
    doc.waitForDone()


def add_layers(doc, images: Sequence[tuple[str, bytes]], width: int, height: int) -> list:
    """Adds one paint layer per (name, 8-bit sRGB BGRA pixels) at the top of the
    layer stack, converted to the document's colour space.

    The first image ends up on top and visible; the others (variants) sit
    below it, hidden, so that toggling their eyes compares them.  Where a
    layer is transparent (all that the model kept) the document keeps its own
    pixels at their own depth, bit for bit."""
    root = doc.rootNode()
    target = color_space(doc)
    nodes = []
    for index in reversed(range(len(images))):
        name, bgra = images[index]
        node = doc.createNode(name, "paintlayer")
        node.setPixelData(convert_pixels(bgra, width, height, WORK_SPACE, target), 0, 0, width, height)
        node.setVisible(index == 0)
        children = root.childNodes()
        root.addChildNode(node, children[-1] if children else None)
        nodes.insert(0, node)
    doc.setActiveNode(nodes[0])
    doc.refreshProjection()
    doc.waitForDone()
    return nodes


# Krita deletes a document made by createDocument() as soon as the Python
# wrapper it returned is garbage-collected, even while other wrappers or a
# view refer to it.  The wrappers of our new documents are therefore kept here
# until the user closes the document.
_created_documents: list = []


def new_document(name: str, width: int, height: int):
    """A new 8-bit sRGB RGBA document, shown in the active window when there is one."""
    from krita import Krita

    app = Krita.instance()
    _created_documents[:] = [d for d in _created_documents if is_open(d)]
    doc = app.createDocument(width, height, name, *WORK_SPACE, 72.0)
    _created_documents.append(doc)
    window = app.activeWindow()
    if window is not None:
        window.addView(doc)
    return doc
