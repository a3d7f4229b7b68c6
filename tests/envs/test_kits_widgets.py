"""The widget and reading kits without a browser: instructions parsed, answers computed, next actions.

Pages here are hand-written DOM rows in ``info["dom"]``'s form; the real pages are checked with
``deskpilot collect`` (see the kits' module docstrings).
"""

from __future__ import annotations

from typing import Any

import pytest

from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.miniwob.tasks import KITS, reading, widgets
from deskpilot.envs.miniwob.tasks.base import click
from deskpilot.envs.spaces import ExpertCannotAct


def _el(tag: str = "div", *, role: str = "clickable", box: list[float] | None = None, **kw: Any) -> dict:
    box = box or [10, 60, 50, 80]
    row = {"tag": tag, "type": "", "id": "", "classes": "", "role": role, "label": "", "text": ""}
    row |= {"value": None, "checked": None, "focused": False, "box": box}
    row |= {"point": [int((box[0] + box[2]) / 2), int((box[1] + box[3]) / 2)]}
    return row | kw


def _submit() -> dict:
    return _el("button", role="button", label="Submit", box=[10, 150, 100, 180])


def _word(label: str, x: float, y: float) -> dict:
    return _el("", role="text", label=label, text=label, box=[x, y, x + 8, y + 10])


def test_widget_kits_are_in_the_table() -> None:
    for kit in widgets.KITS:
        assert KITS[kit.task] is kit


def test_date_and_time_keys() -> None:
    assert widgets.date_keys("Enter 01/05/2012 as the date and hit submit.") == "01052012"
    task = "Enter 7:55\u202fPM as the time and press submit."  # as Chromium writes it
    assert widgets.ENTER_TIME.parse(task) == (19, 55)
    assert widgets.time_keys(task) == "0755P"
    assert widgets.time_keys("Enter 12:05?AM as the time and press submit.") == "1205A"
    assert widgets.time_keys("Enter 12:30 PM as the time and press submit.") == "1230P"
    with pytest.raises(ValueError):
        widgets.ENTER_TIME.parse("Enter 13:05 PM as the time and press submit.")


def test_enter_date_tabs_to_the_month_segment_types_then_submits() -> None:
    task = "Enter 10/20/2017 as the date and hit submit."
    field = _el("input", role="textbox", id="tt", box=[7, 62, 132, 83])
    assert widgets.ENTER_DATE.expert(task, [field, _submit()]) == Action.press("tab")
    assert widgets.ENTER_DATE.expert(task, [field | {"focused": True}, _submit()]) == Action.type_text(
        "10202017"
    )
    done = widgets.ENTER_DATE.expert(task, [field | {"value": "2017-10-20"}, _submit()])
    assert done.type is ActionType.CLICK and done.y is not None and done.y * 210 > 150


def test_choose_list_tabs_in_then_types_the_option() -> None:
    task = "Select Costa Rica from the list and click Submit."
    assert widgets.CHOOSE_LIST.parse(task) == "Costa Rica"
    select = _el("select", role="combobox", text="MayotteCosta RicaAngola", value="Angola")
    assert widgets.CHOOSE_LIST.expert(task, [select, _submit()]) == Action.press("tab")
    focused = select | {"focused": True}
    # Typed, not stepped to: the order of the options is not on the screen.
    assert widgets.CHOOSE_LIST.expert(task, [focused, _submit()]) == Action.type_text("Costa Rica")
    done = widgets.CHOOSE_LIST.expert(task, [focused | {"value": "Costa Rica"}, _submit()])
    assert done.type is ActionType.CLICK
    with pytest.raises(ExpertCannotAct, match="'Peru' is not in the list"):
        widgets.CHOOSE_LIST.expert("Select Peru from the list and click Submit.", [focused, _submit()])


def test_choose_date_easy_moves_the_marked_day_by_keys() -> None:
    task = "Select 12/09/2016 as the date and hit submit."
    field = _el("input", role="textbox", id="datepicker", focused=True)

    def day(n: int) -> dict:
        return _el("td", label=str(n), classes=" ui-datepicker-days-cell-over ")

    expert = widgets.CHOOSE_DATE_EASY.expert
    assert expert(task, [field | {"focused": False}, _submit()]).type is ActionType.CLICK
    assert expert(task, [field, day(31)]) == Action.press("ctrl+up")
    assert expert(task, [field, day(10)]) == Action.press("ctrl+left")
    assert expert(task, [field, day(5)]) == Action.press("ctrl+right")
    assert expert(task, [field, day(9)]) == Action.press("enter")
    picked = field | {"value": "12/09/2016"}
    assert expert(task, [picked, day(9)]) == Action.press("tab")  # the calendar still covers Submit
    assert expert(task, [picked | {"focused": False}, day(9)]) == Action.press("enter")


def test_use_spinner_clicks_the_arrow_toward_the_number() -> None:
    task = "Select -3 with the spinner and hit Submit."
    up = _el("a", role="button", classes="ui-spinner-button ui-spinner-up", box=[138, 67, 154, 76])
    down = _el("a", role="button", classes="ui-spinner-button ui-spinner-down", box=[138, 77, 154, 86])
    spinner = _el("input", role="spinbutton", id="spinner", value="0")
    dom = [spinner, up, down, _submit()]
    assert widgets.USE_SPINNER.expert(task, dom) == click(down)
    assert widgets.USE_SPINNER.expert(task, [spinner | {"value": "-4"}, up, down]) == click(up)


def test_typed_answers_from_the_page() -> None:
    assert reading.arithmetic_answer("3 x 4 =") == "12"
    assert reading.arithmetic_answer("2 - 9 =") == "-7"
    assert reading.algebra_answer("x - 3 = 45") == "48"
    assert reading.algebra_answer("x + 3 = 2") == "-1"
    assert reading.algebra_answer("3 - x = 45") == "-42"
    assert reading.algebra_answer("7 + x = 10") == "3"
    with pytest.raises(ValueError):
        reading.algebra_answer("Submit")


def test_reading_kits_read_the_words_below_the_instruction_bar() -> None:
    field = _el("input", role="textbox", id="math-answer", focused=True)
    words = [
        _word("Solve", 2, 5),
        _word("3", 30, 60),
        _word("x", 40, 60),
        _word("4", 50, 60),
        _word("=", 60, 60),
    ]
    task = "Solve the math problem and type your answer into the textbox. Press submit when done."
    assert reading.SIMPLE_ARITHMETIC.expert(task, [field, _submit(), *words]) == Action.type_text("12")
    letters = [_word(c, 30 + 10 * i, 60) for i, c in enumerate("aB3")] + [_word("Submit", 30, 160)]
    task = "Type the text below into the text field and press Submit."
    assert reading.TEXT_TRANSFORM.expert(task, [field, _submit(), *letters]) == Action.type_text("aB3")
    with pytest.raises(ExpertCannotAct):  # a DOM read without words
        reading.SIMPLE_ARITHMETIC.expert(task, [field, _submit()])


def test_unicode_test_reads_the_bar_else_matches_masked_labels() -> None:
    ok, cancel = (
        _el("button", role="button", label=s, box=[2, y, 30, y + 20]) for s, y in (("确定", 60), ("取消", 90))
    )
    task = 'Click on the "??" button.'
    assert reading.mask("确定 ÖK") == "?? ÖK"
    bar = [_word(w, 10 * i, 5) for i, w in enumerate(["Click", "on", "the", '"取消"', "button."])]
    assert reading.UNICODE_TEST.expert(task, [ok, cancel, *bar]) == click(cancel)
    assert reading.UNICODE_TEST.expert(task, [ok]) == click(ok)
    with pytest.raises(ExpertCannotAct):  # "??" reads as both
        reading.UNICODE_TEST.expert(task, [ok, cancel])


def test_slider_range_from_the_value_and_the_handle() -> None:
    assert reading.slider_range(104, 110, 0.04) == (100, 200)
    assert reading.slider_range(104, 110, 0.4) == (100, 110)
    assert reading.slider_range(-50, -99, 0.5) == (-100, 0)
    with pytest.raises(ValueError):
        reading.slider_range(0, 300, 0.0)


def test_use_slider_drags_far_and_steps_near() -> None:
    track = _el(id="slider", classes="ui-slider ui-slider-horizontal", box=[10, 60, 110, 70])
    handle = _el("span", classes="ui-slider-handle ui-corner-all", box=[33, 58, 47, 72])  # 30% along
    value = [_word("30", 120, 60)]  # so the range is 0 to 100
    task = "Select 50 with the slider and hit Submit."
    drag = reading.USE_SLIDER.expert(task, [track, handle, _submit(), *value])
    assert drag.type is ActionType.DRAG and drag.x2 is not None and 55 <= drag.x2 * 160 <= 65
    near = [_word("48", 120, 60)]
    focused = handle | {"focused": True, "box": [53, 58, 67, 72]}
    assert reading.USE_SLIDER.expert(task, [track, focused, _submit(), *near]) == Action.press("right")
    done = reading.USE_SLIDER.expert(task, [track, focused, _submit(), _word("50", 120, 60)])
    assert done.type is ActionType.CLICK
