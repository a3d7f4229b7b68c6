"""Drawing primitives for the synthetic desktop: cached fonts and text, colour themes, the cursor.

Speed matters here (the suite targets thousands of steps per second on one core), so glyphs are
rasterised once per (text, size) into an ``L`` mask and pasted afterwards, fonts are loaded once per
size at module level, and the mouse cursor is painted straight into the numpy frame.

The :class:`Canvas` also remembers where each word it drew landed (its ink box) and which opaque
fills were painted after it, so the scene can annotate exactly the words left visible on screen.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "CURSOR_SIZE",
    "Box",
    "Canvas",
    "Theme",
    "Word",
    "font",
    "paint_cursor",
    "random_theme",
    "text_size",
    "typeface",
    "TYPEFACES",
]

# Typefaces the suite can draw in besides Pillow's built-in font (""), which needs no files. Which
# one applies is a context (``typeface``) rather than an argument, so the layout code that measures
# text (``text_size(label, size)``) measures in the face the canvas then draws in.
TYPEFACES: dict[str, str] = {
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Tk's and many desktops' default
    "liberation-sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",  # the web's Arial
}
_FACE: contextvars.ContextVar[str] = contextvars.ContextVar("typeface", default="")

Box = tuple[int, int, int, int]
"""Pixel box ``(x0, y0, x1, y1)``, ``x1`` and ``y1`` exclusive."""
Word = tuple[Box, str]
"""A word on screen: the pixel box its glyphs touch and the word itself."""
Colour = tuple[int, int, int]


@functools.lru_cache(maxsize=64)
def _font(size: int, face: str) -> ImageFont.FreeTypeFont:
    """``face`` (a ``TYPEFACES`` name; "" is Pillow's built-in font: no files) at ``size`` pixels."""
    if face:
        try:
            return ImageFont.truetype(TYPEFACES[face], size)
        except OSError as e:
            raise OSError(
                f"typeface {face!r}: cannot load {TYPEFACES[face]} ({e}); install it or leave it out"
            ) from e
    loaded = ImageFont.load_default(size=size)
    assert isinstance(loaded, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return loaded


@functools.lru_cache(maxsize=64)
def _line_height(size: int, face: str) -> tuple[int, int]:
    ascent, descent = _font(size, face).getmetrics()
    return ascent, descent


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, size: int, face: str) -> tuple[Image.Image, int]:
    """Coverage mask of one character and its advance in pixels."""
    advance = round(_font(size, face).getlength(char))
    ascent, descent = _line_height(size, face)
    mask = Image.new("L", (advance + 3, ascent + descent))
    ImageDraw.Draw(mask).text((0, 0), char, font=_font(size, face), fill=255)
    return mask, advance


@functools.lru_cache(maxsize=8192)
def _text_size(text: str, size: int, face: str) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``size`` (height covers ascenders/descenders)."""
    ascent, descent = _line_height(size, face)
    return sum(_glyph(c, size, face)[1] for c in text), ascent + descent


@functools.lru_cache(maxsize=4096)
def _ink(char: str, size: int, face: str) -> tuple[int, int, int, int, int] | None:
    """Advance and the box of the pixels one glyph touches (relative to its corner); ``None``: no ink."""
    mask, advance = _glyph(char, size, face)
    box = mask.getbbox()
    return None if box is None else (advance, *box)


@functools.lru_cache(maxsize=8192)
def _word_boxes(text: str, size: int, face: str) -> tuple[Word, ...]:
    """``(ink box, word)`` of each whitespace-separated word of ``text``, relative to its origin.

    Laid out with the advances :func:`_text_mask` uses, so each box is exactly the bounding box of
    the pixels the word's glyphs touch once drawn.
    """
    if text.split() == [text]:  # most text is one label: the mask's own box is the word's
        box = _text_mask(text, size, face).getbbox()
        return () if box is None else ((box, text),)
    out: list[Word] = []
    x, start = 0, 0
    x0 = y0 = 1 << 30
    x1 = y1 = -1
    for i, char in enumerate(text + " "):
        if char.isspace():
            if x1 >= 0:
                out.append(((x0, y0, x1, y1), text[start:i]))
            x0 = y0 = 1 << 30
            x1 = y1 = -1
            start = i + 1
            x += _glyph(char, size, face)[1] if i < len(text) else 0
            continue
        ink = _ink(char, size, face)
        if ink is None:
            x += _glyph(char, size, face)[1]
            continue
        advance, gx0, gy0, gx1, gy1 = ink
        x0, y0, x1, y1 = min(x0, x + gx0), min(y0, gy0), max(x1, x + gx1), max(y1, gy1)
        x += advance
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def _text_mask(text: str, size: int, face: str) -> Image.Image:
    # Composed from cached glyphs rather than rasterised whole: labels are mostly new random strings
    # and FreeType rendering of a whole string costs about 20x a few glyph pastes.
    width, height = _text_size(text, size, face)
    mask = Image.new("L", (max(width, 1) + 3, height))
    x = 0
    for char in text:
        glyph, advance = _glyph(char, size, face)
        mask.paste(255, (x, 0), glyph)
        x += advance
    return mask


def font(size: int) -> ImageFont.FreeTypeFont:
    """The current typeface (``typeface``; by default Pillow's built-in font) at ``size`` pixels."""
    return _font(size, _FACE.get())


def text_size(text: str, size: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``size`` in the current typeface."""
    return _text_size(text, size, _FACE.get())


@contextlib.contextmanager
def typeface(face: str) -> Iterator[None]:
    """Measure and draw text in ``face`` (a ``TYPEFACES`` name, "" = Pillow's built-in) inside the block."""
    if face and face not in TYPEFACES:
        raise ValueError(f"typeface: expected one of {sorted(TYPEFACES)} or '', got {face!r}")
    token = _FACE.set(face)
    try:
        yield
    finally:
        _FACE.reset(token)


class Canvas:
    """A Pillow image with the few drawing calls widgets need (text goes through the mask cache).

    Every word drawn is recorded with the number of opaque fills painted before it; :meth:`words`
    then keeps the words no later fill overlaps. Only fills count as covering: lines and outlines are
    one pixel wide and, where they cross text at all, are the text's own underline or caret.

    Args:
        image: The image to draw on.
        words: Words already on ``image`` (e.g. baked into a cached background), bottom of the stack.
    """

    def __init__(self, image: Image.Image, words: list[Word] | None = None) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        # (x, y, word boxes relative to (x, y), number of fills painted before) per text drawn
        self._texts: list[tuple[int, int, tuple[Word, ...], int]] = [(0, 0, tuple(words or ()), 0)]
        self._fills: list[Box] = []

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
        if fill is not None:
            self._fills.append(box)

    def line(self, points: list[tuple[int, int]], fill: Colour, width: int = 1) -> None:
        """A polyline."""
        self.draw.line(points, fill=fill, width=width)

    def ellipse(self, box: Box, fill: Colour | None = None, outline: Colour | None = None) -> None:
        """An ellipse inscribed in the box."""
        x0, y0, x1, y1 = box
        self.draw.ellipse((x0, y0, x1 - 1, y1 - 1), fill=fill, outline=outline)
        if fill is not None:
            self._fills.append(box)  # its bounding box: a word it only nearly touches counts as hidden

    def polygon(self, points: list[tuple[int, int]], fill: Colour) -> None:
        """A filled polygon."""
        self.draw.polygon(points, fill=fill)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self._fills.append((min(xs), min(ys), max(xs) + 1, max(ys) + 1))

    def text(self, x: int, y: int, text: str, size: int, fill: Colour) -> None:
        """Draw ``text`` with its top-left corner at ``(x, y)``."""
        if text:
            face = _FACE.get()
            self.image.paste(fill, (x, y), _text_mask(text, size, face))
            self._texts.append((x, y, _word_boxes(text, size, face), len(self._fills)))

    def text_centered(self, box: Box, text: str, size: int, fill: Colour) -> None:
        """Draw ``text`` centred in ``box``."""
        w, h = text_size(text, size)
        self.text((box[0] + box[2] - w) // 2, (box[1] + box[3] - h) // 2, text, size, fill)

    def words(self) -> list[Word]:
        """The words wholly visible, in paint order.

        A word that any later fill overlaps, or that runs off the image, is left out whole rather
        than clipped: the letters of its visible part are not the word's.
        """
        width, height = self.image.size
        fills = self._fills
        out: list[Word] = []
        for x, y, boxes, n in self._texts:
            later = fills[n:]
            for (x0, y0, x1, y1), word in boxes:
                x0, y0, x1, y1 = x + x0, y + y0, x + x1, y + y1
                if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                    continue
                for f in later:
                    if f[0] < x1 and x0 < f[2] and f[1] < y1 and y0 < f[3]:
                        break
                else:
                    out.append(((x0, y0, x1, y1), word))
        return out


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
