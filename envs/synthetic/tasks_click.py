"""Pointer task families: click, double-click, right-click, scroll, drag, tabs, links, dialogs, waiting."""

from __future__ import annotations

from deskpilot.envs.actions import Action
from deskpilot.envs.synthetic.lists import Card, DropZone, Icon, ListBox, Spinner
from deskpilot.envs.synthetic.paint import text_size
from deskpilot.envs.synthetic.scene import Event
from deskpilot.envs.synthetic.tasks import Retry, Task, clicked, family, labels, pick, scatter
from deskpilot.envs.synthetic.widgets import Button, Checkbox, Link, Panel, Slider, Tab, Text

MENU_WORDS = ("Open", "Copy", "Cut", "Paste", "Rename", "Delete", "Share", "Print", "Pin", "Move", "Info")
DIALOG_WORDS = ("OK", "Cancel", "Yes", "No", "Apply", "Retry", "Save", "Discard", "Close", "Ignore")


@family("click-button")
class ClickButton(Task):
    """Click the named button among 3-6 scattered ones; any other button fails."""

    def build(self) -> str:
        """Scatter the buttons."""
        names = labels(self.rng, int(self.rng.integers(3, 7)))
        self.add_buttons(names)
        self.goal = {"button": pick(self.rng, names)}
        template = pick(
            self.rng, ("Click the '{}' button.", "Click on '{}'.", "Press the button labelled '{}'.")
        )
        return template.format(self.goal["button"])

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first button clicked."""
        button = clicked(events, "button")
        return None if button is None else button.label == self.goal["button"]


@family("click-checkboxes")
class ClickCheckboxes(Task):
    """Tick exactly the named boxes (some may start ticked), then click Submit."""

    max_steps = 12
    option_names = ("start_ticked",)
    start_ticked = 0.4  # the share of episodes whose boxes start with a random mix of ticks

    def build(self) -> str:
        """A column of checkboxes and a submit button."""
        n = int(self.rng.integers(3, 6))
        names = labels(self.rng, n)
        targets = [str(t) for t in self.rng.choice(names, size=int(self.rng.integers(1, 3)), replace=False)]
        x0, y0, x1, y1 = self.scene.content
        h = self.line_height() + 2
        width = max(text_size(nm, self.size)[0] for nm in names) + h + 6
        x = int(self.rng.integers(x0, max(x0 + 1, x1 - width)))
        y = y0 + int(self.rng.integers(0, 20))
        pre = self.rng.random() < self.start_ticked
        for nm in names:
            self.scene.add(
                Checkbox((x, y, x + width, y + h), nm, checked=bool(pre and self.rng.random() < 0.4))
            )
            y += h + int(self.rng.integers(3, 7))
        submit = pick(self.rng, ("Submit", "OK", "Done", "Apply"))
        self.add_buttons([submit], area=(x0, y + 4, x1, y1))
        self.goal = {"checked": targets, "submit": submit}
        listed = " and ".join(f"'{t}'" for t in targets)
        return f"Select {listed} and nothing else, then click '{submit}'."

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided when the submit button is clicked."""
        if clicked(events, "button") is None:
            return None
        ticked = sorted(w.label for w in self.scene.widgets if isinstance(w, Checkbox) and w.checked)
        return ticked == sorted(self.goal["checked"])


@family("double-click")
class DoubleClick(Task):
    """Double-click the named desktop icon; opening another icon fails."""

    def build(self) -> str:
        """Scatter icons."""
        names = labels(self.rng, int(self.rng.integers(3, 7)), max_len=6)
        th = self.line_height()
        sizes = [(max(text_size(n, self.size)[0] + 4, 26), 22 + th) for n in names]
        boxes = scatter(self.rng, self.scene.content, sizes)
        if boxes is None:
            raise Retry
        for b, n in zip(boxes, names, strict=True):
            colour = tuple(int(c) for c in self.rng.integers(60, 240, size=3))
            self.scene.add(Icon(b, n, colour=colour))  # type: ignore[arg-type]
        self.goal = {"icon": pick(self.rng, names)}
        return pick(self.rng, ("Double-click the '{}' icon.", "Open '{}' by double-clicking it.")).format(
            self.goal["icon"]
        )

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first icon opened."""
        opened = [w for kind, w, _ in events if kind == "open"]
        return None if not opened else opened[0].label == self.goal["icon"]  # type: ignore[union-attr]


def _list_box(task: Task, items: list[str], rows: int, entries: list[str] | None = None) -> ListBox:
    x0, y0, x1, y1 = task.scene.content
    rh = task.line_height() + 3
    width = max(max(text_size(i, task.size)[0] for i in items) + 18, 60)
    x = int(task.rng.integers(x0, max(x0 + 1, x1 - width)))
    y = int(task.rng.integers(y0, max(y0 + 1, y1 - rows * rh - 2)))
    box = (x, y, x + width, y + rows * rh + 2)
    return task.scene.add(
        ListBox(box, "files", items=items, rows=rows, row_height=rh, menu_entries=entries or [])
    )  # type: ignore[return-value]


@family("context-menu")
class ContextMenu(Task):
    """Right-click the named list item and choose the named menu entry."""

    def build(self) -> str:
        """A short list whose rows have a context menu."""
        items = labels(self.rng, int(self.rng.integers(3, 6)))
        k = int(self.rng.integers(3, 6))
        entries = [str(e) for e in self.rng.choice(MENU_WORDS, size=k, replace=False)]
        _list_box(self, items, len(items), entries)
        self.goal = {"item": pick(self.rng, items), "entry": pick(self.rng, entries)}
        return "Right-click '{item}' and choose '{entry}'.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first menu choice."""
        for kind, _, detail in events:
            if kind == "menu":
                return tuple(detail) == (self.goal["item"], self.goal["entry"])
        return None


@family("scroll-list")
class ScrollList(Task):
    """Scroll a long list until the named item shows, then click it; clicking another item fails."""

    max_steps = 10  # up to 6 scrolls of SCROLL_TICKS, then the click

    def build(self) -> str:
        """A list longer than its window, scrolled to the top as lists start.

        The target usually starts out of view below, so which way to scroll can be seen, not guessed.
        """
        n = int(self.rng.integers(10, 21))
        rows = int(self.rng.integers(4, 7))
        items = labels(self.rng, n)
        box = _list_box(self, items, rows)
        hidden = [i for i in range(n) if i not in box.visible_items()]
        index = (
            pick(self.rng, hidden) if self.rng.random() < 0.85 else pick(self.rng, list(box.visible_items()))
        )
        self.goal = {"item": items[index]}
        return pick(
            self.rng, ("Scroll to '{}' and click it.", "Find '{}' in the list and select it.")
        ).format(items[index])

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first selection."""
        for kind, _, detail in events:
            if kind == "select":
                return detail == self.goal["item"]
        return None


@family("slider")
class SetSlider(Task):
    """Drag the named slider to a value; success as soon as it shows that value."""

    def build(self) -> str:
        """One to two labelled sliders with value read-outs."""
        x0, y0, x1, y1 = self.scene.content
        names = labels(self.rng, int(self.rng.integers(1, 3)))
        y = y0 + int(self.rng.integers(0, 30))
        self.readouts: dict[str, Text] = {}
        for nm in names:
            hi = int(pick(self.rng, (5, 10, 10)))
            width = int(self.rng.integers(90, x1 - x0 + 1))
            x = int(self.rng.integers(x0, x1 - width + 1))
            slider = Slider(
                (x, y + self.line_height() + 2, x + width, y + self.line_height() + 14), nm, hi=hi
            )
            slider.value = int(self.rng.integers(0, hi + 1))
            self.readouts[nm] = self.caption(x, y, f"{nm}: {slider.value}")  # type: ignore[assignment]
            self.scene.add(slider)
            y += self.line_height() + 30
        target = pick(self.rng, names)
        chosen = self.scene.find("slider", target)
        assert isinstance(chosen, Slider)
        value = pick(self.rng, [v for v in range(chosen.hi + 1) if v != chosen.value])
        self.goal = {"slider": target, "value": value}
        return f"Set the '{target}' slider to {value}."

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Update the read-outs; succeed once the target slider holds the value."""
        for kind, widget, _ in events:
            if kind == "change" and isinstance(widget, Slider):
                text = self.readouts[widget.label]
                text.label = f"{widget.label}: {widget.value}"
                text.box = (
                    text.box[0],
                    text.box[1],
                    text.box[0] + text_size(text.label, self.size)[0],
                    text.box[3],
                )
        slider = self.scene.find("slider", self.goal["slider"])
        return True if slider.value == self.goal["value"] else None  # type: ignore[attr-defined]


@family("drag-item")
class DragItem(Task):
    """Drag the named card into the named box; dropping it into another box fails."""

    def build(self) -> str:
        """Cards in the upper part, drop zones along the bottom."""
        x0, y0, x1, y1 = self.scene.content
        zones = labels(self.rng, int(self.rng.integers(2, 4)), max_len=6)
        zh = 40
        zw = (x1 - x0 - 4 * (len(zones) - 1)) // len(zones)
        for i, z in enumerate(zones):
            zx = x0 + i * (zw + 4)
            self.scene.add(DropZone((zx, y1 - zh, zx + zw, y1), z))
        cards = labels(self.rng, int(self.rng.integers(1, 4)))
        sizes = [(text_size(c, self.size)[0] + 12, self.line_height() + 8) for c in cards]
        boxes = scatter(self.rng, (x0, y0, x1, y1 - zh - 8), sizes)
        if boxes is None:
            raise Retry
        for b, c in zip(boxes, cards, strict=True):
            colour = tuple(int(v) for v in self.rng.integers(170, 256, size=3))
            self.scene.add(Card(b, c, colour=colour))  # type: ignore[arg-type]
        self.goal = {"item": pick(self.rng, cards), "zone": pick(self.rng, zones)}
        return "Drag '{item}' into the '{zone}' box.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first drop into a zone."""
        for kind, widget, zone in events:
            if kind == "drop" and zone is not None:
                return widget.label == self.goal["item"] and zone.label == self.goal["zone"]  # type: ignore[union-attr]
        return None


@family("click-tab")
class ClickTab(Task):
    """Open the named tab, then click the named button on it; any other button fails."""

    def build(self) -> str:
        """A tab strip; each tab shows its own buttons."""
        x0, y0, x1, y1 = self.scene.content
        names = labels(self.rng, int(self.rng.integers(2, 5)), max_len=6)
        th = self.line_height() + 6
        self.scene.add(Panel((x0, y0 + th - 1, x1, y1)))  # the tab page, under the tabs
        x = x0
        tabs: list[Tab] = []
        for nm in names:
            w = text_size(nm, self.size)[0] + 10
            if x + w > x1:
                raise Retry
            tabs.append(self.scene.add(Tab((x, y0, x + w, y0 + th), nm)))  # type: ignore[arg-type]
            x += w
        buttons = labels(self.rng, 3 * len(tabs))
        for i, tab in enumerate(tabs):
            tab.group = tabs
            # Each page gets its own scatter; pages are never visible together.
            tab.children = list(
                self.add_buttons(buttons[3 * i : 3 * i + 3], area=(x0 + 4, y0 + th + 4, x1 - 4, y1 - 4))
            )
        start = int(self.rng.integers(len(tabs)))
        tabs[start].click(self.scene, 0, 0)
        goal_tab = pick(self.rng, [t for i, t in enumerate(tabs) if i != start])
        self.goal = {"tab": goal_tab.label, "button": pick(self.rng, [c.label for c in goal_tab.children])}
        return "Open the '{tab}' tab and click '{button}'.".format(**self.goal)

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first button clicked."""
        button = clicked(events, "button")
        return None if button is None else button.label == self.goal["button"]


@family("click-link")
class ClickLink(Task):
    """Click the named link in a paragraph of text; other links fail."""

    def build(self) -> str:
        """Flow words and links into lines."""
        x0, y0, x1, y1 = self.scene.content
        words = labels(self.rng, int(self.rng.integers(14, 26)))
        links = labels(self.rng, int(self.rng.integers(2, 5)))
        links = [ln for ln in links if ln.lower() not in (w.lower() for w in words)] or ["here"]
        slots = sorted(int(i) for i in self.rng.choice(len(words), size=len(links), replace=False))
        tokens: list[tuple[str, bool]] = [(w, False) for w in words]
        for offset, (slot, ln) in enumerate(zip(slots, links, strict=True)):
            tokens.insert(slot + offset, (ln, True))
        space = text_size(" ", self.size)[0] + 1
        lh = self.line_height() + int(self.rng.integers(2, 6))
        x, y = x0, y0 + int(self.rng.integers(0, 20))
        for token, is_link in tokens:
            w, h = text_size(token, self.size)
            if x + w > x1:
                x, y = x0, y + lh
            if y + h > y1:
                raise Retry
            widget = Link if is_link else Text
            self.scene.add(widget((x, y, x + w, y + h), token))
            x += w + space
        self.goal = {"link": pick(self.rng, links)}
        return pick(self.rng, ("Click the '{}' link.", "Follow the link '{}'.")).format(self.goal["link"])

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first link clicked."""
        link = clicked(events, "link")
        return None if link is None else link.label == self.goal["link"]


@family("dialog")
class Dialog(Task):
    """Answer a modal dialog with the named button; the window behind it does not respond."""

    def build(self) -> str:
        """Background buttons, then a dialog panel with 2-3 buttons on top."""
        x0, y0, x1, y1 = self.scene.content
        self.add_buttons(labels(self.rng, int(self.rng.integers(2, 5))))
        answers = [
            str(a) for a in self.rng.choice(DIALOG_WORDS, size=int(self.rng.integers(2, 4)), replace=False)
        ]
        title = pick(self.rng, ("Confirm", "Warning", "Question", "Notice"))
        message = f"{pick(self.rng, ('Delete', 'Save', 'Close', 'Send'))} '{labels(self.rng, 1)[0]}'?"
        lh = self.line_height()
        widths = [text_size(a, self.size)[0] + 10 for a in answers]
        w = max(sum(widths) + 4 * len(answers) + 8, text_size(message, self.size)[0] + 10, 90)
        w = min(w, x1 - x0)
        h = 3 * lh + 26
        dx = int(self.rng.integers(x0, x1 - w + 1))
        dy = int(self.rng.integers(y0, y1 - h + 1))
        self.scene.add(Panel((dx, dy, dx + w, dy + h), title=title))
        self.caption(dx + 5, dy + lh + 8, message)
        bx, by = dx + w - 4, dy + h - lh - 10
        buttons = []
        for a, bw in zip(reversed(answers), reversed(widths), strict=True):
            bx -= bw
            buttons.append(self.scene.add(Button((bx, by, bx + bw, by + lh + 6), a)))
            bx -= 4
        self.scene.modal = buttons
        self.goal = {"button": pick(self.rng, answers)}
        return pick(self.rng, ("Click '{}' in the dialog.", "Answer the dialog with '{}'.")).format(
            self.goal["button"]
        )

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first dialog button clicked."""
        button = clicked(events, "button")
        return None if button is None else button.label == self.goal["button"]


@family("wait-spinner")
class WaitSpinner(Task):
    """Wait while a spinner runs (1-4 steps, hiding the buttons), then click the named button."""

    max_steps = 10

    def build(self) -> str:
        """Hidden buttons revealed when the spinner finishes."""
        x0, y0, x1, y1 = self.scene.content
        names = labels(self.rng, int(self.rng.integers(2, 5)))
        buttons = self.add_buttons(names, area=(x0, y0 + 24, x1, y1))
        for b in buttons:
            b.visible = False

        def reveal() -> None:
            for b in buttons:
                b.visible = True

        sy = y0 + int(self.rng.integers(0, 6))
        sx = x0 + int(self.rng.integers(0, 30))
        self.scene.add(
            Spinner(
                (sx, sy, sx + 90, sy + 18),
                "Loading...",
                remaining=int(self.rng.integers(1, 5)),
                on_done=reveal,
            )
        )
        self.goal = {"button": pick(self.rng, names)}
        return pick(
            self.rng, ("Wait for loading to finish, then click '{}'.", "When '{}' appears, click it.")
        ).format(self.goal["button"])

    def judge(self, events: list[Event], action: Action) -> bool | None:
        """Decided by the first button clicked."""
        button = clicked(events, "button")
        return None if button is None else button.label == self.goal["button"]
