"""Keyboard and form task families: typing, shortcuts, dropdowns, login, and saying DONE."""

from __future__ import annotations

import string

from deskpilot.envs.actions import Action
from deskpilot.envs.synthetic.lists import Dropdown
from deskpilot.envs.synthetic.paint import text_size
from deskpilot.envs.synthetic.scene import Event
from deskpilot.envs.synthetic.tasks import Task, clicked, family, labels, pick
from deskpilot.envs.synthetic.widgets import Checkbox, TextField, Widget

FIELD_NAMES = (
    "Name",
    "Email",
    "City",
    "Title",
    "Phone",
    "Street",
    "Company",
    "Search",
    "Country",
    "Note",
    "Tag",
)
SHORTCUTS = (
    ("ctrl+s", "save the file"),
    ("ctrl+z", "undo"),
    ("ctrl+c", "copy"),
    ("ctrl+v", "paste"),
    ("ctrl+p", "print"),
    ("ctrl+n", "open a new document"),
    ("ctrl+f", "search"),
    ("ctrl+shift+s", "save a copy"),
    ("ctrl+w", "close the tab"),
    ("alt+f4", "close the window"),
    ("f5", "refresh"),
)


def _text(task: Task) -> str:
    """A string to type: a word, a random string, or letters with digits."""
    r = task.rng.random()
    if r < 0.6:
        return labels(task.rng, 1, max_len=8)[0]
    chars = string.ascii_lowercase + string.digits
    return "".join(chars[i] for i in task.rng.integers(0, len(chars), size=int(task.rng.integers(3, 9))))


def form(task: Task, names: list[str], prefill: float = 0.0, password: str | None = None) -> list[TextField]:
    """A column of captioned text fields (caption left of or above each field)."""
    x0, y0, x1, y1 = task.scene.content
    lh = task.line_height()
    fh = lh + 6
    above = task.rng.random() < 0.5
    cap_w = max(text_size(n + ":", task.size)[0] for n in names) + 4
    y = y0 + int(task.rng.integers(0, 16))
    fields = []
    for n in names:
        if above:
            task.caption(x0, y, n)
            y += lh + 1
            box = (x0, y, x1 - int(task.rng.integers(0, 30)), y + fh)
        else:
            task.caption(x0, y + (fh - lh) // 2, n + ":")
            box = (x0 + cap_w, y, x1 - int(task.rng.integers(0, 20)), y + fh)
        text = _text(task) if task.rng.random() < prefill else ""
        field = TextField(box, n, text=text, caret=len(text), password=n == password)
        fields.append(task.scene.add(field))
        y += fh + int(task.rng.integers(4, 10))
    return fields  # type: ignore[return-value]


def submitted(events: list[Event]) -> Widget | None:
    """The field in which Enter was pressed this step, if any."""
    return next((w for kind, w, _ in events if kind == "submit"), None)


@family("enter-text")
class EnterText(Task):
    """Click the named field, type the given text (replacing any content), press Enter."""

    def build(self) -> str:
        """One to three captioned fields; the target may hold old text."""
        names = [
            str(n) for n in self.rng.choice(FIELD_NAMES, size=int(self.rng.integers(1, 4)), replace=False)
        ]
        form(self, names, prefill=0.3)
        self.goal = {"field": pick(self.rng, names), "text": _text(self)}
        return "Type '{text}' into the {field} field and press Enter.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first Enter in any field."""
        field = submitted(events)
        if field is None:
            return None
        return field.label == self.goal["field"] and field.text == self.goal["text"]  # type: ignore[attr-defined]


@family("focus-type")
class FocusType(Task):
    """A field already has focus: type the given text into it and press Enter."""

    def build(self) -> str:
        """Fields with one focused (caret shown)."""
        names = [
            str(n) for n in self.rng.choice(FIELD_NAMES, size=int(self.rng.integers(1, 3)), replace=False)
        ]
        fields = form(self, names, prefill=0.3)
        focused = pick(self.rng, fields)
        self.scene.set_focus(focused)
        self.goal = {"field": focused.label, "text": _text(self)}
        return pick(
            self.rng, ("Type '{}' and press Enter.", "Enter '{}' in the focused field and hit Enter.")
        ).format(self.goal["text"])

    judge = EnterText.judge


@family("clear-field")
class ClearField(Task):
    """Empty the named field (select all, then delete); succeeds once it is empty."""

    def build(self) -> str:
        """Fields all holding text."""
        names = [
            str(n) for n in self.rng.choice(FIELD_NAMES, size=int(self.rng.integers(1, 4)), replace=False)
        ]
        form(self, names, prefill=1.0)
        self.goal = {"field": pick(self.rng, names)}
        return pick(self.rng, ("Delete all text in the {} field.", "Clear the {} field.")).format(
            self.goal["field"]
        )

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Success when the field is empty; emptying another field fails."""
        for kind, w, _ in events:
            if kind == "edit" and not w.text:  # type: ignore[union-attr]
                return w.label == self.goal["field"]  # type: ignore[union-attr]
        return None


@family("shortcut")
class Shortcut(Task):
    """Press the named key combination; another modified combination fails."""

    def build(self) -> str:
        """An editor-like window with some text."""
        x0, y0, x1, y1 = self.scene.content
        y = y0 + int(self.rng.integers(0, 10))
        for _ in range(int(self.rng.integers(2, 7))):
            self.caption(x0 + int(self.rng.integers(0, 6)), y, " ".join(labels(self.rng, 3, max_len=5)))
            y += self.line_height() + 3
        key, what = pick(self.rng, SHORTCUTS)
        self.goal = {"key": key}
        return pick(self.rng, ("Press {0} to {1}.", "Use the shortcut {0} to {1}.")).format(key, what)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first unhandled key with a modifier (or the target key itself)."""
        for kind, _, key in events:
            if kind == "key" and (key == self.goal["key"] or "+" in key):
                return key == self.goal["key"]
        return None


@family("dropdown")
class ChooseDropdown(Task):
    """Choose the named option from the named dropdown, then click the submit button."""

    max_steps = 10

    def build(self) -> str:
        """One or two captioned dropdowns and a submit button."""
        x0, y0, x1, y1 = self.scene.content
        names = labels(self.rng, int(self.rng.integers(1, 3)), max_len=6)
        y = y0 + int(self.rng.integers(0, 12))
        lh = self.line_height()
        for n in names:
            options = labels(self.rng, int(self.rng.integers(3, 6)))
            self.caption(x0, y, n)
            width = max(text_size(o, self.size)[0] for o in options) + 24
            x = x0 + int(self.rng.integers(0, max(1, x1 - x0 - width)))
            start = pick(self.rng, ["", *options])
            self.scene.add(
                Dropdown((x, y + lh + 1, x + width, y + 2 * lh + 7), n, options=options, selected=start)
            )
            y += 2 * lh + 14 + 4 * len(options)  # some room for the open list below
        submit = pick(self.rng, ("Submit", "OK", "Apply"))
        self.add_buttons([submit], area=(x0, y, x1, y1))  # raises Retry when there is no room left
        target = self.scene.find("combobox", pick(self.rng, names))
        self.goal = {"dropdown": target.label, "option": pick(self.rng, target.options), "submit": submit}  # type: ignore[attr-defined]
        return "Choose '{option}' from the '{dropdown}' list and click '{submit}'.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided when the submit button is clicked."""
        if clicked(events, "button") is None:
            return None
        return self.scene.find("combobox", self.goal["dropdown"]).selected == self.goal["option"]  # type: ignore[attr-defined]


@family("login")
class Login(Task):
    """Fill the username and password fields, then log in (button or Enter)."""

    max_steps = 14

    def build(self) -> str:
        """A login form."""
        user_label, pass_label = pick(
            self.rng, (("Username", "Password"), ("User", "Password"), ("Email", "PIN"))
        )
        form(self, [user_label, pass_label], prefill=0.15, password=pass_label)
        x0, _, x1, y1 = self.scene.content
        y = self.scene.widgets[-1].box[3] + 8
        self.add_buttons(
            ["Log in", "Cancel"] if self.rng.random() < 0.5 else ["Log in"], area=(x0, y, x1, y1)
        )
        self.goal = {
            "user_field": user_label,
            "pass_field": pass_label,
            "user": _text(self),
            "password": _text(self),
        }
        return "Log in as '{user}' with {pass_field} '{password}'.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by a click on a button or Enter in a field."""
        button = clicked(events, "button")
        if button is None and submitted(events) is None:
            return None
        if button is not None and button.label != "Log in":
            return False
        user = self.scene.find("textbox", self.goal["user_field"]).text  # type: ignore[attr-defined]
        password = self.scene.find("textbox", self.goal["pass_field"]).text  # type: ignore[attr-defined]
        return user == self.goal["user"] and password == self.goal["password"]


@family("done-if-satisfied")
class DoneIfSatisfied(Task):
    """Make sure a checkbox is in the named state (it may already be), then say DONE."""

    def build(self) -> str:
        """A few checkboxes in random states."""
        x0, y0, x1, y1 = self.scene.content
        names = labels(self.rng, int(self.rng.integers(2, 5)))
        h = self.line_height() + 2
        y = y0 + int(self.rng.integers(0, 30))
        for n in names:
            w = text_size(n, self.size)[0] + h + 6
            x = x0 + int(self.rng.integers(0, x1 - x0 - w))
            self.scene.add(Checkbox((x, y, x + w, y + h), n, checked=bool(self.rng.random() < 0.5)))
            y += h + int(self.rng.integers(4, 12))
        self.goal = {"checkbox": pick(self.rng, names), "checked": bool(self.rng.random() < 0.6)}
        word = "checked" if self.goal["checked"] else "unchecked"
        return f"Make sure '{self.goal['checkbox']}' is {word}, then say you are done."

    def satisfied(self) -> bool:
        """Whether the box is in the asked state."""
        return self.scene.find("checkbox", self.goal["checkbox"]).checked == self.goal["checked"]  # type: ignore[attr-defined]
