"""Kits of MiniWoB tasks: typed answers and form widgets (dates, times, lists, spinners).

- enter-text-dynamic: ``Enter "3XZ" into the text field and press Submit.`` over a field and a button
  that move a little each episode: fill the field, then submit (as enter-text).
- enter-date: ``Enter 10/20/2017 as the date and hit submit.`` over an ``<input type=date>``. The
  field is three segments (month, day, year) that take digits and move on by themselves, so the
  expert focuses the month segment with Tab (the field is the page's first focusable element) and
  types ``10202017``. Not a click: a click selects the segment under it, and a policy taught
  "click the field" clicks any of its cells (measured: the writer typed the date right, into the
  day segment, 0 of 30).
- enter-time: ``Enter 7:55 PM as the time and press submit.`` over an ``<input type=time>`` with
  hour, minute and AM/PM segments: Tab to the hour segment, type ``0755P``.
- choose-list: ``Select Somalia from the list and click Submit.`` over a ``<select>``. A click opens
  the native popup, which the screen capture does not show, so the expert focuses the closed select
  with Tab and types the option's name, which the select's type-ahead selects, then submits. (Stepping
  with the arrow keys needs the option list's order, which the closed select never shows: a policy
  copying that expert from pixels could not tell up from down.)
- choose-date-easy: ``Select 12/24/2016 as the date and hit submit.`` over a read-only field with a
  jQuery UI datepicker limited to December 2016. A clicked day leaves the calendar fading out over
  the submit button for some 400 ms, so the expert works the calendar with its keys: click the
  field, move the marked day with ctrl+arrows, Enter, then Tab to the button and Enter.
- use-spinner: ``Select 5 with the spinner and hit Submit.``; the page blocks typing into the
  spinner, so the expert clicks its up or down arrow until it shows the number, then submits.
Every decision is made from the page as it is now (the field's value and focus, the select's value),
so a click that did not land is simply made again.
"""

from __future__ import annotations

import re

from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks import reading
from deskpilot.envs.miniwob.tasks.base import Element, TaskKit, click, fill, find, quoted_parts, read
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = [
    "CHOOSE_DATE_EASY",
    "CHOOSE_LIST",
    "ENTER_DATE",
    "ENTER_TEXT_DYNAMIC",
    "ENTER_TIME",
    "KITS",
    "USE_SPINNER",
    "date_keys",
    "time_keys",
]


def _submit(dom: list[Element]) -> Action:
    return click(
        find(dom, lambda e: e["role"] == "button" and e["label"].lower() == "submit", "submit button")
    )


def _field(dom: list[Element], field_id: str) -> Element:
    return find(dom, lambda e: e["id"] == field_id, f"field #{field_id}")


# ----------------------------------------------------------------------------- enter-text-dynamic


def _enter_text_dynamic_parse(task: str) -> str:
    return quoted_parts(task, "enter-text-dynamic", 1)[0]


def _enter_text_dynamic(task: str, dom: list[Element]) -> Action:
    text = _enter_text_dynamic_parse(task)
    return fill(_field(dom, "tt"), text) or _submit(dom)


ENTER_TEXT_DYNAMIC = TaskKit("enter-text-dynamic", _enter_text_dynamic_parse, _enter_text_dynamic)

# ----------------------------------------------------------------------------- enter-date

_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})")


def _date(task: str) -> tuple[str, str, str]:
    """``(month, day, year)`` as the instruction writes them (two, two and four digits)."""
    match = _DATE.search(task)
    if match is None:
        raise ValueError(f"enter-date, choose-date-easy: cannot read a MM/DD/YYYY date from {task!r}")
    month, day, year = match.groups()
    return month, day, year


def date_keys(task: str) -> str:
    """What to type into the date field's month segment: ``10/20/2017`` -> ``10202017``."""
    return "".join(_date(task))


def _enter_date(task: str, dom: list[Element]) -> Action:
    month, day, year = _date(task)
    field = _field(dom, "tt")
    if field["value"] == f"{year}-{month}-{day}":  # a date field's value is ISO whatever it shows
        return _submit(dom)
    if not field["focused"]:
        return Action.press("tab")  # focuses the first segment; a click's segment is where it lands
    return Action.type_text(month + day + year)


ENTER_DATE = TaskKit("enter-date", _date, _enter_date)

# ----------------------------------------------------------------------------- enter-time

# "Enter 7:55 PM as the time": Chromium puts a narrow no-break space before PM, outside
# TEXT_CHARSET, so the instruction reads "7:55?PM"; anything but a digit may stand between.
_TIME = re.compile(r"Enter (\d{1,2}):(\d\d)\D*?([AP])M as the time")


def _time(task: str) -> tuple[int, int]:
    """``(hour, minute)`` on a 24-hour clock, as the field's value holds it."""
    match = _TIME.search(task)
    if match is None:
        raise ValueError(f"enter-time: cannot read the time from {task!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (1 <= hour <= 12 and minute < 60):
        raise ValueError(f"enter-time: {hour}:{minute:02d} is no 12-hour time")
    return hour % 12 + (12 if match.group(3) == "P" else 0), minute


def time_keys(task: str) -> str:
    """What to type into the time field's hour segment: ``7:55 PM`` -> ``0755P``."""
    hour, minute = _time(task)
    return f"{(hour - 1) % 12 + 1:02d}{minute:02d}{'P' if hour >= 12 else 'A'}"


def _enter_time(task: str, dom: list[Element]) -> Action:
    hour, minute = _time(task)
    field = _field(dom, "tt")
    if field["value"] == f"{hour:02d}:{minute:02d}":
        return _submit(dom)
    if not field["focused"]:
        return Action.press("tab")  # focuses the first segment; a click's segment is where it lands
    return Action.type_text(time_keys(task))


ENTER_TIME = TaskKit("enter-time", _time, _enter_time)

# ----------------------------------------------------------------------------- choose-list

_SELECT = re.compile(r"Select (.+) from the list and click Submit\.")


def _choose_list_parse(task: str) -> str:
    match = read(_SELECT, task, "choose-list", "the option")
    return match.group(1)


def _choose_list(task: str, dom: list[Element]) -> Action:
    target = _choose_list_parse(task)
    select = find(dom, lambda e: e["tag"] == "select", "list")
    if select["value"] == target:
        return _submit(dom)
    if not select["focused"]:
        return Action.press("tab")  # the select is the page's first focusable element; no popup
    if target not in select["text"]:  # the DOM gives the options as one run of text
        raise ExpertCannotAct(f"expert: {target!r} is not in the list")
    return Action.type_text(target)  # type-ahead picks the option whose name this is; spaces too


CHOOSE_LIST = TaskKit("choose-list", _choose_list_parse, _choose_list)

# ----------------------------------------------------------------------------- choose-date-easy


def _choose_date_easy(task: str, dom: list[Element]) -> Action:
    month, day, year = _date(task)
    field = _field(dom, "datepicker")
    if field["value"] == f"{month}/{day}/{year}":
        # The calendar fades out over the submit button for a while after the pick: reach the
        # button with Tab from the field and press it with Enter instead of waiting for it.
        if any(e["role"] == "button" and e["label"] == "Submit" for e in dom):
            return _submit(dom)
        if field["focused"]:
            return Action.press("tab")
        return Action.press("enter")  # the focus left the field for the (still covered) button
    # The calendar marks the day the keys are on; ctrl+arrows move it (a week up or down, a day
    # left or right) and Enter picks it, keeping the focus in the field.
    over = [e for e in dom if e["tag"] == "td" and "ui-datepicker-days-cell-over" in e["classes"].split()]
    if not field["focused"] or not over or not over[0]["label"].isdigit():
        return click(field)  # opens the calendar, on December 2016 (the only month it allows)
    step = int(day) - int(over[0]["label"])
    if step == 0:
        return Action.press("enter")
    if abs(step) >= 7:
        return Action.press("ctrl+down" if step > 0 else "ctrl+up")
    return Action.press("ctrl+right" if step > 0 else "ctrl+left")


CHOOSE_DATE_EASY = TaskKit("choose-date-easy", _date, _choose_date_easy)

# ----------------------------------------------------------------------------- use-spinner

_SPIN = re.compile(r"Select (-?\d+) with the spinner and hit Submit\.")


def _use_spinner_parse(task: str) -> int:
    match = read(_SPIN, task, "use-spinner", "the number")
    return int(match.group(1))


def _use_spinner(task: str, dom: list[Element]) -> Action:
    target = _use_spinner_parse(task)
    value = _field(dom, "spinner")["value"]
    try:
        now = int(value)
    except ValueError:
        raise ExpertCannotAct(f"expert: the spinner shows {value!r}, not a number") from None
    if now == target:
        return _submit(dom)
    arrow = "ui-spinner-up" if target > now else "ui-spinner-down"
    return click(find(dom, lambda e: arrow in e["classes"].split(), "spinner arrow"))


USE_SPINNER = TaskKit("use-spinner", _use_spinner_parse, _use_spinner)

KITS: tuple[TaskKit, ...] = (
    ENTER_TEXT_DYNAMIC,
    ENTER_DATE,
    ENTER_TIME,
    CHOOSE_LIST,
    CHOOSE_DATE_EASY,
    USE_SPINNER,
    *reading.KITS,
)
