"""Charts inside a card: a PNG as a data URI, re-encoded smaller when the card cannot carry it as drawn.

No chart goes to a public image address (police data): it travels inside the card, and a card is size-guarded,
so a chart is shrunk step by step (a 32-colour palette, then narrower) until its data URI fits the room given.
A chart is drawn on white; any transparency is flattened onto white first, so it reads in Teams' dark theme too.
"""
from __future__ import annotations

import base64
import io
import logging

from PIL import Image

LOGGER = logging.getLogger(__name__)
DATA_URI_PREFIX = "data:image/png;base64,"
# Widest first: the first that fits is kept. Below the last a chart is not legible, and the card says so instead.
WIDTHS = (1200, 960, 800, 640, 560, 480, 400, 360, 320, 280)
PALETTE_COLOURS = 24   # enough to keep RAG colours true (red stays red); fewer than 32 to fit three charts in a card


def data_uri(png: bytes) -> str:
    return DATA_URI_PREFIX + base64.b64encode(png).decode("ascii")


def uri_length(png: bytes) -> int:
    """The data URI's length in bytes (base64 is four bytes for every three, padded)."""
    return len(DATA_URI_PREFIX) + 4 * ((len(png) + 2) // 3)


def _flattened(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _encoded(image: Image.Image, width: int) -> bytes:
    if width < image.width:
        image = image.resize((width, max(1, round(image.height * width / image.width))), Image.LANCZOS)
    palette = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return out.getvalue()


def fitted_png(png: bytes, room: int, narrowest: int = 0) -> bytes | None:
    """The chart itself when its data URI is at most `room` bytes, else the widest re-encoding that is, no
    narrower than `narrowest` pixels; None when even the narrowest is too large (the caller decides)."""
    if uri_length(png) <= room:
        return png
    try:
        image = _flattened(png)
    except (OSError, ValueError):  # not a PNG Pillow can read: it cannot be shrunk, and is too large as it is
        LOGGER.warning("A chart could not be read to shrink it for a card", exc_info=True)
        return None
    for width in (w for w in WIDTHS if (w <= image.width or w == WIDTHS[0]) and w >= narrowest):
        smaller = _encoded(image, width)
        if uri_length(smaller) <= room:
            return smaller
    return None


def fitted_together(pngs: list[bytes], room: int, narrowest: int) -> list[bytes] | None:
    """The charts as drawn when their data URIs together take at most `room` bytes, else all re-encoded at the
    widest one width that fits them together, no narrower than `narrowest`; None when they cannot share it."""
    if sum(uri_length(png) for png in pngs) <= room:
        return list(pngs)
    try:
        images = [_flattened(png) for png in pngs]
    except (OSError, ValueError):
        return None
    for width in (w for w in WIDTHS if w >= narrowest):
        smaller = [_encoded(image, width) for image in images]
        if sum(uri_length(png) for png in smaller) <= room:
            return smaller
    return None
