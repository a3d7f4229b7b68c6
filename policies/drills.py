"""Reading drills: fresh MiniWoB-styled pages drawn with Pillow, mixed into training batches.

Why: MiniWoB gives 200 expert episodes per task, and the two tasks the policy kept failing
(click-link at 40-57%, click-checkboxes at 20-33%) ask it to find one word or random string among
lookalikes drawn in Chromium's 10-px text. 200 episodes show a few hundred strings; the learning
facts measured a reader trained on a fixed set of screens losing ~20 points to one trained on fresh
renders. A drill is a new page every time, with those two tasks' layout, colours and instruction
wording, in the font Chromium uses for their ``Arial`` (Liberation Sans), drawn at 4x and
box-filtered down, which is close to Chromium's unhinted anti-aliased text (hinted 10-px FreeType
text is visibly bolder). The answer and every word's box are known by construction, so drills carry
the same annotations as recorded MiniWoB steps. They teach reading; the real envs stay the judge.

``drill_episodes(seed)`` yields endless one-page ``Trajectory``s (click-link pages, and whole
click-checkboxes episodes: tick the named boxes in page order, then Submit);
``policies.sources.MixedSource`` puts a fixed number of their steps into every training batch.
"""

from __future__ import annotations

import functools
import itertools
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory
from deskpilot.envs.actions import Action

__all__ = ["KINDS", "drill", "drill_episodes"]

W, H = 160, 210  # MiniWoB's task area (the observation)
S = 4  # supersampling factor
FONT_SIZE = 10  # MiniWoB's #query and #area font-size
LINE = 11  # Chromium's line box for 10-px Liberation Sans (measured on recorded pages)
QUERY_H = 50  # the yellow #query strip: 44 px plus 3 px padding above and below
KINDS = ("link", "checkboxes")
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
_LOREM: tuple[str, ...] = tuple(_LOREM_TEXT.split())
_ALNUM = string.ascii_letters + string.digits
BLACK, BLUE, YELLOW = (0, 0, 0), (0, 0, 255), (255, 255, 0)
BORDER, BUTTON, TICK = (118, 118, 118), (239, 239, 239), (0, 117, 255)


@functools.lru_cache(maxsize=8)
def _font(px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, round(px * S))
    return ImageFont.load_default(size=round(px * S))  # no system fonts: Pillow's own


class _Page:
    """A 4x canvas that records the box of every word it draws (in normalised screen units).

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
        if colour not in self.ink:
            self.ink[colour] = Image.new("L", (W * S, H * S), 0)
        return ImageDraw.Draw(self.ink[colour])

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 / W, y0 / H, x1 / W, y1 / H]

    def rect(self, box: tuple[float, float, float, float], fill: Any, outline: Any, radius: float) -> None:
        x0, y0, x1, y1 = (round(v * S) for v in box)
        self.draw.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), round(radius * S), fill, outline, width=S)

    def text(
        self, x: float, y: float, word: str, fill: tuple[int, int, int] = BLACK, px: float = FONT_SIZE
    ) -> float:
        """Draw ``word`` with its line box's top-left at (x, y); returns its advance in pixels."""
        self.pen(fill).text((x * S, y * S), word, font=_font(px), fill=255)
        return _font(px).getlength(word) / S

    def flow(
        self,
        words: list[str],
        x0: float,
        y0: float,
        width: float,
        colours: list[tuple[int, int, int]] | None = None,
    ) -> list[list[float]]:
        """Lay ``words`` out like inline text in a block (wrapping at ``width``); their boxes."""
        space = _font(FONT_SIZE).getlength(" ") / S
        x, y, boxes = x0, y0, []
        for i, word in enumerate(words):
            w = _font(FONT_SIZE).getlength(word) / S
            if x > x0 and x + w > x0 + width:
                x, y = x0, y + LINE
            colour = colours[i] if colours else BLACK
            self.text(x, y, word, colour)
            if colour == BLUE:  # a link: underlined
                line = round((y + 10) * S)
                self.pen(BLUE).rectangle((round(x * S), line, round((x + w) * S), line + S - 1), fill=255)
            box = self.box(x, y, x + w, y + LINE)
            self.words.append({"box": box, "label": word, "role": "text"})
            boxes.append(box)
            x += w + space
        return boxes

    def query(self, text: str) -> None:
        self.flow(text.split(), 3, 3, W - 6)

    def screenshot(self, gamma: float = 1.0) -> np.ndarray:
        """The page at screen size.

        ``gamma`` > 1 darkens anti-aliased edges: Chromium's text is a little heavier than
        box-filtered outlines, and a range of weights keeps the reader from keying on one.
        """
        out = np.asarray(self.image.resize((W, H), Image.Resampling.BOX), np.float32)
        for colour, mask in self.ink.items():
            cover = np.asarray(mask.resize((W, H), Image.Resampling.BOX), np.float32)[..., None] / 255.0
            cover = 1.0 - (1.0 - cover) ** gamma
            out = out * (1.0 - cover) + np.asarray(colour, np.float32) * cover
        return np.round(out).astype(np.uint8)


def _random_string(rng: np.random.Generator, lo: int, hi: int, chars: str = _ALNUM) -> str:
    return "".join(chars[i] for i in rng.integers(0, len(chars), int(rng.integers(lo, hi + 1))))


def _near(rng: np.random.Generator, word: str, chars: str = _ALNUM) -> str:
    """``word`` with one character replaced: the lookalike the reader must tell apart."""
    i = int(rng.integers(len(word)))
    return word[:i] + chars[int(rng.integers(len(chars)))] + word[i + 1 :]


def _paragraph(rng: np.random.Generator, n: int) -> list[str]:
    """MiniWoB's ``generateWords``: capitalised sentences, some commas, a full stop at the end."""
    out, capital = [], True
    for i in range(n):
        w = (
            str(_LOREM[int(rng.integers(len(_LOREM)))])
            if rng.random() < 0.75
            else _random_string(rng, 2, 9, string.ascii_lowercase)
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


def _gamma(rng: np.random.Generator) -> float:
    return float(rng.uniform(1.0, 1.8))


def _centre(box: list[float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _meta(task: str, kind: str) -> EpisodeMeta:
    return EpisodeMeta(task=task, source="expert", obs_size=(H, W), env_id=None, extra={"drill": kind})


def link_drill(rng: np.random.Generator) -> Trajectory:
    """click-link: a 20-word paragraph, a fifth of the words links; click the named one."""
    words = _paragraph(rng, 20)
    is_link = rng.random(len(words)) < 0.2
    if not is_link.any():
        is_link[int(rng.integers(len(words)))] = True
    links = np.flatnonzero(is_link)
    target = words[int(rng.choice(links))]
    others = [int(i) for i in links if words[i] != target]
    if others and rng.random() < 0.3:  # a lookalike link beside the target
        words[others[int(rng.integers(len(others)))]] = _near(rng, target, string.ascii_lowercase)
    task = f'Click on the link "{target}".'
    page = _Page()
    page.query(task)
    boxes = page.flow(words, 2, QUERY_H + 2, W - 4, [BLUE if f else BLACK for f in is_link])
    linked = [(b, w) for b, w, f in zip(boxes, words, is_link, strict=True) if f]
    elements = [{"box": b, "label": w, "role": "link"} for b, w in linked]
    right = [b for b, w in linked if w == target]
    (x, y), (x0, y0, x1, y1) = _centre(right[0]), right[0]
    dx, dy = rng.uniform(-0.3, 0.3, 2)
    action = Action.click(x + dx * (x1 - x0), y + dy * (y1 - y0))
    annotations = {"elements": page.words + elements, "targets": right}
    step = Step(page.screenshot(_gamma(rng)), action, annotations)
    return Trajectory(_meta(task, "link"), [step], success=True, reward=1.0)


def checkbox_drill(rng: np.random.Generator) -> Trajectory:
    """click-checkboxes: tick the named boxes top to bottom (untick wrong ones), then Submit."""
    n = int(rng.integers(2, 7))
    names: list[str] = []
    while len(names) < n:
        if names and rng.random() < 0.3:
            name = _near(rng, names[int(rng.integers(len(names)))])
        else:
            name = _random_string(rng, 2, 7)
        if name not in names:
            names.append(name)
    wanted = [bool(v) for v in rng.random(n) < 0.5]
    ticked = [bool(v) for v in rng.random(n) < 0.3] if rng.random() < 0.3 else [False] * n
    listed = ", ".join(nm for nm, w in zip(names, wanted, strict=True) if w) or "nothing"
    task = f"Select {listed} and click Submit."
    steps, gamma = [], _gamma(rng)
    while True:
        page = _Page()
        page.query(task)
        elements, labels = [], []
        for i, name in enumerate(names):
            top = QUERY_H + 5 + 19 * i
            fill = TICK if ticked[i] else "white"
            page.rect((9, top, 22, top + 13), fill, TICK if ticked[i] else BORDER, 2)
            if ticked[i]:  # the white tick
                pts = [(11.5, top + 6.5), (14.5, top + 9.5), (19.5, top + 3.5)]
                page.draw.line([(x * S, y * S) for x, y in pts], fill="white", width=round(1.6 * S))
            w = page.text(29, top + 4, name)
            page.words.append({"box": page.box(29, top + 4, 29 + w, top + 15), "label": name, "role": "text"})
            label = page.box(2, top + 4, 29 + w, top + 15)
            labels.append(label)
            elements.append({"box": label, "label": name, "role": "label"})
            elements.append({"box": page.box(6, top, 26, top + 13), "label": name, "role": "checkbox"})
        top = QUERY_H + 13 + 19 * n
        page.rect((2, top, 97.5, top + 31), BUTTON, BORDER, 2)
        w = _font(13.33).getlength("Submit") / S
        page.text(49.75 - w / 2, top + 8, "Submit", px=13.33)
        submit = page.box(2, top, 97.5, top + 31)
        elements.append({"box": submit, "label": "Submit", "role": "button"})
        todo = [i for i in range(n) if ticked[i] != wanted[i]]
        if todo:  # the MiniWoB expert's click: on the label, right of the square
            box = labels[todo[0]]
            action = Action.click((26 / W + box[2]) / 2, (box[1] + box[3]) / 2)
            targets = [labels[i] for i in todo]
        else:
            action, targets = Action.click(*_centre(submit)), [submit]
        annotations = {"elements": page.words + elements, "targets": targets}
        steps.append(Step(page.screenshot(gamma), action, annotations))
        if not todo:
            return Trajectory(_meta(task, "checkboxes"), steps, success=True, reward=1.0)
        ticked[todo[0]] = not ticked[todo[0]]


DRILLS = {"link": link_drill, "checkboxes": checkbox_drill}


def drill(kind: str, rng: np.random.Generator) -> Trajectory:
    """One fresh drill episode of ``kind`` (one of ``KINDS``)."""
    if kind not in DRILLS:
        raise ValueError(f"unknown drill {kind!r}; expected one of {KINDS}")
    return DRILLS[kind](rng)


def drill_episodes(seed: int, kinds: tuple[str, ...] = KINDS) -> Iterator[Trajectory]:
    """Endless drill episodes, round-robin over ``kinds``, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    for kind in itertools.cycle(kinds):
        yield drill(kind, rng)
