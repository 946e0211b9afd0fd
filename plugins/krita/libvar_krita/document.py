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


def check_document(doc) -> None:
    """libvar works on 8-bit RGBA; other documents are refused with a hint."""
    if doc is None:
        raise UserError("Open or create an image first.")
    model, depth = doc.colorModel(), doc.colorDepth()
    if model != "RGBA" or depth != "U8":
        raise UserError(
            f"The image is {model}/{depth}; libvar needs 8-bit RGBA. "
            "Convert it with Image › Convert Image Color Space (RGB/Alpha, 8-bit integer).")
    if doc.width() <= 0 or doc.height() <= 0:
        raise UserError("The image is empty.")


def is_open(doc) -> bool:
    """Whether `doc` is still one of Krita's documents (it may be closed while a job runs)."""
    from krita import Krita

    try:
        return any(d == doc for d in Krita.instance().documents())
    except RuntimeError:  # the wrapped C++ object is gone
        return False


def snapshot_rgba(doc) -> bytes:
    """The merged image (what the user sees), as tightly packed RGBA."""
    doc.waitForDone()
    doc.refreshProjection()
    bgra = bytes(doc.pixelData(0, 0, doc.width(), doc.height()))
    expected = doc.width() * doc.height() * 4
    if len(bgra) != expected:
        raise UserError(f"Krita returned {len(bgra)} bytes of pixels instead of {expected}.")
    return pixels.swap_red_blue(bgra)


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
    """Adds one paint layer per (name, BGRA pixels) at the top of the layer stack.

    The first image ends up on top and visible; the others (variants) sit
    below it, hidden, so that toggling their eyes compares them."""
    root = doc.rootNode()
    nodes = []
    for index in reversed(range(len(images))):
        name, bgra = images[index]
        node = doc.createNode(name, "paintlayer")
        node.setPixelData(bgra, 0, 0, width, height)
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
    """A new RGBA8 document, shown in the active window when there is one."""
    from krita import Krita

    app = Krita.instance()
    _created_documents[:] = [d for d in _created_documents if is_open(d)]
    doc = app.createDocument(width, height, name, "RGBA", "U8", "", 72.0)
    _created_documents.append(doc)
    window = app.activeWindow()
    if window is not None:
        window.addView(doc)
    return doc
