"""Typed-answer drills: simple-arithmetic's, simple-algebra's and find-word's pages, drawn with Pillow.

Each of these tasks shows something above a text field and asks for an answer typed in it that the
instruction does not hold: the sum of two 30-px digits (``3 x 4 =``), the x of ``5 - x = 96``, the
n-th word of a paragraph. The writer has to read it off the page (and, for the sums, work it out);
200 episodes of each show it 200 of simple-arithmetic's 300 problems once each, a few of
simple-algebra's 4,000 and 200 paragraphs. These pages are the tasks' own (the problem or paragraph,
the field and Submit where Chromium puts them, measured on the pages), fresh every episode, with
the DOM rows the kits' experts read, so each task's expert solves its drill unchanged: click the
field, type the answer, submit. ``envs.miniwob.drill_env`` plays them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob.tasks.forms import find_word_answer, find_word_instruction
from deskpilot.envs.miniwob.tasks.reading import (
    SIMPLE_ALGEBRA_TASK,
    SIMPLE_ARITHMETIC_TASK,
    algebra_answer,
    arithmetic_answer,
)

__all__ = ["AlgebraPage", "ArithmeticPage", "FieldPage", "FindWordPage"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]

SUM_PX = 30  # the sum pages' problem and field font size
INPUT_PX = 13.33  # Chromium's default input font size
_SUM_LINE = 33  # Chromium's line box for 30-px Liberation Sans (measured on the pages)
_GAP = 4 + 2.78  # the sum field's margin-left and a 10-px space before it
_CENTRE = 80.0  # the sum pages centre their lines


def _width(text: str, px: float) -> float:
    return float(dp.font(px).getlength(text)) / dp.S


class FieldPage:
    """Something to read, a text field and Submit; the typed text is judged on Submit.

    A subclass sets ``task`` and ``answer`` and draws its content in ``draw``, which places
    ``field`` (its box) and ``submit`` and returns the DOM rows of the words it drew.
    """

    task: str
    answer: str
    field_px: float = INPUT_PX
    field_id = "answer-input"

    def __init__(self, rng: np.random.Generator) -> None:
        self.value, self.focused, self.selected = "", False, False
        self.weight = dp.gamma(rng)
        self.field: dp.Box = (0.0, 0.0, 0.0, 0.0)
        self.submit: dp.Box = (0.0, 0.0, 0.0, 0.0)

    def draw(self, page: dp.Page) -> list[Element]:
        """Draw what is read and place ``field`` and ``submit``; the words' DOM rows."""
        raise NotImplementedError

    def context(self) -> str:
        """The text of the field's enclosing element, as ``envs.miniwob.page`` reads it."""
        return ""

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page = dp.Page()
        page.query(self.task)
        words = self.draw(page)
        self._draw_field(page)
        field = dp.dom_row(
            "textbox",
            self.field_id,
            self.field,
            tag="input",
            id=self.field_id,
            value=self.value,
            focused=self.focused,
            context=self.context(),
        )
        rows = [field, dp.button(page, "Submit", self.submit)]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows + words

    def _draw_field(self, page: dp.Page) -> None:
        x0, y0, x1, y1 = self.field
        if self.focused:  # Chromium's focus ring: 2 px of near-black around the field
            page.rect(self.field, "white", (16, 16, 16), 2)
            page.rect((x0 + 1, y0 + 1, x1 - 1, y1 - 1), "white", (16, 16, 16), 1)
        else:
            page.rect(self.field, "white", dp.BORDER, 2)
        top = (y0 + y1) / 2 - self.field_px * 0.56  # the text's line box, centred in the field
        end = x0 + 3 + (page.text(x0 + 3, top, self.value, px=self.field_px) if self.value else 0)
        if self.focused and end < x1 - 2:  # the caret
            caret = (
                round(end * dp.S),
                round((y0 + 3) * dp.S),
                round(end * dp.S) + dp.S - 1,
                round((y1 - 3) * dp.S),
            )
            page.pen(dp.BLACK).rectangle(caret, fill=255)

    def click(self, hit: Element) -> bool | None:
        """A click on the field focuses it; on Submit it ends the episode (right if the answer)."""
        if hit["role"] == "button":
            return self.value == self.answer
        if hit["role"] == "textbox":
            self.focused, self.selected = True, False
        return None

    def type_text(self, text: str) -> None:
        """Typing into the focused field replaces a selection, else appends."""
        if self.focused:
            self.value = text if self.selected else self.value + text
            self.selected = False

    def press(self, key: str) -> None:
        """ctrl+a selects the field's text (the expert's way to replace a wrong answer)."""
        if self.focused and key == "ctrl+a":
            self.selected = True


class _SumPage(FieldPage):
    """A problem in 30-px digits, centred, with the field on the last line (``lines``, ``tops``)."""

    field_px = SUM_PX
    field_id = "math-answer"
    lines: list[tuple[list[str], float]]  # words, the field's width on that line (0: none)
    tops: tuple[float, ...]
    submit_top: float

    def draw(self, page: dp.Page) -> list[Element]:
        """The problem's lines, centred; the field ends the line that has it."""
        words, space = [], _width(" ", SUM_PX)
        for (line, field_w), top in zip(self.lines, self.tops, strict=True):
            text_w = sum(_width(w, SUM_PX) for w in line) + space * (len(line) - 1)
            x = _CENTRE - (text_w + (_GAP + field_w if field_w else 0)) / 2
            for word in line:
                w = page.text(x, top, word, px=SUM_PX)
                box = (x, top, x + w, top + _SUM_LINE)
                page.words.append({"box": page.box(*box), "label": word, "role": "text"})
                words.append(dp.dom_row("text", word, box))
                x += w + space
            if field_w:
                self.field = (x - space + _GAP, top, x - space + _GAP + field_w, top + 36)
        self.submit = (32.25, self.submit_top, 127.75, self.submit_top + 31)
        return words


class ArithmeticPage(_SumPage):
    """simple-arithmetic: ``a op b =`` with a and b in 0-9 and op one of ``+ - x``."""

    task = SIMPLE_ARITHMETIC_TASK
    tops = (62.0,)
    submit_top = 118.0

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        a, b = (int(v) for v in rng.integers(0, 10, 2))
        op = str(rng.choice(["+", "-", "x"]))
        self.lines = [([str(a), op, str(b), "="], 47.0)]
        self.answer = arithmetic_answer(" ".join(self.lines[0][0]))  # the kit's rule


class AlgebraPage(_SumPage):
    """simple-algebra: ``x op d = m`` or ``d op x = m`` (d in 0-9, m in 0-99, op ``+ -``), ``x =`` a field."""

    task = SIMPLE_ALGEBRA_TASK
    tops = (52.0, 92.0)
    submit_top = 148.0

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        d, m = int(rng.integers(0, 10)), int(rng.integers(0, 100))
        op, x_first = str(rng.choice(["-", "+"])), bool(rng.random() < 0.5)
        problem = ["x", op, str(d), "=", str(m)] if x_first else [str(d), op, "x", "=", str(m)]
        self.lines = [(problem, 0.0), (["x", "="], 58.0)]
        self.answer = algebra_answer(" ".join(problem))  # the kit's rule


class FindWordPage(FieldPage):
    """find-word: a paragraph of 6-14 lorem words (some sentences), its n-th word asked for."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        n, words, capital = int(rng.integers(6, 15)), [], True
        for _ in range(n):  # find-word.html's randomText
            w = str(dp.LOREM[int(rng.integers(len(dp.LOREM)))])
            w = w.capitalize() if capital else w
            capital = bool(rng.random() < 0.2)
            words.append(w + "." if capital else w + "," if rng.random() < 0.05 else w)
        at = int(rng.integers(n))
        self.words = words
        self.answer = find_word_answer(words[at])
        self.task = find_word_instruction(at + 1)

    def draw(self, page: dp.Page) -> list[Element]:
        """The paragraph from the area's top; the field 13 px below it, Submit under the field."""
        boxes = page.flow(self.words, 2, 62, dp.W - 4)
        bottom = boxes[-1][3]
        self.field = (2.0, bottom + 13, 130.0, bottom + 34)
        self.submit = (2.0, bottom + 37, 97.5, bottom + 68)
        return [dp.dom_row("text", w, b) for w, b in zip(self.words, boxes, strict=True)]

    def context(self) -> str:
        """The area's text: the paragraph, then the button's label (what the kit's expert reads)."""
        return " ".join(self.words) + " Submit"
