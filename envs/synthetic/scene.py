"""A scene: the window, its widgets in paint order, keyboard focus, popups, and action dispatch.

The scene turns an :class:`~envs.actions.Action` into widget reactions the way a real window system
does: pointer actions hit the topmost visible widget under the pointer (a popup menu first; while a
modal dialog is up only its widgets), keys and text go to the focused widget, ``tab`` moves focus.
Widgets report what happened through :meth:`Scene.emit`; tasks judge success from those events.
Besides the interactive parts (:meth:`Scene.elements`) it reports every word left visible on screen
(:meth:`Scene.words`), recorded by the canvas as it paints.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from deskpilot.envs.actions import Action, ActionType, to_pixel
from deskpilot.envs.synthetic.paint import Box, Canvas, Theme, paint_cursor, text_size
from deskpilot.envs.synthetic.widgets import TextField, Widget

__all__ = ["Event", "Scene"]

Event = tuple[str, Widget | None, Any]
"""``(kind, widget, detail)``, e.g. ``("click", button, None)`` or ``("key", None, "ctrl+s")``."""


class Scene:
    """One window on a desktop background, with everything needed to draw and drive it.

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
        theme: Colours and type size.
        title: Window title.
        margin: Desktop pixels visible around the window.
    """

    def __init__(self, width: int, height: int, theme: Theme, title: str, margin: int = 2) -> None:
        self.width, self.height, self.theme, self.title = width, height, theme, title
        self.widgets: list[Widget] = []
        self.focus: Widget | None = None
        self.popup: Widget | None = None
        self.modal: list[Widget] | None = None
        self.events: list[Event] = []
        self.cursor = (width // 2, height // 2)
        self.dirty = True
        title_h = text_size("Ag", theme.size)[1] + 4
        self.content: Box = (margin + 4, margin + title_h + 4, width - margin - 4, height - margin - 4)
        base = Image.new("RGB", (width, height), theme.desktop)
        canvas = Canvas(base)
        window = (margin, margin, width - margin, height - margin)
        canvas.rect(window, fill=theme.window, outline=theme.border)
        canvas.rect((margin, margin, width - margin, margin + title_h), fill=theme.title)
        canvas.text(margin + 4, margin + 2, title, theme.size, theme.title_text)
        r = title_h // 2 - 2
        for i in range(3):
            cx = width - margin - 6 - r - i * (2 * r + 3)
            canvas.ellipse((cx - r, margin + 2, cx + r, margin + 2 + 2 * r), fill=theme.title_text)
        self._base = base
        self._base_words = canvas.words()  # the title's, drawn once into the cached background
        self._frame = np.zeros((height, width, 3), np.uint8)
        self._words: list[tuple[list[float], str]] = []  # normalised boxes: built once per repaint

    # ------------------------------------------------------------------ building
    def add(self, widget: Widget) -> Widget:
        """Add ``widget`` on top of the others and return it."""
        self.widgets.append(widget)
        self.dirty = True
        return widget

    def set_focus(self, widget: Widget | None) -> None:
        """Give keyboard focus to ``widget`` (``None`` = nothing focused)."""
        if self.focus is not None and hasattr(self.focus, "focused"):
            self.focus.focused = False
        self.focus = widget
        if widget is not None and hasattr(widget, "focused"):
            widget.focused = True
        self.dirty = True

    def open_popup(self, popup: Widget) -> None:
        """Show a popup (menu) above everything; it takes the next pointer action."""
        self.popup = popup
        self.dirty = True

    def close_popup(self) -> None:
        """Hide the popup."""
        self.popup = None
        self.dirty = True

    def emit(self, kind: str, widget: Widget | None, detail: Any = None) -> None:
        """Record an event of the current step (tasks read ``scene.events``)."""
        self.events.append((kind, widget, detail))

    # ------------------------------------------------------------------ queries
    def interactive(self) -> list[Widget]:
        """Widgets that can be hit now, in paint order."""
        pool = self.modal if self.modal is not None else self.widgets
        return [w for w in pool if w.visible and w.enabled and w.role]

    def hit(self, x: int, y: int) -> Widget | None:
        """The topmost interactive widget under pixel ``(x, y)``."""
        for w in reversed(self.interactive()):
            if w.contains(x, y):
                return w
        return None

    def find(self, role: str, label: str) -> Widget:
        """The widget with this role and label (for tasks wiring up their scene)."""
        for w in self.widgets:
            if w.role == role and w.label == label:
                return w
        raise KeyError(f"no {role} labelled {label!r}")

    def elements(self) -> list[dict[str, Any]]:
        """``info["elements"]``: every visible interactive part, normalised boxes, paint order."""
        parts = [(p, w) for w in self.interactive() for p in w.elements()]
        if self.popup is not None:
            parts += [(p, self.popup) for p in self.popup.elements()]
        W, H = self.width, self.height
        return [
            {"box": [b[0] / W, b[1] / H, b[2] / W, b[3] / H], "label": label, "role": role}
            | widget.annotations(role, W)
            for (b, label, role), widget in parts
        ]

    def words(self) -> list[dict[str, Any]]:
        """Every word visible on screen, as role ``"text"`` elements in paint order.

        The title, captions, messages and the text inside widgets alike, each with the box its
        glyphs touch; words partly hidden are left out (see :meth:`Canvas.words`). The pointer is
        not taken into account, as for the widgets' boxes. Words go below the interactive parts in
        ``info["elements"]``: a click on a button then still hits the button, and a widget's label
        still names its cells, while plain text gets letters of its own.
        """
        self._repaint()
        return [{"box": box[:], "label": word, "role": "text"} for box, word in self._words]

    def state(self) -> dict[str, Any]:
        """``info["state"]``: focus, popup and each stateful widget's state by ``role:label``."""
        widgets = {w.key: s for w in self.widgets if w.visible and (s := w.state()) is not None}
        return {
            "focus": None if self.focus is None else self.focus.key,
            "popup": None if self.popup is None else [e[1] for e in self.popup.elements()[1:]],
            "modal": self.modal is not None,
            "cursor": [self.cursor[0] / self.width, self.cursor[1] / self.height],
            "widgets": widgets,
        }

    # ------------------------------------------------------------------ acting
    def dispatch(self, action: Action) -> list[Event]:
        """Apply ``action``; return the events it caused. Actions that hit nothing do nothing."""
        self.events = []
        kind = action.type
        if action.point is not None:
            x, y = to_pixel(action.x, self.width), to_pixel(action.y, self.height)  # type: ignore[arg-type]
            self.cursor = (x, y)
            if kind is ActionType.DRAG:
                self.cursor = (to_pixel(action.x2, self.width), to_pixel(action.y2, self.height))  # type: ignore[arg-type]
            self._pointer(action, x, y)
        elif kind is ActionType.TYPE:
            if self.focus is not None and self.focus.visible:
                self.focus.type_text(self, action.text)  # type: ignore[arg-type]
                self.dirty = True
        elif kind is ActionType.KEY:
            self._key(action.key)  # type: ignore[arg-type]
        return self.events

    def _pointer(self, action: Action, x: int, y: int) -> None:
        kind = action.type
        if self.popup is not None:
            if kind in (ActionType.CLICK, ActionType.DOUBLE_CLICK) and self.popup.contains(x, y):
                self.popup.click(self, x, y)
            elif kind is not ActionType.SCROLL:
                self.close_popup()  # any other press outside (or on) the menu dismisses it
            return
        target = self.hit(x, y)
        if kind is not ActionType.SCROLL and (target is None or not target.focusable):
            self.set_focus(None)  # pressing elsewhere takes focus away from a text field
        if target is None:
            return
        self.dirty = True
        if kind is ActionType.CLICK:
            target.click(self, x, y)
        elif kind is ActionType.DOUBLE_CLICK:
            target.double_click(self, x, y)
        elif kind is ActionType.RIGHT_CLICK:
            target.right_click(self, x, y)
        elif kind is ActionType.SCROLL:
            target.scroll(self, action.scroll)  # type: ignore[arg-type]
        else:
            x2, y2 = to_pixel(action.x2, self.width), to_pixel(action.y2, self.height)  # type: ignore[arg-type]
            target.drag(self, x, y, x2, y2)

    def _key(self, key: str) -> None:
        if self.popup is not None and key == "escape":
            self.close_popup()
            return
        focus = self.focus if self.focus is not None and self.focus.visible else None
        if focus is not None and focus.press(self, key):
            self.dirty = True
            return
        if key in ("tab", "shift+tab"):
            order = [w for w in self.interactive() if w.focusable]
            if order:
                i = order.index(focus) if focus in order else -1
                step = 1 if key == "tab" else -1
                nxt = order[(i + step) % len(order)] if i >= 0 or step > 0 else order[-1]
                self.set_focus(nxt)
                if isinstance(nxt, TextField) and nxt.text:
                    nxt.selected_all = True  # tabbing into a field selects its text, as browsers do
                    nxt.caret = len(nxt.text)
            return
        self.emit("key", None, key)

    def tick(self) -> None:
        """One step of time passes (spinners count down)."""
        for w in list(self.widgets):
            w.tick(self)

    # ------------------------------------------------------------------ drawing
    def _repaint(self) -> None:
        """Redraw the widgets over the background if anything changed since the last time."""
        if not self.dirty:
            return
        image = self._base.copy()
        canvas = Canvas(image, self._base_words)
        for w in self.widgets:
            if w.visible:
                w.draw(canvas, self.theme)
        if self.popup is not None:
            self.popup.draw(canvas, self.theme)
        self._frame = np.asarray(image)
        W, H = self.width, self.height
        self._words = [([b[0] / W, b[1] / H, b[2] / W, b[3] / H], word) for b, word in canvas.words()]
        self.dirty = False

    def render(self) -> np.ndarray:
        """The current frame, uint8 ``(height, width, 3)``, pointer included (a fresh array)."""
        self._repaint()
        frame = self._frame.copy()
        paint_cursor(frame, *self.cursor)
        return frame
