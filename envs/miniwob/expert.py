"""A scripted MiniWoB expert that reads the DOM (``info["dom"]``) to decide and acts only with ``Action``s.

Each step it looks at the page as it is now (which fields hold what, what is checked or focused)
and picks the next action, so it recovers from a click that did not land. Supported tasks:
``EXPERT_TASKS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.spaces import ExpertCannotAct, Observation

__all__ = ["EXPERT_TASKS", "MiniWoBExpert"]

Element = dict[str, Any]
Plan = Callable[[str, list[Element]], Action]


def _click(el: Element) -> Action:
    px, py = el["point"]
    return Action.click(from_pixel(px, TASK_W), from_pixel(py, TASK_H))


def _find(dom: list[Element], pred: Callable[[Element], bool], what: str) -> Element:
    for el in dom:
        if pred(el):
            return el
    raise ExpertCannotAct(f"expert: no visible {what} on the page")


def _quoted(task: str) -> list[str]:
    return re.findall(r'"([^"]*)"', task)


def _fill(field: Element, text: str) -> Action | None:
    """The next action that makes ``field`` hold ``text``, or ``None`` once it does."""
    if field["value"] == text:
        return None
    if not field["focused"]:
        return _click(field)
    if field["value"]:
        return Action.press("ctrl+a")  # typing then replaces the selection
    return Action.type_text(text)


def _form(
    task: str, dom: list[Element], fields: list[tuple[Callable[[Element], bool], str]], submit: str
) -> Action:
    for pred, text in fields:
        action = _fill(_find(dom, pred, "text field"), text)
        if action is not None:
            return action
    return _click(
        _find(dom, lambda e: e["role"] == "button" and e["label"].lower() == submit, f"{submit} button")
    )


def _by_id(name: str) -> Callable[[Element], bool]:
    return lambda e: e["id"] == name


def _click_test(task: str, dom: list[Element]) -> Action:
    return _click(_find(dom, lambda e: e["role"] == "button", "button"))


def _click_test_2(task: str, dom: list[Element]) -> Action:
    target = task.split("button", 1)[1].strip(" .").upper()  # "Click button ONE."
    return _click(
        _find(dom, lambda e: e["role"] == "button" and e["label"].upper() == target, f"button {target}")
    )


def _click_button(task: str, dom: list[Element]) -> Action:
    label = _quoted(task)[0]
    return _click(_find(dom, lambda e: e["role"] == "button" and e["label"] == label, f"button {label!r}"))


def _click_link(task: str, dom: list[Element]) -> Action:
    label = _quoted(task)[0]
    return _click(_find(dom, lambda e: e["role"] == "link" and e["label"] == label, f"link {label!r}"))


def _click_dialog(task: str, dom: list[Element]) -> Action:
    return _click(_find(dom, lambda e: "ui-dialog-titlebar-close" in e["classes"], "dialog close button"))


def _click_tab(task: str, dom: list[Element]) -> Action:
    number = re.search(r"Tab #(\d+)", task)
    if number is None:
        raise ValueError(f"expert: cannot read the tab number from {task!r}")
    label = f"Tab #{number.group(1)}"
    return _click(_find(dom, lambda e: e["tag"] == "a" and e["label"] == label, label))


def _focus_text(task: str, dom: list[Element]) -> Action:
    return _click(_find(dom, lambda e: e["role"] == "textbox", "text field"))


def _enter_text(task: str, dom: list[Element]) -> Action:
    return _form(task, dom, [(_by_id("tt"), _quoted(task)[0])], "submit")


def _enter_password(task: str, dom: list[Element]) -> Action:
    word = _quoted(task)[0]
    return _form(task, dom, [(_by_id("password"), word), (_by_id("verify"), word)], "submit")


def _login_user(task: str, dom: list[Element]) -> Action:
    user, word = _quoted(task)[:2]
    return _form(task, dom, [(_by_id("username"), user), (_by_id("password"), word)], "login")


def _click_label_text(box: Element, dom: list[Element]) -> Action:
    """Click the words of the ``<label>`` that wraps ``box`` (which toggles it), else the box itself.

    Clicking the name rather than the 13-px square puts the click where the policy reads which box
    it is: the pointer target becomes the label, name included, instead of a square beside it.
    """
    x0, y0, x1, y1 = box["box"]
    for lab in dom:
        lx0, ly0, lx1, ly1 = lab["box"]
        wraps = lab["role"] == "label" and lab["label"] == box["label"] and lx0 <= x0 and x1 <= lx1 + 1
        if wraps and lx1 - x1 >= 4:  # the name is drawn to the right of the square
            return Action.click(
                from_pixel(int(x1 + lx1) // 2, TASK_W), from_pixel(int(ly0 + ly1) // 2, TASK_H)
            )
    return _click(box)


def _click_checkboxes(task: str, dom: list[Element]) -> Action:
    match = re.match(r"Select (.*) and click Submit", task)
    if match is None:
        raise ValueError(f"expert: cannot read the checkboxes to select from {task!r}")
    wanted = set() if match.group(1) == "nothing" else {w.strip() for w in match.group(1).split(",")}
    for box in (e for e in dom if e["role"] == "checkbox"):
        if bool(box["checked"]) != (box["label"] in wanted):
            return _click_label_text(box, dom)
    return _click(
        _find(dom, lambda e: e["role"] == "button" and e["label"].lower() == "submit", "submit button")
    )


_PLANS: dict[str, Plan] = {
    "click-test": _click_test,
    "click-test-2": _click_test_2,
    "click-button": _click_button,
    "click-link": _click_link,
    "click-dialog": _click_dialog,
    "click-tab": _click_tab,
    "focus-text": _focus_text,
    "enter-text": _enter_text,
    "enter-password": _enter_password,
    "login-user": _login_user,
    "click-checkboxes": _click_checkboxes,
}
EXPERT_TASKS: tuple[str, ...] = tuple(_PLANS)


class MiniWoBExpert:
    """The ``Actor`` that solves one MiniWoB task from the DOM in ``info["dom"]``."""

    def __init__(self, task: str) -> None:
        """Make the expert for ``task`` (one of ``EXPERT_TASKS``)."""
        if task not in _PLANS:
            raise ValueError(
                f"task: no scripted expert for {task!r}; experts exist for {', '.join(EXPERT_TASKS)}"
            )
        self.task = task
        self._plan = _PLANS[task]

    def reset(self) -> None:
        """Nothing to forget: every decision is made from the current page."""

    def act(self, observation: Observation, info: dict[str, Any]) -> Action:
        """The next action for the page described by ``info["dom"]``."""
        return self._plan(observation["task"], info["dom"])
