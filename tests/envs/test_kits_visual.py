"""The kits of ``tasks.visual`` and ``tasks.forms`` without a browser: parsing, and the expert on
hand-made pages that carry what ``envs.miniwob.page`` reads (``colour``, ``context``, figures)."""

from __future__ import annotations

from typing import Any

import pytest

from deskpilot.envs.actions import Action, ActionType, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks import KITS, visual
from deskpilot.envs.miniwob.tasks.forms import parse_find_word, parse_movie_search
from deskpilot.envs.miniwob.tasks.visual import ShapeQuery, parse_shape_query
from deskpilot.envs.spaces import ExpertCannotAct


def _el(tag: str = "div", box: tuple[float, float, float, float] = (0, 0, 10, 10), **fields: Any) -> dict:
    x0, y0, x1, y1 = box
    el = {
        "tag": tag,
        "type": "",
        "id": "",
        "classes": "",
        "role": "clickable",
        "label": "",
        "text": "",
        "value": None,
        "checked": None,
        "focused": False,
        "box": list(box),
        "point": [int((x0 + x1) // 2), int((y0 + y1) // 2)],
        "colour": "rgba(0, 0, 0, 0)",
        "context": "",
    }
    return {**el, **fields}


def _at(el: dict) -> Action:
    return Action.click(from_pixel(el["point"][0], TASK_W), from_pixel(el["point"][1], TASK_H))


def test_every_kit_of_the_module_is_in_the_table() -> None:
    assert all(KITS[kit.task] is kit for kit in visual.KITS)


@pytest.mark.parametrize(
    ("task", "instruction", "asked"),
    [
        ("click-color", "Click on the olive colored box.", "olive"),
        ("click-color", "Click on the colored box.", None),  # the colour is a swatch
        ("click-shades", "Select all the shades of green and press Submit.", "green"),
        ("click-shape", "Click on a large red circle", ShapeQuery("large", "red", "circle")),
        ("click-shape", "Click on a small q", ShapeQuery("small", None, "q")),
        ("count-shape", "How many items are there?", ShapeQuery(None, None, "item")),
        ("count-shape", "How many blue ss are there?", ShapeQuery(None, "blue", "s")),
        ("grid-coordinate", "Click on the grid coordinate (0,-2).", (0, -2)),
        ("identify-shape", "Click the button that best describes the figure below.", None),
        (
            "find-word",
            'Find the 12th word in the paragraph, type that into the textbox and press "Submit".',
            12,
        ),
        (
            "multi-layouts",
            "Search for saga movies directed by Hale from year 1984.",
            ("saga", "Hale", "1984"),
        ),
        (
            "login-user-popup",
            'Enter the username "kay" and the password "U7" into the text fields and press login.',
            ("kay", "U7"),
        ),
    ],
)
def test_parse_reads_what_is_asked(task: str, instruction: str, asked: object) -> None:
    assert KITS[task].parse(instruction) == asked


def test_shape_query_needs_one_figure_word() -> None:
    assert parse_shape_query("large shape") == ShapeQuery("large", None, "shape")
    for description in ("red", "large red blob", "large small circle"):
        with pytest.raises(ValueError):
            parse_shape_query(description)
    with pytest.raises(ValueError):
        parse_find_word("Find the 0th word in the paragraph")
    with pytest.raises(ValueError):
        parse_movie_search("Search for movies.")


def test_click_color_matches_the_swatch() -> None:
    swatch = _el(id="query-color", role="figure", classes="color", colour="rgb(128, 128, 0)")
    boxes = [
        _el(classes="color", box=(0, 50, 50, 100), colour="rgb(255, 0, 0)"),
        _el(classes="color", box=(60, 50, 110, 100), colour="rgb(128, 128, 0)"),
    ]
    expert = KITS["click-color"].expert
    assert expert("Click on the colored box.", [swatch, *boxes]) == _at(boxes[1])
    assert expert("Click on the red colored box.", [swatch, *boxes]) == _at(boxes[0])


def test_click_shades_toggles_then_submits() -> None:
    red = _el("span", box=(0, 50, 12, 62), colour="rgb(230, 200, 200)")
    blue = _el("span", box=(20, 50, 32, 62), colour="rgb(40, 40, 120)", classes="selected")
    submit = _el("button", id="submit", role="button", label="Submit", box=(100, 150, 150, 170))
    expert = KITS["click-shades"].expert
    task = "Select all the shades of red and press Submit."
    assert expert(task, [red, blue, submit]) == _at(red)
    assert expert(task, [{**red, "classes": "selected"}, blue, submit]) == _at(blue)
    assert expert(task, [{**red, "classes": "selected"}, {**blue, "classes": ""}, submit]) == _at(submit)


def _grid() -> list[dict]:
    return [
        _el("svg", id="area_svg", box=(0, 50, 160, 210)),
        _el("circle", box=(0, 50, 20, 70), colour="rgb(255, 0, 0)", role="figure"),  # large red circle
        _el("circle", box=(25, 55, 35, 65), colour="rgb(255, 0, 0)", role="figure"),  # small red circle
        _el("text", box=(40, 50, 50, 72), colour="rgb(0, 128, 0)", text="q", role="figure"),  # large q
        _el("text", box=(60, 55, 66, 66), colour="rgb(0, 0, 255)", text="7", role="figure"),  # small 7
        _el("polygon", box=(80, 50, 100, 70), colour="rgb(0, 255, 255)", role="figure"),
    ]


def test_click_shape_clicks_a_figure_that_fits() -> None:
    grid, expert = _grid(), KITS["click-shape"].expert
    assert expert("Click on a small red circle", grid) == _at(grid[2])
    assert expert("Click on a large letter", grid) == _at(grid[3])
    assert expert("Click on a 7", grid) == _at(grid[4])
    assert expert("Click on a aqua shape", grid) == _at(grid[5])


def test_click_shape_takes_the_first_fitting_figure_in_reading_order() -> None:
    """Several figures fit a lossy description: the one the screen puts first, not the page's first."""
    red = [
        _el("circle", box=(100, 92, 110, 102), colour="rgb(255, 0, 0)", role="figure"),  # row 3, right
        _el("text", box=(62, 70, 69, 81), colour="rgb(255, 0, 0)", text="k", role="figure"),  # row 2
        _el("circle", box=(20, 90, 40, 110), colour="rgb(255, 0, 0)", role="figure"),  # row 3, left
    ]
    grid = [*_grid()[:1], *red, _el("rect", box=(120, 50, 140, 70), colour="rgb(0, 0, 255)", role="figure")]
    expert = KITS["click-shape"].expert
    assert expert("Click on a red item", grid) == _at(red[1])
    assert expert("Click on a red circle", grid) == _at(red[2])  # same row: the leftmost
    assert expert("Click on a large red circle", grid) == _at(red[2])
    assert expert("Click on a small red circle", grid) == _at(red[0])
    with pytest.raises(ExpertCannotAct, match="no figure that fits"):
        expert("Click on a green triangle", grid)


@pytest.mark.parametrize(
    ("task", "count"),
    [
        ("How many red circles are there?", "2"),
        ("How many items are there?", "5"),
        ("How many small items are there?", "2"),
        ("How many triangles are there?", "1"),
        ("How many digits are there?", "1"),
        ("How many large qs are there?", "1"),
        ("How many black rectangles are there?", "0"),
    ],
)
def test_count_shape_counts_what_fits(task: str, count: str) -> None:
    buttons = [
        _el("button", role="button", label=str(n), box=(n * 16, 190, n * 16 + 14, 205)) for n in range(6)
    ]
    assert KITS["count-shape"].expert(task, _grid() + buttons) == _at(buttons[int(count)])


@pytest.mark.parametrize(
    ("figure", "answer"),
    [
        (_el("rect", role="figure"), "Rectangle"),
        (_el("polygon", role="figure"), "Triangle"),
        (_el("text", role="figure", text="Q"), "Letter"),
        (_el("text", role="figure", text="0"), "Number"),
    ],
)
def test_identify_shape_names_the_figure(figure: dict, answer: str) -> None:
    names = ("Rectangle", "Circle", "Triangle", "Letter", "Number")
    buttons = [
        _el("button", role="button", label=n, box=(i * 30, 150, i * 30 + 28, 170))
        for i, n in enumerate(names)
    ]
    wanted = buttons[names.index(answer)]
    assert KITS["identify-shape"].expert(
        "Click the button that best describes the figure below.", [figure, *buttons]
    ) == _at(wanted)


def test_drag_box_drags_into_the_slack_then_submits() -> None:
    small = _el(id="draggableSmall", box=(8, 110, 36, 138))
    large = _el(id="draggableLarge", box=(50, 75, 108, 133))
    submit = _el("button", id="subbtn", role="button", label="Submit", box=(2, 157, 97, 188))
    task = "Drag the smaller box so that it is completely inside the larger box."
    action = KITS["drag-box"].expert(task, [small, large, submit])
    assert action.type is ActionType.DRAG
    assert action.end == (from_pixel(22 + 57, TASK_W), from_pixel(124 - 20, TASK_H))
    inside = {**small, "box": [65, 90, 93, 118]}
    assert KITS["drag-box"].expert(task, [inside, large, submit]) == _at(submit)


def test_movie_search_fills_fields_by_their_captions() -> None:
    year = _el("input", role="textbox", value="", context="Released Date", box=(10, 60, 150, 80))
    genre = _el("input", role="textbox", value="", context="Movie Genre", box=(10, 90, 150, 110))
    name = _el("input", role="textbox", value="", context="Director Name", box=(10, 120, 150, 140))
    go = _el("button", role="button", label="Go!", box=(60, 150, 100, 170))
    task, expert = "Search for saga movies directed by Hale from year 1984.", KITS["multi-layouts"].expert
    assert expert(task, [year, genre, name, go]) == _at(year)
    assert expert(task, [{**year, "focused": True}, genre, name, go]) == Action.type_text("1984")
    done = [{**year, "value": "1984"}, {**genre, "value": "saga"}, {**name, "value": "Hale"}, go]
    assert expert(task, done) == _at(go)


def test_find_word_types_the_nth_word_without_punctuation() -> None:
    field = _el(
        "input",
        id="answer-input",
        role="textbox",
        value="",
        focused=True,
        context="Lorem ipsum. Amet, vel Submit",
    )
    submit = _el("button", id="subbtn", role="button", label="Submit", box=(2, 143, 97, 174))
    task = 'Find the 3rd word in the paragraph, type that into the textbox and press "Submit".'
    assert KITS["find-word"].expert(task, [field, submit]) == Action.type_text("Amet")


def test_login_user_popup_dismisses_the_popup_first() -> None:
    user = _el("input", id="username", role="textbox", value="", box=(7, 78, 135, 99))
    cancel = _el("button", id="popup-cancel", role="button", label="Cancel", box=(80, 150, 120, 170))
    task = 'Enter the username "kay" and the password "U7" into the text fields and press login.'
    assert KITS["login-user-popup"].expert(task, [user, cancel]) == _at(cancel)
    assert KITS["login-user-popup"].expert(task, [user]) == _at(user)
