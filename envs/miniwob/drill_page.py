"""A MiniWoB-styled page drawn with Pillow: the canvas and vocabulary of the reading drills.

The font is the one Chromium uses for MiniWoB's ``Arial`` (Liberation Sans), drawn at 4x and
box-filtered down, which is close to Chromium's unhinted anti-aliased text (hinted 10-px FreeType
text is visibly bolder). ``envs.miniwob.drill_env`` lays out the pages and plays them.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from deskpilot.envs.miniwob.page import TASK_H as H
from deskpilot.envs.miniwob.page import TASK_W as W

__all__ = [
    "BLACK",
    "BLUE",
    "BORDER",
    "BUTTON",
    "FONT_SIZE",
    "LOREM",
    "QUERY_H",
    "TICK",
    "Page",
    "button",
    "css_rgb",
    "dom_row",
    "element_row",
    "font",
    "gamma",
    "near",
    "paragraph",
    "random_string",
    "same",
]

S = 4  # supersampling factor
FONT_SIZE = 10  # MiniWoB's #query and #area font-size
BUTTON_PX = 13.33  # Chromium's default button font size
LINE = 11  # Chromium's line box for 10-px Liberation Sans (measured on recorded pages)
QUERY_H = 50  # the yellow #query strip: 44 px plus 3 px padding above and below
_FONTS = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
# Lorem ipsum, the vocabulary of MiniWoB's generated paragraphs; a quarter of drill words are random
# strings instead, so the reader learns letters rather than this list.
_LOREM_TEXT = """
    lorem ipsum dolor sit amet consectetur adipiscing elit ut aliquam purus luctus venenatis lectus
    magna fringilla urna porttitor rhoncus non enim praesent elementum facilisis leo vel est eget
    nulla facilisi etiam dignissim diam quis lobortis scelerisque fermentum dui faucibus in ornare
    quam viverra orci sagittis eu volutpat odio mauris massa vitae tortor condimentum lacinia eros
    donec ac tempor dapibus ultrices iaculis nunc sed augue lacus congue consequat felis et
    pellentesque commodo egestas phasellus eleifend pretium vulputate sapien nec malesuada bibendum
    arcu curabitur velit sodales sem integer justo vestibulum risus ultricies tristique aliquet at
    auctor id cursus metus mi posuere sollicitudin a semper duis tellus mattis nibh proin nisl
    habitant morbi senectus netus fames turpis tempus pharetra hendrerit gravida blandit hac
    habitasse platea dictumst quisque suscipit maecenas cras aenean placerat tincidunt erat
    imperdiet euismod nisi porta mollis nullam fusce suspendisse potenti accumsan libero neque
"""
LOREM: tuple[str, ...] = tuple(_LOREM_TEXT.split())
_ALNUM = string.ascii_letters + string.digits
BLACK, BLUE, YELLOW = (0, 0, 0), (0, 0, 255), (255, 255, 0)
BORDER, BUTTON, TICK = (118, 118, 118), (239, 239, 239), (0, 117, 255)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in task-area pixels


@functools.lru_cache(maxsize=8)
def font(px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The drills' font at ``px`` screen pixels (drawn at the supersampled size)."""
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, round(px * S))
    return ImageFont.load_default(size=round(px * S))  # no system fonts: Pillow's own


class Page:
    """A 4x canvas that records every word it draws (``words``: ``info["elements"]`` rows).

    Shapes go on an RGB base; text goes into one coverage mask per text colour, composited at
    screen size so the text weight can vary without touching any other colour.
    """

    def __init__(self) -> None:
        self.image = Image.new("RGB", (W * S, H * S), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.ink: dict[tuple[int, int, int], Image.Image] = {}
        self.words: list[dict[str, Any]] = []
        self.draw.rectangle((0, 0, W * S - 1, QUERY_H * S - 1), fill=YELLOW)

    def pen(self, colour: tuple[int, int, int]) -> ImageDraw.ImageDraw:
        """A drawing context on ``colour``'s coverage mask."""
        if colour not in self.ink:
            self.ink[colour] = Image.new("L", (W * S, H * S), 0)
        return ImageDraw.Draw(self.ink[colour])

    @staticmethod
    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        """A pixel box in normalised screen units."""
        return [x0 / W, y0 / H, x1 / W, y1 / H]

    def rect(self, box: Box, fill: Any, outline: Any, radius: float) -> None:
        """A rounded rectangle with a 1-px outline."""
        x0, y0, x1, y1 = (round(v * S) for v in box)
        self.draw.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), round(radius * S), fill, outline, width=S)

    def text(
        self, x: float, y: float, word: str, fill: tuple[int, int, int] = BLACK, px: float = FONT_SIZE
    ) -> float:
        """Draw ``word`` with its line box's top-left at (x, y); returns its advance in pixels."""
        self.pen(fill).text((x * S, y * S), word, font=font(px), fill=255)
        return font(px).getlength(word) / S

    def flow(
        self,
        words: list[str],
        x0: float,
        y0: float,
        width: float,
        colours: list[tuple[int, int, int]] | None = None,
    ) -> list[Box]:
        """Lay ``words`` out like inline text in a block (wrapping at ``width``); their pixel boxes."""
        space = font(FONT_SIZE).getlength(" ") / S
        x, y, boxes = x0, y0, []
        for i, word in enumerate(words):
            w = font(FONT_SIZE).getlength(word) / S
            if x > x0 and x + w > x0 + width:
                x, y = x0, y + LINE
            colour = colours[i] if colours else BLACK
            self.text(x, y, word, colour)
            if colour == BLUE:  # a link: underlined
                line = round((y + 10) * S)
                self.pen(BLUE).rectangle((round(x * S), line, round((x + w) * S), line + S - 1), fill=255)
            self.words.append({"box": self.box(x, y, x + w, y + LINE), "label": word, "role": "text"})
            boxes.append((x, y, x + w, y + LINE))
            x += w + space
        return boxes

    def query(self, text: str) -> None:
        """The instruction in the yellow strip at the top."""
        self.flow(text.split(), 3, 3, W - 6)

    def screenshot(self, weight: float = 1.0) -> np.ndarray:
        """The page at screen size.

        ``weight`` > 1 darkens anti-aliased edges: Chromium's text is a little heavier than
        box-filtered outlines, and a range of weights keeps the reader from keying on one.
        """
        out = np.asarray(self.image.resize((W, H), Image.Resampling.BOX), np.float32)
        for colour, mask in self.ink.items():
            cover = np.asarray(mask.resize((W, H), Image.Resampling.BOX), np.float32)[..., None] / 255.0
            cover = 1.0 - (1.0 - cover) ** weight
            out = out * (1.0 - cover) + np.asarray(colour, np.float32) * cover
        return np.round(out).astype(np.uint8)


def css_rgb(rgb: tuple[int, int, int]) -> str:
    """A colour as a page's computed style writes it (``rgb(r, g, b)``), which the kits parse."""
    return f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})"


def dom_row(role: str, label: str, box: Box, checked: bool | None = None, **extra: Any) -> dict[str, Any]:
    """A DOM row as MiniWoB's page reader gives it: pixel box, a pixel point that hits the element.

    ``extra`` adds the fields some kits read (a figure's ``tag``, ``text`` and ``colour``).
    """
    x0, y0, x1, y1 = box
    point = [int((x0 + x1) / 2), int((y0 + y1) / 2)]
    return {"role": role, "label": label, "box": list(box), "point": point, "checked": checked, **extra}


def element_row(row: dict[str, Any]) -> dict[str, Any]:
    """The ``info["elements"]`` row of a DOM row; a checkbox row also says whether it is ticked.

    MiniWoB pages start unticked, drill pages not always, and the kit's alternatives replay the
    ticks from the first frame.
    """
    out = {"box": Page.box(*row["box"]), "label": row["label"], "role": row["role"]}
    return out if row["checked"] is None else {**out, "checked": row["checked"]}


def button(page: Page, label: str, box: Box) -> dict[str, Any]:
    """Draw a Chromium button (13.33-px label centred) and return its DOM row."""
    page.rect(box, BUTTON, BORDER, 2)
    x0, y0, x1, y1 = box
    w = font(BUTTON_PX).getlength(label) / S
    page.text((x0 + x1 - w) / 2, (y0 + y1) / 2 - 7.5, label, px=BUTTON_PX)  # a 15-px line, centred
    page.words.append(
        {
            "box": page.box((x0 + x1 - w) / 2, y0 + 3, (x0 + x1 + w) / 2, y1 - 3),
            "label": label,
            "role": "text",
        }
    )
    return dom_row("button", label, box, tag="button", text=label, colour=css_rgb(BUTTON))


def same(row: dict[str, Any], hit: dict[str, Any]) -> bool:
    """Whether the ``info["elements"]`` row ``hit`` is the DOM row ``row``'s element."""
    return element_row(row)["box"] == hit["box"] and row["role"] == hit["role"]


def random_string(rng: np.random.Generator, lo: int, hi: int, chars: str = _ALNUM) -> str:
    """``lo`` to ``hi`` random characters."""
    return "".join(chars[i] for i in rng.integers(0, len(chars), int(rng.integers(lo, hi + 1))))


def near(rng: np.random.Generator, word: str, chars: str = _ALNUM) -> str:
    """``word`` with one character replaced: the lookalike the reader must tell apart."""
    i = int(rng.integers(len(word)))
    return word[:i] + chars[int(rng.integers(len(chars)))] + word[i + 1 :]


def paragraph(rng: np.random.Generator, n: int) -> list[str]:
    """MiniWoB's ``generateWords``: capitalised sentences, some commas, a full stop at the end."""
    out, capital = [], True
    for i in range(n):
        w = (
            str(LOREM[int(rng.integers(len(LOREM)))])
            if rng.random() < 0.75
            else random_string(rng, 2, 9, string.ascii_lowercase)
        )
        w = w.capitalize() if capital else w
        capital = False
        if i == n - 1:
            w += "."
        elif rng.random() < 0.2:
            w, capital = w + ".", True
        elif rng.random() < 0.1:
            w += ","
        out.append(w)
    return out


def gamma(rng: np.random.Generator) -> float:
    """A text weight for one page (see ``Page.screenshot``)."""
    return float(rng.uniform(1.0, 1.8))
