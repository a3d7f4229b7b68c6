"""Kits of the tasks told apart by look: colours, shapes, a grid, two boxes to drag.

* click-color: "Click on the red colored box." (or the colour shown as a swatch in the
  instruction bar) over four coloured boxes: click the box of that colour.
* click-shades: "Select all the shades of red and press Submit." over twelve squares in shades of
  red, green and blue: toggle exactly the squares of that hue, then Submit.
* click-shape: "Click on a large red circle" (size, colour, kind, any of them left out) over a
  grid of shapes, letters and digits: click one that fits (the first in reading order).
* count-shape: "How many large red circles are there?" over such a grid: click the button with
  the number that fit (possibly 0).
* identify-shape: one figure (a rectangle, circle, triangle, letter or digit): click the button
  that names its kind.
* grid-coordinate: "Click on the grid coordinate (1,-2)." over a 5x5 lattice of points: click it.
* drag-box: drag the small box so that it lies wholly inside the large one, then Submit.

The expert reads what the screen shows from the DOM: each element's ``colour`` (an SVG shape's
fill, otherwise its background, as ``rgb(r, g, b)``), its tag (which kind of shape), its box (its
size) and its text (which letter or digit); shapes nobody listens to and click-color's swatch are
there as role ``figure`` (``envs.miniwob.page``). Toggling and dragging are decided from the page
as it is now (what is selected, where the boxes are), so a click or drag that did not land is
simply made again.
"""

from __future__ import annotations

import dataclasses
import re

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks.base import Element, TaskKit, click, find, fixed, read
from deskpilot.envs.miniwob.tasks.forms import KITS as FORM_KITS
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = ["CSS_COLOURS", "KITS", "SHAPE_BIN", "SVG_KINDS", "ShapeQuery", "parse_shape_query"]

RGB = tuple[int, int, int]

# The CSS colour names the tasks use (click-color's and the shape grids'), as browsers render them.
CSS_COLOURS: dict[str, RGB] = {
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "olive": (128, 128, 0),
    "lime": (0, 255, 0),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "purple": (128, 0, 128),
    "orange": (255, 165, 0),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "aqua": (0, 255, 255),
    "pink": (255, 192, 203),
    "magenta": (255, 0, 255),
}


def _rgb(css: str | None) -> RGB | None:
    """``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` -> (r, g, b); None for anything else (``none``, a gradient)."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, [\d.]+)?\)", (css or "").strip())
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


# --------------------------------------------------------------------------- click-color


def parse_click_color(task: str) -> str | None:
    """The colour named, or None when the instruction shows it as a swatch instead of a word."""
    match = re.fullmatch(r"Click on the (?:(\w+) )?colored box\.", task.strip())
    if match is None or (match[1] is not None and match[1] not in CSS_COLOURS):
        raise ValueError(f"click-color: cannot read the colour from {task!r}")
    return match[1]


def _click_color(task: str, dom: list[Element]) -> Action:
    name = parse_click_color(task)
    if name is None:
        wanted = _rgb(find(dom, lambda e: e["id"] == "query-color", "colour swatch")["colour"])
    else:
        wanted = CSS_COLOURS[name]
    return click(
        find(
            dom,
            lambda e: (
                e["role"] != "figure" and "color" in e["classes"].split() and _rgb(e["colour"]) == wanted
            ),
            f"box of colour {name or wanted}",
        )
    )


# --------------------------------------------------------------------------- click-shades

_HUES = ("red", "green", "blue")  # the task's hues 0, 120 and 240: the brightest channel tells them


def parse_click_shades(task: str) -> str:
    match = read(
        r"Select all the shades of (red|green|blue) and press Submit\.", task, "click-shades", "the colour"
    )
    return match[1]


def _hue(el: Element) -> str | None:
    rgb = _rgb(el["colour"])
    if rgb is None or sorted(rgb)[1] == max(rgb):  # no single brightest channel: not a shade
        return None
    return _HUES[rgb.index(max(rgb))]


def _click_shades(task: str, dom: list[Element]) -> Action:
    """Toggle the first square whose selection is wrong; when none is, Submit."""
    hue = parse_click_shades(task)
    for el in dom:
        shade = _hue(el) if el["tag"] == "span" else None
        if shade is not None and ("selected" in el["classes"].split()) != (shade == hue):
            return click(el)
    return click(find(dom, lambda e: e["id"] == "submit", "Submit button"))


# --------------------------------------------------------------------------- shapes

SVG_KINDS = {"rect": "rectangle", "circle": "circle", "polygon": "triangle"}  # SVG tag -> MiniWoB's name
_LARGE = 15  # pixels: large figures are drawn 20 px (text 20 px high), small ones 10 px


@dataclasses.dataclass(frozen=True)
class ShapeQuery:
    """MiniWoB's lossy description of a figure (``shapes.generalDesc``); None: left out."""

    size: str | None  # "large" or "small"
    colour: str | None  # one of the grid's colour names
    what: str  # "item", "shape", "letter", "digit", a kind ("circle"), or the letter or digit itself


def parse_shape_query(description: str) -> ShapeQuery:
    """``"large red circle"``, ``"small q"``, ``"item"`` -> a ``ShapeQuery``."""
    words = description.split()
    size = words.pop(0) if len(words) > 1 and words[0] in ("large", "small") else None
    colour = words.pop(0) if len(words) > 1 and words[0] in CSS_COLOURS else None
    if len(words) != 1:
        raise ValueError(f"shapes: cannot read the description {description!r}")
    what = words[0]
    if len(what) != 1 and what not in ("item", "shape", "letter", "digit", *SVG_KINDS.values()):
        raise ValueError(f"shapes: unknown figure {what!r} in {description!r}")
    return ShapeQuery(size, colour, what)


def _figure(el: Element) -> tuple[str, str] | None:
    """(type, text) of a grid figure in MiniWoB's terms ("shape", "circle"), None for other elements."""
    if el["tag"] in SVG_KINDS:
        return "shape", SVG_KINDS[el["tag"]]
    if el["tag"] == "text" and len(el["text"]) == 1:
        return ("digit" if el["text"].isdigit() else "letter"), el["text"]
    return None


def _fits(el: Element, query: ShapeQuery) -> bool:
    """``shapes.shapeMatchesText``: every part the description gives agrees with the figure."""
    figure = _figure(el)
    if figure is None:
        return False
    x0, y0, x1, y1 = el["box"]
    size = "large" if max(x1 - x0, y1 - y0) >= _LARGE else "small"
    return (
        (query.size is None or query.size == size)
        and (query.colour is None or CSS_COLOURS[query.colour] == _rgb(el["colour"]))
        and query.what in ("item", *figure)
    )


def parse_click_shape(task: str) -> ShapeQuery:
    match = read(r"Click on an? (.+)", task, "click-shape", "the figure")
    return parse_shape_query(match[1])


# shapes.js MAX_SIZE: a grid bin in page pixels; a figure is centred in it, a large one fills it
SHAPE_BIN = 20


def _click_shape(task: str, dom: list[Element]) -> Action:
    """Click the first figure that fits in reading order (by grid row, then left to right).

    A lossy description ("small aqua item") fits several figures in half the episodes; the first in
    page order is at a random place on the screen, so a policy copying that choice could only guess.
    """
    query = parse_click_shape(task)
    figures = [e for e in dom if _figure(e) is not None]
    fitting = [e for e in figures if _fits(e, query)]
    if not fitting:
        raise ExpertCannotAct(f"expert: no figure that fits {query}")
    top = min((e["box"][1] + e["box"][3]) / 2 for e in figures)

    def reading_order(e: Element) -> tuple[int, float]:
        x0, y0, x1, y1 = e["box"]
        return round(((y0 + y1) / 2 - top) / SHAPE_BIN), (x0 + x1) / 2

    return click(min(fitting, key=reading_order))


def parse_count_shape(task: str) -> ShapeQuery:
    match = read(r"How many (.+)s are there\?", task, "count-shape", "the figure")  # the plural is a bare "s"
    return parse_shape_query(match[1])


def _count_shape(task: str, dom: list[Element]) -> Action:
    query = parse_count_shape(task)
    count = str(sum(_fits(e, query) for e in dom))
    return click(find(dom, lambda e: e["role"] == "button" and e["label"] == count, f"button {count}"))


_IDENTIFY = "Click the button that best describes the figure below."
_ANSWERS = {"rectangle": "Rectangle", "circle": "Circle", "triangle": "Triangle", "letter": "Letter"}


def _identify_shape(task: str, dom: list[Element]) -> Action:
    figure = next((f for f in map(_figure, dom) if f is not None), None)  # the page shows one
    if figure is None:
        raise ExpertCannotAct("expert: no visible figure on the page")
    kind, text = figure
    answer = "Number" if kind == "digit" else _ANSWERS[text if kind == "shape" else kind]
    return click(find(dom, lambda e: e["role"] == "button" and e["label"] == answer, f"button {answer}"))


# --------------------------------------------------------------------------- grid-coordinate


def parse_grid_coordinate(task: str) -> tuple[int, int]:
    match = read(
        r"Click on the grid coordinate \((-?\d+),(-?\d+)\)\.", task, "grid-coordinate", "the coordinate"
    )
    return int(match[1]), int(match[2])


def _grid_coordinate(task: str, dom: list[Element]) -> Action:
    x, y = parse_grid_coordinate(task)
    # Each point's id is its coordinate, the one the axis labels give it on the screen.
    return click(find(dom, lambda e: e["tag"] == "circle" and e["id"] == f"({x},{y})", f"point ({x},{y})"))


# --------------------------------------------------------------------------- drag-box

_SLACK = 30  # how far inside the large box the small one's corner may sit (sides 50 and 20, + padding)


def _drag_box(task: str, dom: list[Element]) -> Action:
    """Drag the small box's corner to the middle of the large one's slack; once inside, Submit."""
    small = find(dom, lambda e: e["id"] == "draggableSmall", "small box")
    large = find(dom, lambda e: e["id"] == "draggableLarge", "large box")
    dx, dy = small["box"][0] - large["box"][0], small["box"][1] - large["box"][1]
    if 1 <= dx <= _SLACK - 1 and 1 <= dy <= _SLACK - 1:  # the page's test is strict, 0 < d < 30
        return click(find(dom, lambda e: e["id"] == "subbtn", "Submit button"))
    px, py = small["point"]
    tx, ty = px + round(_SLACK / 2 - dx), py + round(_SLACK / 2 - dy)
    return Action.drag(
        from_pixel(px, TASK_W), from_pixel(py, TASK_H), from_pixel(tx, TASK_W), from_pixel(ty, TASK_H)
    )


KITS: tuple[TaskKit, ...] = (
    TaskKit("click-color", parse_click_color, _click_color),
    TaskKit("click-shades", parse_click_shades, _click_shades),
    TaskKit("click-shape", parse_click_shape, _click_shape),
    TaskKit("identify-shape", fixed("identify-shape", _IDENTIFY), _identify_shape),
    TaskKit("count-shape", parse_count_shape, _count_shape),
    TaskKit("grid-coordinate", parse_grid_coordinate, _grid_coordinate),
    TaskKit(
        "drag-box",
        fixed("drag-box", "Drag the smaller box so that it is completely inside the larger box."),
        _drag_box,
    ),
    *FORM_KITS,
)
