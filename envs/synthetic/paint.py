"""Drawing primitives for the synthetic desktop: cached fonts and text, colour themes, the cursor.

Speed matters here (the suite targets thousands of steps per second on one core), so glyphs are
rasterised once per (text, size) into an ``L`` mask and pasted afterwards, fonts are loaded once per
size at module level, and the mouse cursor is painted straight into the numpy frame.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["CURSOR_SIZE", "Box", "Canvas", "Theme", "font", "paint_cursor", "random_theme", "text_size"]

Box = tuple[int, int, int, int]
"""Pixel box ``(x0, y0, x1, y1)``, ``x1`` and ``y1`` exclusive."""
Colour = tuple[int, int, int]


@functools.lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font at ``size`` pixels (no files, no downloads)."""
    loaded = ImageFont.load_default(size=size)
    assert isinstance(loaded, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return loaded


@functools.lru_cache(maxsize=64)
def _line_height(size: int) -> tuple[int, int]:
    ascent, descent = font(size).getmetrics()
    return ascent, descent


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, size: int) -> tuple[Image.Image, int]:
    """Coverage mask of one character and its advance in pixels."""
    advance = round(font(size).getlength(char))
    ascent, descent = _line_height(size)
    mask = Image.new("L", (advance + 3, ascent + descent))
    ImageDraw.Draw(mask).text((0, 0), char, font=font(size), fill=255)
    return mask, advance


@functools.lru_cache(maxsize=8192)
def text_size(text: str, size: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``size`` (height covers ascenders/descenders)."""
    ascent, descent = _line_height(size)
    return sum(_glyph(c, size)[1] for c in text), ascent + descent


@functools.lru_cache(maxsize=8192)
def _text_mask(text: str, size: int) -> Image.Image:
    # Composed from cached glyphs rather than rasterised whole: labels are mostly new random strings
    # and FreeType rendering of a whole string costs about 20x a few glyph pastes.
    width, height = text_size(text, size)
    mask = Image.new("L", (max(width, 1) + 3, height))
    x = 0
    for char in text:
        glyph, advance = _glyph(char, size)
        mask.paste(255, (x, 0), glyph)
        x += advance
    return mask


class Canvas:
    """A Pillow image with the few drawing calls widgets need (text goes through the mask cache)."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)

    def rect(
        self, box: Box, fill: Colour | None = None, outline: Colour | None = None, radius: int = 0
    ) -> None:
        """Fill and/or outline the pixel box (exclusive ends, as everywhere in this package)."""
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return
        xy = (x0, y0, x1 - 1, y1 - 1)
        if radius:
            self.draw.rounded_rectangle(xy, radius=radius, fill=fill, outline=outline)
        else:
            self.draw.rectangle(xy, fill=fill, outline=outline)

    def line(self, points: list[tuple[int, int]], fill: Colour, width: int = 1) -> None:
        """A polyline."""
        self.draw.line(points, fill=fill, width=width)

    def ellipse(self, box: Box, fill: Colour | None = None, outline: Colour | None = None) -> None:
        """An ellipse inscribed in the box."""
        x0, y0, x1, y1 = box
        self.draw.ellipse((x0, y0, x1 - 1, y1 - 1), fill=fill, outline=outline)

    def text(self, x: int, y: int, text: str, size: int, fill: Colour) -> None:
        """Draw ``text`` with its top-left corner at ``(x, y)``."""
        if text:
            self.image.paste(fill, (x, y), _text_mask(text, size))

    def text_centered(self, box: Box, text: str, size: int, fill: Colour) -> None:
        """Draw ``text`` centred in ``box``."""
        w, h = text_size(text, size)
        self.text((box[0] + box[2] - w) // 2, (box[1] + box[3] - h) // 2, text, size, fill)


@dataclasses.dataclass(frozen=True)
class Theme:
    """The colours and type size of one episode."""

    desktop: Colour  # behind the window
    window: Colour  # window body
    title: Colour  # title bar
    title_text: Colour
    text: Colour  # ordinary text on the window body
    button: Colour
    button_text: Colour
    border: Colour  # widget outlines
    accent: Colour  # ticks, slider fill, selection, focus ring
    accent_text: Colour  # text on the accent colour
    field: Colour  # text-field and list background
    link: Colour
    muted: Colour  # disabled text, placeholders, scroll tracks
    size: int  # base font size in pixels
    radius: int  # corner radius of buttons


_PALETTES: tuple[dict[str, Colour], ...] = (
    # light grey desktop toolkit
    dict(desktop=(58, 110, 165), window=(236, 236, 236), title=(200, 200, 206), title_text=(20, 20, 20),
         text=(20, 20, 20), button=(222, 222, 222), button_text=(10, 10, 10), border=(120, 120, 120),
         accent=(40, 100, 210), accent_text=(255, 255, 255), field=(255, 255, 255), link=(20, 60, 200),
         muted=(150, 150, 150)),
    # dark theme
    dict(desktop=(30, 30, 40), window=(45, 47, 52), title=(28, 29, 33), title_text=(230, 230, 230),
         text=(235, 235, 235), button=(70, 73, 80), button_text=(245, 245, 245), border=(120, 124, 132),
         accent=(90, 160, 255), accent_text=(10, 10, 20), field=(30, 31, 35), link=(120, 180, 255),
         muted=(120, 120, 125)),
    # white web page with coloured buttons
    dict(desktop=(90, 140, 90), window=(255, 255, 255), title=(60, 70, 90), title_text=(255, 255, 255),
         text=(30, 30, 30), button=(46, 125, 50), button_text=(255, 255, 255), border=(110, 110, 110),
         accent=(230, 120, 20), accent_text=(0, 0, 0), field=(250, 250, 250), link=(0, 90, 180),
         muted=(160, 160, 160)),
    # warm beige
    dict(desktop=(120, 80, 60), window=(245, 238, 220), title=(180, 120, 70), title_text=(255, 255, 255),
         text=(50, 30, 20), button=(230, 215, 185), button_text=(40, 25, 10), border=(140, 110, 80),
         accent=(160, 50, 40), accent_text=(255, 255, 255), field=(255, 252, 244), link=(150, 40, 120),
         muted=(170, 150, 130)),
)  # fmt: skip


def random_theme(rng: np.random.Generator, scale: float) -> Theme:
    """A palette chosen and jittered by ``rng``; type size scales with the observation."""
    base = _PALETTES[int(rng.integers(len(_PALETTES)))]
    jitter = [int(j) for j in rng.integers(-14, 15, size=3)]
    # Jitter backgrounds only, so text contrast stays as designed.
    colours = {
        k: tuple(min(max(c + j, 0), 255) for c, j in zip(v, jitter, strict=True))
        if k in ("desktop", "window", "title", "button", "field")
        else v
        for k, v in base.items()
    }
    size = max(9, round(int(rng.integers(9, 13)) * scale))
    return Theme(**colours, size=size, radius=int(rng.choice((0, 2, 3))))  # type: ignore[arg-type]


_CURSOR = (
    "X          ",
    "XX         ",
    "X.X        ",
    "X..X       ",
    "X...X      ",
    "X....X     ",
    "X.....X    ",
    "X......X   ",
    "X.......X  ",
    "X....XXXXX ",
    "X..X..X    ",
    "X.X X..X   ",
    "XX  X..X   ",
    "     XX    ",
)
CURSOR_SIZE = (len(_CURSOR), len(_CURSOR[0]))
_CURSOR_ROWS, _CURSOR_COLS = np.nonzero(np.array([[c != " " for c in row] for row in _CURSOR]))
_CURSOR_COLOURS = np.array(
    [
        (0, 0, 0) if _CURSOR[r][c] == "X" else (255, 255, 255)
        for r, c in zip(_CURSOR_ROWS, _CURSOR_COLS, strict=True)
    ],
    dtype=np.uint8,
)


def paint_cursor(frame: np.ndarray, x: int, y: int) -> None:
    """Paint the arrow pointer with its tip at pixel ``(x, y)`` into ``frame`` in place (clipped)."""
    rows = _CURSOR_ROWS + y
    cols = _CURSOR_COLS + x
    keep = (rows < frame.shape[0]) & (cols < frame.shape[1])
    frame[rows[keep], cols[keep]] = _CURSOR_COLOURS[keep]
