"""Sum drills: simple-arithmetic's and simple-algebra's problems, drawn with Pillow.

Both tasks show a problem in 30-px digits (``3 x 4 =``, ``5 - x = 96``) over a text field and ask
for the answer typed in it, a number that stands nowhere on the page. The writer has to read the
digits and do the sum; 200 episodes of each show it 200 of simple-arithmetic's 300 problems once
each, and a few of simple-algebra's 4,000. These pages are the tasks' own (the problem, the field
and Submit where Chromium puts them, measured on the pages), a fresh problem every episode, with the
DOM rows the reading kits' experts read, so each task's expert solves its drill unchanged: click the
field, type the answer, submit. ``envs.miniwob.drill_env`` plays them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob.tasks.reading import SIMPLE_ALGEBRA_TASK, SIMPLE_ARITHMETIC_TASK

__all__ = ["AlgebraPage", "ArithmeticPage", "MathPage"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]

PX = 30  # the problem's and the field's font size
_LINE = 33  # Chromium's line box for 30-px Liberation Sans (measured on the pages)
_GAP = 4 + 2.78  # the field's margin-left and a 10-px space before it
_CENTRE = 80.0  # the area centres its lines


def _width(text: str) -> float:
    return float(dp.font(PX).getlength(text)) / dp.S


class MathPage:
    """A problem line (or two), a text field and Submit; the typed text is judged on Submit.

    Subclasses set ``task``, ``answer`` and ``lines``: per line its words and, on the field's
    line, the field's width; ``tops``: each line's top; ``submit``: the button's box.
    """

    task: str
    answer: str
    lines: list[tuple[list[str], float]]  # words, the field's width (0: no field on that line)
    tops: tuple[float, ...]
    submit: dp.Box

    def __init__(self, rng: np.random.Generator) -> None:
        self.value, self.focused, self.selected = "", False, False
        self.weight = dp.gamma(rng)
        self.field: dp.Box = (0.0, 0.0, 0.0, 0.0)

    def render(self) -> Rendered:
        """The page as it is (screenshot, ``info["elements"]``, ``info["dom"]``)."""
        page, words = dp.Page(), []
        page.query(self.task)
        space = _width(" ")
        for (line, field_w), top in zip(self.lines, self.tops, strict=True):
            text_w = sum(_width(w) for w in line) + space * (len(line) - 1)
            x = _CENTRE - (text_w + (_GAP + field_w if field_w else 0)) / 2
            for word in line:
                w = page.text(x, top, word, px=PX)
                box = (x, top, x + w, top + _LINE)
                page.words.append({"box": page.box(*box), "label": word, "role": "text"})
                words.append(dp.dom_row("text", word, box))
                x += w + space
            if field_w:
                self.field = (x - space + _GAP, top, x - space + _GAP + field_w, top + 36)
                self._draw_field(page)
        rows = [
            dp.dom_row(
                "textbox", "math-answer", self.field, tag="input", value=self.value, focused=self.focused
            ),
            dp.button(page, "Submit", self.submit),
        ]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in rows], rows + words

    def _draw_field(self, page: dp.Page) -> None:
        x0, y0, x1, y1 = self.field
        if self.focused:  # Chromium's focus ring: 2 px of near-black around the field
            page.rect(self.field, "white", (16, 16, 16), 2)
            page.rect((x0 + 1, y0 + 1, x1 - 1, y1 - 1), "white", (16, 16, 16), 1)
        else:
            page.rect(self.field, "white", dp.BORDER, 2)
        end = x0 + 3 + (page.text(x0 + 3, y0 + 1.5, self.value, px=PX) if self.value else 0)
        if self.focused and end < x1 - 2:  # the caret
            page.pen(dp.BLACK).rectangle(
                (
                    round(end * dp.S),
                    round((y0 + 4) * dp.S),
                    round(end * dp.S) + dp.S - 1,
                    round((y1 - 4) * dp.S),
                ),
                fill=255,
            )

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


class ArithmeticPage(MathPage):
    """simple-arithmetic: ``a op b =`` with a and b in 0-9 and op one of ``+ - x``."""

    task = SIMPLE_ARITHMETIC_TASK
    tops = (62.0,)
    submit = (32.25, 118.0, 127.75, 149.0)

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        a, b = (int(v) for v in rng.integers(0, 10, 2))
        op = str(rng.choice(["+", "-", "x"]))
        self.answer = str(a + b if op == "+" else a - b if op == "-" else a * b)
        self.lines = [([str(a), op, str(b), "="], 47.0)]


class AlgebraPage(MathPage):
    """simple-algebra: ``x op d = m`` or ``d op x = m`` (d in 0-9, m in 0-99, op ``+ -``), ``x =`` a field."""

    task = SIMPLE_ALGEBRA_TASK
    tops = (52.0, 92.0)
    submit = (32.25, 148.0, 127.75, 179.0)

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng)
        d, m = int(rng.integers(0, 10)), int(rng.integers(0, 100))
        op, x_first = str(rng.choice(["-", "+"])), bool(rng.random() < 0.5)
        if x_first:
            problem, x = ["x", op, str(d), "=", str(m)], m - d if op == "+" else m + d
        else:
            problem, x = [str(d), op, "x", "=", str(m)], m - d if op == "+" else d - m
        self.answer = str(x)
        self.lines = [(problem, 0.0), (["x", "="], 58.0)]
