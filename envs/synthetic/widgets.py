"""Widgets of the synthetic desktop: geometry, hit-testing, state, drawing, and their reactions.

Every widget owns a pixel box ``(x0, y0, x1, y1)`` (exclusive ends). A point hits a widget when
``x0 <= x < x1`` and ``y0 <= y < y1``: exactly the box reported in ``info["elements"]``. Handlers
receive the :class:`~envs.synthetic.scene.Scene` so they can report events (``scene.emit``), move
focus or open a popup; the scene redraws after any handler ran.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

from deskpilot.envs.synthetic.paint import Box, Canvas, Theme, text_size

if TYPE_CHECKING:
    from deskpilot.envs.synthetic.scene import Scene

__all__ = [
    "Button",
    "Checkbox",
    "Link",
    "Panel",
    "Slider",
    "Tab",
    "Text",
    "TextField",
    "Widget",
]


@dataclasses.dataclass(eq=False)
class Widget:
    """Base widget: a labelled box that ignores every action."""

    box: Box
    label: str = ""
    visible: bool = True
    enabled: bool = True
    role: ClassVar[str] = ""  # "" = decoration: drawn, never hit, not listed in info["elements"]
    focusable: ClassVar[bool] = False

    @property
    def key(self) -> str:
        """Stable name of this widget in ``info["state"]``: ``role:label``."""
        return f"{self.role}:{self.label}"

    @property
    def center(self) -> tuple[int, int]:
        """The pixel at the centre of the box."""
        x0, y0, x1, y1 = self.box
        return (x0 + x1 - 1) // 2, (y0 + y1 - 1) // 2

    def contains(self, x: int, y: int) -> bool:
        """Whether pixel ``(x, y)`` hits this widget."""
        x0, y0, x1, y1 = self.box
        return x0 <= x < x1 and y0 <= y < y1

    def elements(self) -> list[tuple[Box, str, str]]:
        """``(box, label, role)`` of each interactive part, in paint order."""
        return [(self.box, self.label, self.role)] if self.role else []

    def annotations(self, role: str, width: int) -> dict[str, Any]:
        """Extra keys of this widget's ``role`` element in ``info["elements"]`` (training targets).

        ``width``: the screen's width in pixels, for columns given as normalised x.
        """
        return {}

    def state(self) -> dict[str, Any] | None:
        """Privileged widget state for ``info["state"]`` (``None``: nothing to report)."""
        return None

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Paint the widget."""

    # ------------------------------------------------------------------ reactions (default: none)
    def click(self, scene: Scene, x: int, y: int) -> None:
        """Left click at pixel ``(x, y)`` inside the box."""

    def double_click(self, scene: Scene, x: int, y: int) -> None:
        """A double click is two clicks unless the widget knows better."""
        self.click(scene, x, y)
        self.click(scene, x, y)

    def right_click(self, scene: Scene, x: int, y: int) -> None:
        """Right click at ``(x, y)``."""

    def type_text(self, scene: Scene, text: str) -> None:
        """Text typed while this widget has focus."""

    def press(self, scene: Scene, key: str) -> bool:
        """A key pressed while this widget has focus; return whether it was handled."""
        return False

    def scroll(self, scene: Scene, ticks: int) -> None:
        """Wheel ticks with the pointer over the widget (positive = down)."""

    def drag(self, scene: Scene, x: int, y: int, x2: int, y2: int) -> None:
        """Pressed at ``(x, y)`` inside the box, released at ``(x2, y2)``."""

    def tick(self, scene: Scene) -> None:
        """One step of time passed."""


@dataclasses.dataclass(eq=False)
class Text(Widget):
    """Static text (a field caption, a paragraph, a heading)."""

    size: int = 0  # font size; 0 = the theme's

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Paint the text at the box's top-left corner."""
        canvas.text(self.box[0], self.box[1], self.label, self.size or theme.size, theme.text)


@dataclasses.dataclass(eq=False)
class Panel(Widget):
    """A framed area (a dialog body, a group box) with an optional title strip."""

    title: str = ""

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Shadow, body, border and title."""
        x0, y0, x1, y1 = self.box
        canvas.rect((x0 + 2, y0 + 2, x1 + 2, y1 + 2), fill=(0, 0, 0))
        canvas.rect(self.box, fill=theme.window, outline=theme.border)
        if self.title:
            h = text_size(self.title, theme.size)[1] + 3
            canvas.rect((x0, y0, x1, y0 + h), fill=theme.title, outline=theme.border)
            canvas.text(x0 + 4, y0 + 2, self.title, theme.size, theme.title_text)


@dataclasses.dataclass(eq=False)
class Button(Widget):
    """A push button; a click reports ``("click", button)``."""

    role: ClassVar[str] = "button"

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Face, border and centred label (muted when disabled)."""
        canvas.rect(self.box, fill=theme.button, outline=theme.border, radius=theme.radius)
        colour = theme.button_text if self.enabled else theme.muted
        canvas.text_centered(self.box, self.label, theme.size, colour)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Report the press."""
        scene.emit("click", self)


@dataclasses.dataclass(eq=False)
class Link(Widget):
    """Underlined hyperlink text; a click reports ``("click", link)``."""

    role: ClassVar[str] = "link"

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Coloured, underlined text."""
        x0, y0, x1, y1 = self.box
        canvas.text(x0, y0, self.label, theme.size, theme.link)
        canvas.line([(x0, y1 - 2), (x1 - 1, y1 - 2)], fill=theme.link)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Report the click."""
        scene.emit("click", self)


@dataclasses.dataclass(eq=False)
class Checkbox(Widget):
    """A tick box with its caption; the whole box (square and caption) toggles on click."""

    checked: bool = False
    role: ClassVar[str] = "checkbox"

    def annotations(self, role: str, width: int) -> dict[str, Any]:
        """Whether it is ticked: the training data's per-cell tick target."""
        return {"checked": self.checked} if role == "checkbox" else {}

    def state(self) -> dict[str, Any]:
        """Whether it is ticked."""
        return {"checked": self.checked}

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Square (filled with a tick when checked) and caption."""
        x0, y0, x1, y1 = self.box
        side = y1 - y0 - 2
        sq = (x0, y0 + 1, x0 + side, y0 + 1 + side)
        if self.checked:
            canvas.rect(sq, fill=theme.accent, outline=theme.border)
            s = side
            canvas.line(
                [
                    (x0 + s // 5, y0 + 1 + s // 2),
                    (x0 + s // 2 - 1, y0 + s - s // 5),
                    (x0 + s - s // 5, y0 + 1 + s // 5),
                ],
                fill=theme.accent_text,
                width=2,
            )
        else:
            canvas.rect(sq, fill=theme.field, outline=theme.border)
        th = text_size(self.label, theme.size)[1]
        canvas.text(x0 + side + 4, (y0 + y1 - th) // 2, self.label, theme.size, theme.text)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Toggle."""
        self.checked = not self.checked
        scene.emit("toggle", self)


@dataclasses.dataclass(eq=False)
class Tab(Widget):
    """One tab of a tab strip; selecting it shows its ``children`` and hides the other tabs'."""

    selected: bool = False
    group: list[Tab] = dataclasses.field(default_factory=list)
    children: list[Widget] = dataclasses.field(default_factory=list)
    role: ClassVar[str] = "tab"

    def state(self) -> dict[str, Any]:
        """Whether this tab is the open one."""
        return {"selected": self.selected}

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Selected tabs merge with the window body; others look recessed."""
        x0, y0, x1, y1 = self.box
        canvas.rect(self.box, fill=theme.window if self.selected else theme.button, outline=theme.border)
        if self.selected:
            canvas.rect((x0 + 1, y1 - 1, x1 - 1, y1), fill=theme.window)
            canvas.rect((x0, y0, x1, y0 + 2), fill=theme.accent)
        canvas.text_centered(
            self.box, self.label, theme.size, theme.text if self.selected else theme.button_text
        )

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Open this tab."""
        for tab in self.group:
            tab.selected = tab is self
            for child in tab.children:
                child.visible = tab.selected
        scene.emit("tab", self)


@dataclasses.dataclass(eq=False)
class TextField(Widget):
    """A one-line text box with a caret.

    Typing inserts at the caret (replacing the selection after ``ctrl+a``); ``backspace`` and
    ``delete`` delete; ``left``/``right``/``home``/``end`` move the caret; ``enter`` reports
    ``("submit", field)``. Clicking focuses the field and puts the caret at the end.
    """

    text: str = ""
    caret: int = 0
    selected_all: bool = False
    password: bool = False
    focused: bool = False  # kept in step by Scene.set_focus
    role: ClassVar[str] = "textbox"
    focusable: ClassVar[bool] = True

    def state(self) -> dict[str, Any]:
        """Content, caret and selection."""
        return {
            "text": self.text,
            "caret": self.caret,
            "selected_all": self.selected_all,
            "focused": self.focused,
        }

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Box, focus ring, visible tail of the text, selection and caret."""
        x0, y0, x1, y1 = self.box
        focused = self.focused
        canvas.rect(self.box, fill=theme.field, outline=theme.accent if focused else theme.border)
        if focused:
            canvas.rect((x0 + 1, y0 + 1, x1 - 1, y1 - 1), outline=theme.accent)
        shown = "*" * len(self.text) if self.password else self.text
        before = shown[: self.caret]
        room = x1 - x0 - 6
        # Show the end of the text up to the caret when it overflows, like a real field.
        while before and text_size(before, theme.size)[0] > room:
            before = before[1:]
        visible = shown[len(shown[: self.caret]) - len(before) :]
        while visible and text_size(visible, theme.size)[0] > room:
            visible = visible[:-1]
        th = text_size("Ag", theme.size)[1]
        ty = (y0 + y1 - th) // 2
        if self.selected_all and visible:
            canvas.rect((x0 + 3, ty, x0 + 3 + text_size(visible, theme.size)[0], ty + th), fill=theme.accent)
            canvas.text(x0 + 3, ty, visible, theme.size, theme.accent_text)
        else:
            canvas.text(x0 + 3, ty, visible, theme.size, theme.text)
        if focused:
            cx = x0 + 3 + text_size(before, theme.size)[0]
            canvas.line([(cx, y0 + 3), (cx, y1 - 4)], fill=theme.text)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Focus, caret to the end, selection cleared."""
        scene.set_focus(self)
        self.caret = len(self.text)
        self.selected_all = False

    def type_text(self, scene: Scene, text: str) -> None:
        """Insert at the caret, replacing a select-all."""
        if self.selected_all:
            self.text, self.caret, self.selected_all = "", 0, False
        self.text = self.text[: self.caret] + text + self.text[self.caret :]
        self.caret += len(text)
        scene.emit("edit", self)

    def press(self, scene: Scene, key: str) -> bool:
        """Editing keys; enter submits."""
        if key == "ctrl+a":  # selects all, even of nothing: typing then replaces whatever was there
            self.selected_all = True
            self.caret = len(self.text)
            return True
        if key in ("backspace", "delete") and self.selected_all:
            self.text, self.caret, self.selected_all = "", 0, False
        elif key == "backspace" and self.caret > 0:
            self.text = self.text[: self.caret - 1] + self.text[self.caret :]
            self.caret -= 1
        elif key == "delete":
            self.text = self.text[: self.caret] + self.text[self.caret + 1 :]
        elif key in ("left", "right", "home", "end"):
            moves = {"left": self.caret - 1, "right": self.caret + 1, "home": 0, "end": len(self.text)}
            self.caret = min(max(moves[key], 0), len(self.text))
            self.selected_all = False
            return True
        elif key == "enter":
            scene.emit("submit", self)
            return True
        else:
            return key in ("backspace",)
        scene.emit("edit", self)
        return True


@dataclasses.dataclass(eq=False)
class Slider(Widget):
    """A horizontal slider over the integers ``lo..hi``.

    A drag that starts anywhere on the slider puts the thumb under the release point; a click on
    the track moves the value one step towards the click (a page step), as many toolkits do.
    """

    value: int = 0
    lo: int = 0
    hi: int = 10
    role: ClassVar[str] = "slider"

    def state(self) -> dict[str, Any]:
        """Current value and range."""
        return {"value": self.value, "lo": self.lo, "hi": self.hi}

    @property
    def track(self) -> tuple[int, int]:
        """First and last pixel column a value maps to."""
        return self.box[0] + 4, self.box[2] - 5

    def x_of(self, value: int) -> int:
        """Pixel column of ``value``."""
        a, b = self.track
        return a + round((value - self.lo) * (b - a) / (self.hi - self.lo))

    def value_at(self, x: int) -> int:
        """Value whose column is nearest to pixel column ``x``."""
        a, b = self.track
        frac = min(max((x - a) / (b - a), 0.0), 1.0)
        return self.lo + round(frac * (self.hi - self.lo))

    def annotations(self, role: str, width: int) -> dict[str, Any]:
        """Each value's column (normalised x, lowest value first): the training data's per-half marks."""
        if role != "slider":
            return {}
        return {"values": [(self.x_of(v) + 0.5) / width for v in range(self.lo, self.hi + 1)]}

    def thumb(self) -> Box:
        """Pixel box of the thumb."""
        cx = self.x_of(self.value)
        return cx - 3, self.box[1], cx + 4, self.box[3]

    def elements(self) -> list[tuple[Box, str, str]]:
        """The slider, then its thumb on top."""
        return [(self.box, self.label, "slider"), (self.thumb(), self.label, "thumb")]

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Track, filled part, ticks and thumb."""
        x0, y0, x1, y1 = self.box
        a, b = self.track
        cy = (y0 + y1) // 2
        canvas.rect((a, cy - 1, b + 1, cy + 2), fill=theme.muted)
        canvas.rect((a, cy - 1, self.x_of(self.value) + 1, cy + 2), fill=theme.accent)
        for v in range(self.lo, self.hi + 1):
            canvas.line([(self.x_of(v), y1 - 2), (self.x_of(v), y1 - 1)], fill=theme.border)
        canvas.rect(self.thumb(), fill=theme.button, outline=theme.border, radius=1)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Page one step towards the click."""
        target = self.value_at(x)
        self.value += (target > self.value) - (target < self.value)
        scene.emit("change", self)

    def drag(self, scene: Scene, x: int, y: int, x2: int, y2: int) -> None:
        """Thumb follows the pointer to the release column."""
        self.value = self.value_at(x2)
        scene.emit("change", self)
