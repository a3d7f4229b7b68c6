"""Kits of MiniWoB tasks whose answer is drawn on the page, not written in the instruction.

Their experts read the page's words: the entries of ``info["dom"]`` with role ``"text"``, one per
visible word in document order (``label``: the word; ``box``: its pixel box), after the interactive
elements (``envs.miniwob.env.page_dom``).

- simple-arithmetic: ``Solve the math problem ...`` over ``3 x 4 =`` and a field: type ``12``.
- simple-algebra: ``Solve for x ...`` over ``x - 3 = 45`` (or ``3 - x = 45``): type ``48``.
- text-transform: ``Type the text below ...`` over 3 to 5 skewed letters, one ``<span>`` each: type
  them in order.
- use-slider: ``Select 104 with the slider and hit Submit.`` over a jQuery UI slider whose range
  (from -100 to 200) the page does not show, only the value, in a word beside the slider. The
  expert guesses the range from the value and the handle's place on the track (the page draws it
  from 16 ranges), drags the handle to where the number should be, and corrects the value it reads
  with the arrow keys (the drag leaves the handle focused).
- unicode-test: ``Click on the "确定" button.`` The instruction reaches the actor with characters
  outside ``TEXT_CHARSET`` as ``?``; the instruction bar's own words carry the real label. Without
  them the expert matches labels masked the same way, which fails where two labels read alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deskpilot.envs.actions import TEXT_CHARSET, Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks.base import (
    Element,
    TaskKit,
    centre,
    click,
    fill,
    find,
    fixed,
    quoted,
    quoted_parts,
    read,
)
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = [
    "SIMPLE_ALGEBRA",
    "SIMPLE_ALGEBRA_TASK",
    "SIMPLE_ARITHMETIC",
    "SIMPLE_ARITHMETIC_TASK",
    "SLIDER_RANGES",
    "TEXT_TRANSFORM",
    "UNICODE_TEST",
    "USE_SLIDER",
    "KITS",
    "algebra_answer",
    "arithmetic_answer",
    "mask",
    "slider_range",
]

_CHARSET = frozenset(TEXT_CHARSET)
QUERY_BOTTOM = 50  # MiniWoB's instruction bar: 44 px high plus 3 px padding above and below


def _words(dom: list[Element], *, query: bool) -> list[str]:
    """The page's words in document order: in the instruction bar, or below it."""
    words = [e for e in dom if e.get("role") == "text"]
    if not words:
        raise ExpertCannotAct("expert: the DOM read carries no page words (role 'text')")
    return [e["label"] for e in words if (e["box"][1] < QUERY_BOTTOM) == query]


def _fill_and_submit(dom: list[Element], text: str) -> Action:
    """Fill the task's answer field (the page's only text field) with ``text``, then submit."""
    field = find(dom, lambda e: e.get("role") == "textbox", "text field")
    action = fill(field, text)
    if action is not None:
        return action
    return click(find(dom, lambda e: e.get("role") == "button" and e["label"].lower() == "submit", "submit"))


# ----------------------------------------------------------------------------- simple-arithmetic

SIMPLE_ARITHMETIC_TASK = (
    "Solve the math problem and type your answer into the textbox. Press submit when done."
)
SIMPLE_ALGEBRA_TASK = "Solve for x and type your answer into the textbox. Press Submit when done."

_SUM = re.compile(r"(\d+) ([-+x]) (\d+) =")


def arithmetic_answer(problem: str) -> str:
    """``"3 x 4 ="`` -> ``"12"`` (the page compares the typed text with the number's string)."""
    match = _SUM.search(problem)
    if match is None:
        raise ValueError(f"simple-arithmetic: no 'a op b =' in {problem!r}")
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    return str(a + b if op == "+" else a - b if op == "-" else a * b)


def _solve(answer: Callable[[str], str]) -> Callable[[str, list[Element]], Action]:
    """The expert that types ``answer`` of the page's words below the instruction, then submits."""

    def expert(task: str, dom: list[Element]) -> Action:
        try:
            text = answer(" ".join(_words(dom, query=False)))
        except ValueError as error:
            raise ExpertCannotAct(f"expert: {error}") from None
        return _fill_and_submit(dom, text)

    return expert


SIMPLE_ARITHMETIC = TaskKit(
    "simple-arithmetic",
    fixed("simple-arithmetic", SIMPLE_ARITHMETIC_TASK),
    _solve(arithmetic_answer),
)

# ----------------------------------------------------------------------------- simple-algebra

_X_FIRST = re.compile(r"x ([-+]) (\d+) = (\d+)")
_X_LAST = re.compile(r"(\d+) ([-+]) x = (\d+)")


def algebra_answer(problem: str) -> str:
    """``"x - 3 = 45"`` -> ``"48"``, ``"3 - x = 45"`` -> ``"-42"``."""
    if (match := _X_FIRST.search(problem)) is not None:
        op, d, m = match.group(1), int(match.group(2)), int(match.group(3))
        return str(m - d if op == "+" else m + d)
    if (match := _X_LAST.search(problem)) is not None:
        d, op, m = int(match.group(1)), match.group(2), int(match.group(3))
        return str(m - d if op == "+" else d - m)
    raise ValueError(f"simple-algebra: no equation in x in {problem!r}")


SIMPLE_ALGEBRA = TaskKit(
    "simple-algebra",
    fixed("simple-algebra", SIMPLE_ALGEBRA_TASK),
    _solve(algebra_answer),
)

# ----------------------------------------------------------------------------- text-transform


def _text_transform(task: str, dom: list[Element]) -> Action:
    # Each letter is its own <span>, so its own word; the button's "Submit" ends the page's words.
    words = _words(dom, query=False)
    if "Submit" not in words:
        raise ExpertCannotAct("expert: no Submit button among the page's words")
    letters = "".join(words[: words.index("Submit")])
    if not 3 <= len(letters) <= 5:
        raise ExpertCannotAct(f"expert: read {letters!r}, not the 3 to 5 letters the page draws")
    return _fill_and_submit(dom, letters)


TEXT_TRANSFORM = TaskKit(
    "text-transform",
    fixed("text-transform", "Type the text below into the text field and press Submit."),
    _text_transform,
)

# ----------------------------------------------------------------------------- use-slider

# The page draws the slider's minimum from these and its width of range from these: 16 ranges.
SLIDER_RANGES: tuple[tuple[int, int], ...] = tuple(
    (low, low + span) for low in (-100, 0, 10, 100) for span in (5, 10, 50, 100)
)
_SLIDE = re.compile(r"Select (-?\d+) with the slider and hit Submit\.")


def _use_slider_parse(task: str) -> int:
    match = read(_SLIDE, task, "use-slider", "the number")
    return int(match.group(1))


def slider_range(value: int, target: int, fraction: float) -> tuple[int, int]:
    """The page's range that holds ``value`` and ``target`` and puts ``value`` nearest ``fraction``.

    ``fraction`` is where the handle sits along the track (0 at the minimum, 1 at the maximum).
    """
    fits = [
        (low, high) for low, high in SLIDER_RANGES if low <= min(value, target) and max(value, target) <= high
    ]
    if not fits:
        raise ValueError(f"use-slider: no range of the page holds {value} and {target}")
    return min(fits, key=lambda r: (abs((value - r[0]) / (r[1] - r[0]) - fraction), r[1] - r[0]))


def _use_slider(task: str, dom: list[Element]) -> Action:
    target = _use_slider_parse(task)
    numbers = [w for w in _words(dom, query=False) if re.fullmatch(r"-?\d+", w)]
    if len(numbers) != 1:
        raise ExpertCannotAct(f"expert: expected one number beside the slider, read {numbers}")
    value = int(numbers[0])
    if value == target:
        return click(find(dom, lambda e: e.get("role") == "button" and e["label"] == "Submit", "submit"))
    track = find(dom, lambda e: e.get("id") == "slider", "slider")
    handle = find(dom, lambda e: "ui-slider-handle" in e.get("classes", "").split(), "slider handle")
    vertical = "ui-slider-vertical" in track["classes"].split()
    x0, y0, x1, y1 = track["box"]
    hx, hy = centre(handle["box"])
    # A vertical slider has its minimum at the bottom.
    fraction = (y1 - hy) / (y1 - y0) if vertical else (hx - x0) / (x1 - x0)
    low, high = slider_range(value, target, fraction)
    at = (target - low) / (high - low)
    if handle["focused"] and abs(target - value) <= 3:  # close: the arrow keys step by one
        if vertical:
            return Action.press("up" if target > value else "down")
        return Action.press("right" if target > value else "left")
    # Press on the handle's centre (the slider keeps the press's offset from it) and let go where
    # the target value lies on the track.
    px, py = round(hx - 0.5), round(hy - 0.5)
    if vertical:
        qx, qy = px, round(y1 - at * (y1 - y0) - 0.5)
    else:
        qx, qy = round(x0 + at * (x1 - x0) - 0.5), py
    qx, qy = min(max(qx, 0), TASK_W - 1), min(max(qy, 0), TASK_H - 1)
    return Action.drag(
        from_pixel(px, TASK_W), from_pixel(py, TASK_H), from_pixel(qx, TASK_W), from_pixel(qy, TASK_H)
    )


USE_SLIDER = TaskKit("use-slider", _use_slider_parse, _use_slider)

# ----------------------------------------------------------------------------- unicode-test


def mask(text: str) -> str:
    """``text`` as the actor's instruction carries it: characters outside ``TEXT_CHARSET`` as ``?``."""
    return "".join(c if c in _CHARSET else "?" for c in text)


def _unicode_parse(task: str) -> str:
    return quoted_parts(task, "unicode-test", 1)[0]


def _masked_match(task: str, dom: list[Element]) -> Action:
    """The button whose masked label reads as the (masked) instruction's; ambiguous ones cannot act."""
    asked = mask(_unicode_parse(task))
    labels = {e["label"] for e in dom if e.get("role") == "button" and mask(e["label"]) == asked}
    if len(labels) != 1:
        raise ExpertCannotAct(
            f"expert: {asked!r} reads as the buttons {sorted(labels)}; which, it does not say"
        )
    label = labels.pop()
    return click(find(dom, lambda e: e.get("role") == "button" and e["label"] == label, label))


def _unicode_test(task: str, dom: list[Element]) -> Action:
    # The instruction bar's words hold the label as the page wrote it; the instruction string may
    # hold it masked ("??"). Without the bar's words a masked match is the best there is.
    if not any(e.get("role") == "text" for e in dom):
        return _masked_match(task, dom)
    labels = quoted(" ".join(_words(dom, query=True)))
    if not labels:
        raise ExpertCannotAct("expert: no quoted label in the instruction bar")
    return click(find(dom, lambda e: e.get("role") == "button" and e["label"] == labels[0], labels[0]))


UNICODE_TEST = TaskKit("unicode-test", _unicode_parse, _unicode_test)

KITS: tuple[TaskKit, ...] = (SIMPLE_ARITHMETIC, SIMPLE_ALGEBRA, TEXT_TRANSFORM, USE_SLIDER, UNICODE_TEST)
