"""Kits of the tasks whose rules are only an expert: one click, or filling a form.

Nothing to relabel here: their pages ask for one thing (click-test's only button, focus-text's only
field), or for text that no other element on the page answers (enter-text's word).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks.base import Element, TaskKit, click, fill, find, nothing, quoted_parts

__all__ = [
    "CLICK_DIALOG",
    "CLICK_TAB",
    "CLICK_TEST",
    "CLICK_TEST_2",
    "ENTER_PASSWORD",
    "ENTER_TEXT",
    "FOCUS_TEXT",
    "LOGIN_USER",
]


def _first_quoted(kit: str) -> Callable[[str], str]:
    """``parse`` of a kit that types the instruction's first quoted text."""
    return lambda task: quoted_parts(task, kit, 1)[0]


def _by_id(name: str) -> Callable[[Element], bool]:
    return lambda e: e["id"] == name


def _form(dom: list[Element], fields: list[tuple[str, str]], submit: str) -> Action:
    """Fill the fields (by DOM id, in order), then click the ``submit`` button."""
    for field_id, text in fields:
        action = fill(find(dom, _by_id(field_id), "text field"), text)
        if action is not None:
            return action
    return click(
        find(dom, lambda e: e["role"] == "button" and e["label"].lower() == submit, f"{submit} button")
    )


def _click_test_2_target(task: str) -> str:
    _, said, name = task.partition("button")  # "Click button ONE."
    if not said or not name.strip(" ."):
        raise ValueError(f"click-test-2: cannot read the button from {task!r}")
    return name.strip(" .").upper()


def _tab(task: str) -> str:
    number = re.search(r"Tab #(\d+)", task)
    if number is None:
        raise ValueError(f"click-tab: cannot read the tab number from {task!r}")
    return f"Tab #{number.group(1)}"


def _kit(
    task: str, parse: Callable[[str], object], expert: Callable[[str, list[Element]], Action]
) -> TaskKit:
    return TaskKit(task=task, parse=parse, expert=expert)


CLICK_TEST = _kit(
    "click-test", nothing, lambda task, dom: click(find(dom, lambda e: e["role"] == "button", "button"))
)


def _click_test_2(task: str, dom: list[Element]) -> Action:
    target = _click_test_2_target(task)
    return click(
        find(dom, lambda e: e["role"] == "button" and e["label"].upper() == target, f"button {target}")
    )


CLICK_TEST_2 = _kit("click-test-2", _click_test_2_target, _click_test_2)
CLICK_DIALOG = _kit(
    "click-dialog",
    nothing,
    lambda task, dom: click(
        find(dom, lambda e: "ui-dialog-titlebar-close" in e["classes"], "dialog close button")
    ),
)


def _click_tab(task: str, dom: list[Element]) -> Action:
    label = _tab(task)
    return click(find(dom, lambda e: e["tag"] == "a" and e["label"] == label, label))


CLICK_TAB = _kit("click-tab", _tab, _click_tab)
FOCUS_TEXT = _kit(
    "focus-text", nothing, lambda task, dom: click(find(dom, lambda e: e["role"] == "textbox", "text field"))
)
_enter_text_word = _first_quoted("enter-text")
ENTER_TEXT = _kit(
    "enter-text", _enter_text_word, lambda task, dom: _form(dom, [("tt", _enter_text_word(task))], "submit")
)


_password = _first_quoted("enter-password")


def _enter_password(task: str, dom: list[Element]) -> Action:
    word = _password(task)
    return _form(dom, [("password", word), ("verify", word)], "submit")


ENTER_PASSWORD = _kit("enter-password", _password, _enter_password)


def _credentials(task: str) -> tuple[str, str]:
    user, word = quoted_parts(task, "login-user", 2)
    return user, word


def _login_user(task: str, dom: list[Element]) -> Action:
    user, word = _credentials(task)
    return _form(dom, [("username", user), ("password", word)], "login")


LOGIN_USER = _kit("login-user", _credentials, _login_user)
