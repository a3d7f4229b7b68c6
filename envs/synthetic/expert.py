"""``ExpertActor``: a scripted actor that solves every synthetic task from privileged ``info``.

It is stateless: each action is a function of the current ``info`` (goal, widget state and element
boxes) and the screenshot's size, so it can label any state a policy reaches (DAgger) and not only
states on its own path. It always aims at the centre pixel of the target's box.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.spaces import ExpertCannotAct, Observation

__all__ = ["ExpertActor"]

Info = dict[str, Any]


class _Geometry:
    """Element lookup and pixel-exact aiming for one step."""

    def __init__(self, observation: Observation, info: Info) -> None:
        self.height, self.width = observation["screenshot"].shape[:2]
        self.elements = info["elements"]
        self.state = info["state"]
        self.goal = info["goal"]

    def pixels(self, box: list[float]) -> tuple[int, int, int, int]:
        """The pixel box of a normalised box."""
        return (
            round(box[0] * self.width),
            round(box[1] * self.height),
            round(box[2] * self.width),
            round(box[3] * self.height),
        )

    def find(self, role: str, label: str) -> list[float] | None:
        """Box of the topmost visible element with this role and label."""
        for e in reversed(self.elements):
            if e["role"] == role and e["label"] == label:
                return e["box"]
        return None

    def centre(self, box: list[float]) -> tuple[float, float]:
        """Normalised centre of the box's centre pixel."""
        x0, y0, x1, y1 = self.pixels(box)
        return from_pixel((x0 + x1 - 1) // 2, self.width), from_pixel((y0 + y1 - 1) // 2, self.height)

    def click(self, role: str, label: str) -> Action:
        """Click the centre of an element that must be visible."""
        box = self.find(role, label)
        if box is None:
            raise ExpertCannotAct(f"expert: no visible {role} {label!r}")
        return Action.click(*self.centre(box))

    def widget(self, role: str, label: str) -> dict[str, Any]:
        """Privileged state of a widget."""
        return self.state["widgets"][f"{role}:{label}"]


def _set_field(g: _Geometry, label: str, text: str) -> Action | None:
    """Next action to make field ``label`` hold ``text`` and have focus; ``None`` when it does."""
    field = g.widget("textbox", label)
    if g.state["focus"] != f"textbox:{label}":
        return g.click("textbox", label)
    if field["text"] == text:
        return None
    # Select all before typing even in an empty field, as a careful person does: whether a field
    # already holds text is a small detail of its pixels, and policies trained on demonstrations
    # that selected only in prefilled fields often typed into a prefilled one without selecting.
    if not field["selected_all"]:
        return Action.press("ctrl+a")
    return Action.type_text(text)


def _click_button(g: _Geometry) -> Action:
    return g.click("button", g.goal["button"])


def _wrong_checkboxes(g: _Geometry) -> list[str]:
    """Labels of the checkboxes whose tick is not the asked one, in the order they are listed."""
    wrong = []
    for key, st in g.state["widgets"].items():
        role, label = key.split(":", 1)
        if role == "checkbox" and st["checked"] != (label in g.goal["checked"]):
            wrong.append(label)
    return wrong


def _checkboxes(g: _Geometry) -> Action:
    # Any box still to change is a right click (``_ALTERNATIVES``), so a policy ticks the lower of
    # two named boxes first as often as the upper. Gone through top to bottom, the demonstrations
    # never showed a box left to tick above the last click, and a policy there submitted early (half
    # of such episodes failed). The labels' hash orders them instead: the same order at every step
    # of an episode (the expert stays stateless), above or below at random across episodes.
    wrong = sorted(_wrong_checkboxes(g), key=lambda label: zlib.crc32(label.encode()))
    return g.click("checkbox", wrong[0]) if wrong else g.click("button", g.goal["submit"])


def _any_wrong_checkbox(g: _Geometry) -> list[list[float]]:
    """Every box still to change is as right to click next as the first one."""
    boxes = (g.find("checkbox", label) for label in _wrong_checkboxes(g))
    return [b for b in boxes if b is not None]


def _double_click(g: _Geometry) -> Action:
    box = g.find("icon", g.goal["icon"])
    assert box is not None
    return Action.double_click(*g.centre(box))


def _context_menu(g: _Geometry) -> Action:
    if g.state["popup"] is not None:
        return g.click("menuitem", g.goal["entry"])
    box = g.find("listitem", g.goal["item"])
    assert box is not None
    return Action.right_click(*g.centre(box))


SCROLL_TICKS = 3


def _scroll_list(g: _Geometry) -> Action:
    item = g.goal["item"]
    if g.find("listitem", item) is not None:
        return g.click("listitem", item)
    lst = g.widget("list", "files")
    # A fixed stride a person would use (and a policy can learn from pixels alone): the exact tick
    # count to the item depends on where it is in the hidden part, which the screen does not show.
    # The stride is below the smallest window (4 rows), so no item is ever skipped.
    ticks = SCROLL_TICKS if lst["items"].index(item) >= lst["offset"] else -SCROLL_TICKS
    box = g.find("list", "files")
    assert box is not None
    return Action.scroll_at(*g.centre(box), ticks)


def _slider(g: _Geometry) -> Action:
    st = g.widget("slider", g.goal["slider"])
    x0, _, x1, _ = g.pixels(g.find("slider", g.goal["slider"]))  # type: ignore[arg-type]
    a, b = x0 + 4, x1 - 5  # the slider's track, as drawn (widgets.Slider.track)
    target = a + round((g.goal["value"] - st["lo"]) * (b - a) / (st["hi"] - st["lo"]))
    thumb = g.find("thumb", g.goal["slider"])
    assert thumb is not None
    x, y = g.centre(thumb)
    return Action.drag(x, y, from_pixel(target, g.width), y)


def _drag_item(g: _Geometry) -> Action:
    item, zone = g.find("item", g.goal["item"]), g.find("dropzone", g.goal["zone"])
    assert item is not None and zone is not None
    return Action.drag(*g.centre(item), *g.centre(zone))


def _click_tab(g: _Geometry) -> Action:
    if g.find("button", g.goal["button"]) is None:
        return g.click("tab", g.goal["tab"])
    return _click_button(g)


def _click_link(g: _Geometry) -> Action:
    return g.click("link", g.goal["link"])


def _wait_spinner(g: _Geometry) -> Action:
    return Action.wait() if g.find("button", g.goal["button"]) is None else _click_button(g)


def _enter_text(g: _Geometry) -> Action:
    return _set_field(g, g.goal["field"], g.goal["text"]) or Action.press("enter")


def _clear_field(g: _Geometry) -> Action:
    label = g.goal["field"]
    field = g.widget("textbox", label)
    if g.state["focus"] != f"textbox:{label}":
        return g.click("textbox", label)
    return Action.press("backspace") if field["selected_all"] else Action.press("ctrl+a")


def _shortcut(g: _Geometry) -> Action:
    return Action.press(g.goal["key"])


def _dropdown(g: _Geometry) -> Action:
    if g.widget("combobox", g.goal["dropdown"])["selected"] == g.goal["option"]:
        if g.state["popup"] is not None:
            return Action.press("escape")
        return g.click("button", g.goal["submit"])
    if g.state["popup"] is not None:
        return g.click("menuitem", g.goal["option"])
    return g.click("combobox", g.goal["dropdown"])


def _login(g: _Geometry) -> Action:
    user_field, pass_field = g.goal["user_field"], g.goal["pass_field"]
    user = g.widget("textbox", user_field)
    focus = g.state["focus"]
    if user["text"] != g.goal["user"]:
        return _set_field(g, user_field, g.goal["user"]) or Action.press("enter")
    if g.widget("textbox", pass_field)["text"] != g.goal["password"]:
        if focus == f"textbox:{user_field}":
            return Action.press("tab")  # tab moves on to the password field (selecting its text)
        return _set_field(g, pass_field, g.goal["password"]) or Action.press("enter")
    if focus in (f"textbox:{user_field}", f"textbox:{pass_field}"):
        return Action.press("enter")
    return g.click("button", "Log in")


def _done_if_satisfied(g: _Geometry) -> Action:
    if g.widget("checkbox", g.goal["checkbox"])["checked"] != g.goal["checked"]:
        return g.click("checkbox", g.goal["checkbox"])
    return Action.done()


_POLICIES: dict[str, Callable[[_Geometry], Action]] = {
    "click-button": _click_button,
    "click-checkboxes": _checkboxes,
    "double-click": _double_click,
    "context-menu": _context_menu,
    "scroll-list": _scroll_list,
    "slider": _slider,
    "drag-item": _drag_item,
    "click-tab": _click_tab,
    "click-link": _click_link,
    "dialog": _click_button,
    "wait-spinner": _wait_spinner,
    "enter-text": _enter_text,
    "focus-type": _enter_text,
    "clear-field": _clear_field,
    "shortcut": _shortcut,
    "dropdown": _dropdown,
    "login": _login,
    "done-if-satisfied": _done_if_satisfied,
}


# Per family, the boxes that are as right to click as the one ``act`` aims at (where the order of
# the clicks does not matter), so a policy learns the task and not the expert's habit of order.
_ALTERNATIVES: dict[str, Callable[[_Geometry], list[list[float]]]] = {
    "click-checkboxes": _any_wrong_checkbox,
}


class ExpertActor:
    """Solves every synthetic task family by reading ``info`` (never the pixels' content)."""

    def reset(self) -> None:
        """Nothing to forget: the expert is stateless."""

    def act(self, observation: Observation, info: Info) -> Action:
        """The next action of a shortest reasonable solution from the current state."""
        family = info.get("task_family")
        if family not in _POLICIES:
            raise ValueError(
                f"expert: no policy for task family {family!r}; known: {', '.join(sorted(_POLICIES))}"
            )
        return _POLICIES[family](_Geometry(observation, info))

    def targets(self, observation: Observation, info: Info) -> list[list[float]] | None:
        """Boxes as right to click as the action ``act`` returns, or None where that is the only one."""
        alternatives = _ALTERNATIVES.get(info.get("task_family", ""))
        boxes = alternatives(_Geometry(observation, info)) if alternatives is not None else []
        return boxes if len(boxes) > 1 else None
