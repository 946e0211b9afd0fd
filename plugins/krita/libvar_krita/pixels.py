"""Pixel-buffer helpers between Krita and libvar, in plain Python.

Krita hands out 8-bit RGBA pixels as B,G,R,A bytes; libvar wants R,G,B,A.  (Other
depths and colour models are converted to 8-bit sRGB by Krita first, document.py.)
Documents can be large (4096 x 4096 is 64 MB), so nothing here loops over
pixels in Python: channel swaps use extended slices, and per-pixel logic is
done with bytes.translate and bitwise operations on Python integers, all of
which run at C speed.  No numpy, because Krita does not depend on it.
"""

from __future__ import annotations

# byte -> 0 for 0, 255 otherwise
_NONZERO_TO_FF = bytes([0] + [255] * 255)
# byte -> 255 for 0, 0 otherwise
_ZERO_TO_FF = bytes([255] + [0] * 255)


def swap_red_blue(data: bytes) -> bytes:
    """BGRA <-> RGBA (the same swap both ways)."""
    out = bytearray(data)
    out[0::4] = data[2::4]
    out[2::4] = data[0::4]
    return bytes(out)


def _and(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")


def changed_pixels(before: bytes, after: bytes) -> bytes:
    """One byte per pixel: 255 where any channel differs between the two
    4-byte-per-pixel buffers, else 0."""
    if len(before) != len(after) or len(before) % 4:
        raise ValueError("buffers of different sizes")
    if not before:
        return b""
    diff = _xor(before, after).translate(_NONZERO_TO_FF)
    return _or(_or(diff[0::4], diff[1::4]), _or(diff[2::4], diff[3::4]))


def keep_only(pixels: bytes, keep: bytes) -> bytes:
    """Makes the pixels whose `keep` byte is 0 fully transparent (colour zeroed
    too, so the layer holds nothing there); keep must be 0 or 255 per pixel."""
    if len(pixels) != 4 * len(keep):
        raise ValueError("mask does not fit the pixels")
    if not keep:
        return bytes(pixels)
    out = bytearray(pixels)
    for c in range(4):
        out[c::4] = _and(pixels[c::4], keep)
    return bytes(out)


def transparent_pixels(data: bytes) -> bytes:
    """One byte per pixel of a 4-byte-per-pixel buffer with alpha last: 255 where alpha is 0."""
    return data[3::4].translate(_ZERO_TO_FF)


def has_transparent_pixel(data: bytes) -> bool:
    return b"\x00" in data[3::4]


def is_empty_mask(mask: bytes) -> bool:
    return not mask.strip(b"\x00")


def pad(data: bytes, width: int, height: int, left: int, top: int, right: int, bottom: int) -> bytes:
    """Places a 4-byte-per-pixel image inside a transparent frame of the given margins."""
    new_w = left + width + right
    blank_rows = bytes(4 * new_w * top)
    lpad, rpad = bytes(4 * left), bytes(4 * right)
    rows = [blank_rows]
    for y in range(height):
        rows.append(lpad + data[4 * width * y: 4 * width * (y + 1)] + rpad)
    rows.append(bytes(4 * new_w * bottom))
    return b"".join(rows)


def layer_pixels(before_rgba: bytes, result_rgba: bytes) -> bytes:
    """The BGRA content of a result layer: the result where it differs from
    what was under it, transparent elsewhere.  Composited over the document,
    it gives back the result exactly wherever the result is opaque, and the
    layer shows at a glance what the model changed."""
    keep = changed_pixels(before_rgba, result_rgba)
    return swap_red_blue(keep_only(result_rgba, keep))
