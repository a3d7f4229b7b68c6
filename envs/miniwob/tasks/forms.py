"""Kits of forms whose fields are told apart by what the page shows beside them.

* find-word: "Find the 3rd word in the paragraph, type that into the textbox and press "Submit"."
  The paragraph sits above the field: type its n-th word (punctuation dropped), then Submit.
* multi-layouts / multi-orderings: "Search for drama movies directed by Hale from year 1984." in
  one of five layouts (multi-orderings: always the table) with the rows shuffled. The fields carry
  no label or id; each has its caption ("Movie Genre", "Director Name", "Released Date") beside it.
* login-user-popup: login-user, but focusing a field may open a popup ("Exit to home page?") that
  disables the form until Cancel is pressed (OK ends the episode as a failure).

A field's caption, and the paragraph above find-word's field, reach the expert as the element's
``context`` (the text of its nearest enclosing element that has any, ``envs.miniwob.page``). Each
step fills the first field not yet right, so a click that did not land, or a popup that took the
focus, is simply handled on the next step.
"""

from __future__ import annotations

import re

from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks.base import Element, TaskKit, click, fill, find, quoted, read
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = ["KITS", "find_word_answer", "find_word_instruction", "parse_find_word", "parse_movie_search"]


# --------------------------------------------------------------------------- find-word


def find_word_instruction(n: int) -> str:
    """The instruction asking for the ``n``-th word (``find-word.html``'s ordinals: 1st-3rd, then nth)."""
    ordinal = ("1st", "2nd", "3rd")[n - 1] if n <= 3 else f"{n}th"
    return f'Find the {ordinal} word in the paragraph, type that into the textbox and press "Submit".'


def parse_find_word(task: str) -> int:
    """The word's position, counting from 1."""
    match = re.match(r"Find the (\d+)(?:st|nd|rd|th) word in the paragraph", task.strip())
    if match is None or int(match[1]) < 1:
        raise ValueError(f"find-word: cannot read the position from {task!r}")
    return int(match[1])


def find_word_answer(word: str) -> str:
    """What find-word accepts for a paragraph's word: its letters (the page drops punctuation)."""
    return re.sub(r"[^A-Za-z]", "", word)


def _find_word(task: str, dom: list[Element]) -> Action:
    n = parse_find_word(task)
    field = find(dom, lambda e: e["id"] == "answer-input", "answer field")
    submit = find(dom, lambda e: e["role"] == "button" and e["label"] == "Submit", "Submit button")
    # The field's context is the text of the area around it: the paragraph, then the button's label.
    paragraph = field["context"].removesuffix(submit["label"]).split()
    if len(paragraph) < n:
        raise ExpertCannotAct(f"expert: the paragraph has no word {n}")
    action = fill(field, find_word_answer(paragraph[n - 1]))
    return action if action is not None else click(submit)


# --------------------------------------------------------------------------- multi-layouts, multi-orderings

_SUBMITS = ("submit", "search", "go!")  # the five layouts' buttons


def parse_movie_search(task: str) -> tuple[str, str, str]:
    """(genre, director, year) asked for."""
    match = read(
        r"Search for (.+) movies directed by (.+) from year (\d+)\.",
        task,
        "multi-layouts, multi-orderings",
        "the search",
    )
    return match[1], match[2], match[3]


def _movie_search(task: str, dom: list[Element]) -> Action:
    genre, director, year = parse_movie_search(task)
    for field in dom:
        if field["role"] != "textbox":
            continue
        caption = field["context"].lower()
        if "genre" in caption:
            text = genre
        elif "director" in caption:
            text = director
        elif "year" in caption or "date" in caption:
            text = year
        else:
            raise ExpertCannotAct(f"expert: a field captioned {caption!r}")
        action = fill(field, text)
        if action is not None:
            return action
    return click(find(dom, lambda e: e["role"] != "text" and e["label"].lower() in _SUBMITS, "search button"))


# --------------------------------------------------------------------------- login-user-popup


def parse_login(task: str) -> tuple[str, str]:
    """(username, password)."""
    words = quoted(task)
    if len(words) != 2:
        raise ValueError(f"login-user-popup: cannot read the username and password from {task!r}")
    return words[0], words[1]


def _login_user_popup(task: str, dom: list[Element]) -> Action:
    user, password = parse_login(task)
    cancel = [e for e in dom if e["id"] == "popup-cancel"]
    if cancel:  # the popup disables the form until it is dismissed
        return click(cancel[0])
    for field_id, text in (("username", user), ("password", password)):
        field = next((e for e in dom if e["id"] == field_id), None)
        if field is None:
            raise ExpertCannotAct(f"expert: no visible {field_id} field on the page")
        action = fill(field, text)
        if action is not None:
            return action
    return click(find(dom, lambda e: e["id"] == "subbtn", "login button"))


KITS: tuple[TaskKit, ...] = (
    TaskKit("find-word", parse_find_word, _find_word, instruction=find_word_instruction),
    TaskKit("multi-layouts", parse_movie_search, _movie_search),
    TaskKit("multi-orderings", parse_movie_search, _movie_search),
    TaskKit("login-user-popup", parse_login, _login_user_popup),
)
