"""Richer widgets: scrollable lists, popup menus, dropdowns, draggable cards, drop zones, icons, spinners."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from deskpilot.envs.synthetic.paint import Box, Canvas, Theme, text_size
from deskpilot.envs.synthetic.widgets import Widget

if TYPE_CHECKING:
    from deskpilot.envs.synthetic.scene import Scene

__all__ = ["Card", "DropZone", "Dropdown", "Icon", "ListBox", "Menu", "Spinner"]


@dataclasses.dataclass(eq=False)
class ListBox(Widget):
    """A list of ``items`` showing ``rows`` of them from ``offset``, with a scroll bar.

    One wheel tick moves the content by one row. A click selects the item under the pointer and
    reports ``("select", listbox, item)``; a double click also reports ``("open", listbox, item)``;
    a right click selects and opens the popup menu ``menu_entries`` (when given) at the pointer,
    whose choice reports ``("menu", listbox, (item, entry))``.
    """

    items: list[str] = dataclasses.field(default_factory=list)
    rows: int = 5
    offset: int = 0
    selected: int | None = None
    row_height: int = 14
    menu_entries: list[str] = dataclasses.field(default_factory=list)
    role: ClassVar[str] = "list"

    def state(self) -> dict[str, Any]:
        """Scroll position, selection and the items."""
        return {
            "offset": self.offset,
            "rows": self.rows,
            "items": list(self.items),
            "selected": None if self.selected is None else self.items[self.selected],
        }

    def row_box(self, i: int) -> Box:
        """Box of item ``i`` (which must be on screen)."""
        x0, y0, x1, _ = self.box
        top = y0 + 1 + (i - self.offset) * self.row_height
        return x0 + 1, top, x1 - 7, top + self.row_height

    def visible_items(self) -> range:
        """Indices of the items on screen."""
        return range(self.offset, min(self.offset + self.rows, len(self.items)))

    def elements(self) -> list[tuple[Box, str, str]]:
        """The list itself, then each visible row."""
        out = [(self.box, self.label, self.role)]
        out += [(self.row_box(i), self.items[i], "listitem") for i in self.visible_items()]
        return out

    def item_at(self, y: int) -> int | None:
        """Index of the item under pixel row ``y``, if any."""
        for i in self.visible_items():
            b = self.row_box(i)
            if b[1] <= y < b[3]:
                return i
        return None

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Rows, selection highlight and the scroll bar."""
        x0, y0, x1, y1 = self.box
        canvas.rect(self.box, fill=theme.field, outline=theme.border)
        th = text_size("Ag", theme.size)[1]
        for i in self.visible_items():
            b = self.row_box(i)
            colour = theme.text
            if i == self.selected:
                canvas.rect(b, fill=theme.accent)
                colour = theme.accent_text
            canvas.text(b[0] + 3, (b[1] + b[3] - th) // 2, self.items[i], theme.size, colour)
        # Scroll bar: track and a thumb proportional to the visible fraction.
        canvas.rect((x1 - 7, y0 + 1, x1 - 1, y1 - 1), fill=theme.window)
        n = max(len(self.items), 1)
        span = y1 - y0 - 2
        top = y0 + 1 + span * self.offset // n
        bottom = y0 + 1 + span * min(self.offset + self.rows, n) // n
        canvas.rect((x1 - 6, top, x1 - 2, max(bottom, top + 3)), fill=theme.muted)

    def scroll(self, scene: Scene, ticks: int) -> None:
        """Move the content by ``ticks`` rows, clamped."""
        self.offset = min(max(self.offset + ticks, 0), max(len(self.items) - self.rows, 0))

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Select the row under the pointer."""
        i = self.item_at(y)
        if i is not None and x < self.box[2] - 7:
            self.selected = i
            scene.emit("select", self, self.items[i])

    def double_click(self, scene: Scene, x: int, y: int) -> None:
        """Select and open the row under the pointer."""
        self.click(scene, x, y)
        i = self.item_at(y)
        if i is not None and x < self.box[2] - 7:
            scene.emit("open", self, self.items[i])

    def right_click(self, scene: Scene, x: int, y: int) -> None:
        """Select the row and open the context menu."""
        i = self.item_at(y)
        if i is None or x >= self.box[2] - 7 or not self.menu_entries:
            return
        self.selected = i
        item = self.items[i]
        scene.open_popup(
            Menu.at(x, y, self.menu_entries, scene, on_choose=lambda e: scene.emit("menu", self, (item, e)))
        )


@dataclasses.dataclass(eq=False)
class Menu(Widget):
    """A popup menu of ``entries``; choosing one calls ``on_choose`` and closes the menu."""

    entries: list[str] = dataclasses.field(default_factory=list)
    row_height: int = 13
    on_choose: Callable[[str], None] | None = None
    role: ClassVar[str] = "menu"

    @classmethod
    def at(
        cls,
        x: int,
        y: int,
        entries: list[str],
        scene: Scene,
        on_choose: Callable[[str], None],
        width: int = 0,
    ) -> Menu:
        """A menu whose top-left corner is at the pointer, shifted to stay on screen."""
        size = scene.theme.size
        rh = text_size("Ag", size)[1] + 4
        w = width or max(text_size(e, size)[0] for e in entries) + 12
        h = rh * len(entries) + 2
        x = min(x, scene.width - w - 1)
        y = min(y, scene.height - h - 1)
        return cls((x, y, x + w, y + h), entries=list(entries), row_height=rh, on_choose=on_choose)

    def row_box(self, i: int) -> Box:
        """Box of entry ``i``."""
        x0, y0, x1, _ = self.box
        return x0 + 1, y0 + 1 + i * self.row_height, x1 - 1, y0 + 1 + (i + 1) * self.row_height

    def elements(self) -> list[tuple[Box, str, str]]:
        """The menu, then its entries."""
        return [(self.box, self.label, self.role)] + [
            (self.row_box(i), e, "menuitem") for i, e in enumerate(self.entries)
        ]

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Shadowed box with one entry per row."""
        x0, y0, x1, y1 = self.box
        canvas.rect((x0 + 2, y0 + 2, x1 + 2, y1 + 2), fill=(0, 0, 0))
        canvas.rect(self.box, fill=theme.field, outline=theme.border)
        th = text_size("Ag", theme.size)[1]
        for i, e in enumerate(self.entries):
            b = self.row_box(i)
            canvas.text(b[0] + 5, (b[1] + b[3] - th) // 2, e, theme.size, theme.text)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Choose the entry under the pointer (the border chooses nothing)."""
        for i, e in enumerate(self.entries):
            b = self.row_box(i)
            if b[0] <= x < b[2] and b[1] <= y < b[3]:
                scene.close_popup()
                if self.on_choose is not None:
                    self.on_choose(e)
                return


@dataclasses.dataclass(eq=False)
class Dropdown(Widget):
    """A closed combo box showing ``selected``; a click opens a menu of ``options`` below it."""

    options: list[str] = dataclasses.field(default_factory=list)
    selected: str = ""
    placeholder: str = "Select..."
    role: ClassVar[str] = "combobox"

    def state(self) -> dict[str, Any]:
        """Chosen option and the options."""
        return {"selected": self.selected, "options": list(self.options)}

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Box, current value (or placeholder) and an arrow."""
        x0, y0, x1, y1 = self.box
        canvas.rect(self.box, fill=theme.field, outline=theme.border, radius=theme.radius)
        th = text_size("Ag", theme.size)[1]
        text, colour = (self.selected, theme.text) if self.selected else (self.placeholder, theme.muted)
        canvas.text(x0 + 4, (y0 + y1 - th) // 2, text, theme.size, colour)
        cy = (y0 + y1) // 2
        canvas.polygon([(x1 - 11, cy - 2), (x1 - 4, cy - 2), (x1 - 8, cy + 2)], fill=theme.text)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Open the option list under the box."""

        def choose(option: str) -> None:
            self.selected = option
            scene.emit("choose", self, option)

        x0, _, x1, y1 = self.box
        scene.open_popup(Menu.at(x0, y1, self.options, scene, on_choose=choose, width=x1 - x0))


@dataclasses.dataclass(eq=False)
class Card(Widget):
    """A draggable item; dropping it reports ``("drop", card, zone_or_None)`` and moves it there."""

    colour: tuple[int, int, int] = (250, 230, 140)
    role: ClassVar[str] = "item"

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """A sticky-note-like card with its label."""
        canvas.rect(self.box, fill=self.colour, outline=theme.border, radius=2)
        canvas.text_centered(self.box, self.label, theme.size, (20, 20, 20))

    def drag(self, scene: Scene, x: int, y: int, x2: int, y2: int) -> None:
        """Move by the drag vector (kept on screen) and report the zone under the release point."""
        x0, y0, x1, y1 = self.box
        dx = min(max(x2 - x, -x0), scene.width - x1)
        dy = min(max(y2 - y, -y0), scene.height - y1)
        self.box = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
        zone = next((w for w in scene.widgets if isinstance(w, DropZone) and w.contains(x2, y2)), None)
        scene.emit("drop", self, zone)


@dataclasses.dataclass(eq=False)
class DropZone(Widget):
    """A labelled drop target (a bin, a folder) drawn as a dashed area."""

    role: ClassVar[str] = "dropzone"

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Dashed outline with the label at the top."""
        x0, y0, x1, y1 = self.box
        canvas.rect(self.box, fill=theme.field)
        for x in range(x0, x1, 4):
            canvas.line([(x, y0), (min(x + 1, x1 - 1), y0)], fill=theme.border)
            canvas.line([(x, y1 - 1), (min(x + 1, x1 - 1), y1 - 1)], fill=theme.border)
        for y in range(y0, y1, 4):
            canvas.line([(x0, y), (x0, min(y + 1, y1 - 1))], fill=theme.border)
            canvas.line([(x1 - 1, y), (x1 - 1, min(y + 1, y1 - 1))], fill=theme.border)
        canvas.text_centered(
            (x0, y0 + 1, x1, y0 + 3 + text_size("Ag", theme.size)[1]), self.label, theme.size, theme.text
        )


@dataclasses.dataclass(eq=False)
class Icon(Widget):
    """A desktop icon (glyph and caption); click selects, double-click reports ``("open", icon)``."""

    selected: bool = False
    colour: tuple[int, int, int] = (200, 170, 60)
    role: ClassVar[str] = "icon"

    def state(self) -> dict[str, Any]:
        """Whether it is selected."""
        return {"selected": self.selected}

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """Folder-like glyph over the caption; selection highlights the caption."""
        x0, y0, x1, y1 = self.box
        th = text_size(self.label, theme.size)[1]
        g = min(x1 - x0, y1 - y0 - th) - 6
        gx = (x0 + x1 - g) // 2
        canvas.rect((gx, y0 + 3, gx + g, y0 + 3 + g), fill=self.colour, outline=theme.border, radius=2)
        canvas.rect((gx + 2, y0 + 5, gx + g // 2, y0 + 8), fill=theme.field)
        if self.selected:
            canvas.rect((x0, y1 - th - 1, x1, y1), fill=theme.accent)
        colour = theme.accent_text if self.selected else theme.text
        canvas.text_centered((x0, y1 - th - 1, x1, y1), self.label, theme.size, colour)

    def click(self, scene: Scene, x: int, y: int) -> None:
        """Select this icon only."""
        for w in scene.widgets:
            if isinstance(w, Icon):
                w.selected = w is self

    def double_click(self, scene: Scene, x: int, y: int) -> None:
        """Select and open."""
        self.click(scene, x, y)
        scene.emit("open", self)


@dataclasses.dataclass(eq=False)
class Spinner(Widget):
    """A busy indicator that lasts ``remaining`` steps, then hides and calls ``on_done``."""

    remaining: int = 3
    on_done: Callable[[], None] | None = None
    phase: int = 0

    def state(self) -> dict[str, Any]:
        """Steps left until loading finishes."""
        return {"remaining": self.remaining}

    def draw(self, canvas: Canvas, theme: Theme) -> None:
        """A rotating arc and a caption."""
        x0, y0, x1, y1 = self.box
        d = y1 - y0 - 2
        start = 90 * self.phase
        canvas.draw.arc((x0, y0, x0 + d, y0 + d), start, start + 270, fill=theme.accent, width=3)
        canvas.text(
            x0 + d + 5, (y0 + y1 - text_size("Ag", theme.size)[1]) // 2, self.label, theme.size, theme.text
        )

    def tick(self, scene: Scene) -> None:
        """Count down; finish when it reaches zero."""
        if not self.visible:
            return
        self.remaining -= 1
        self.phase += 1
        scene.dirty = True
        if self.remaining <= 0:
            self.visible = False
            if self.on_done is not None:
                self.on_done()
