"""A small desktop app to teach deskpilot by showing: three kinds of task a person would teach.

    python examples/teach/app.py --kind button --seed 3

Kinds (each seed lays the window out anew: positions, order, labels, colours):

* ``button``: four buttons with everyday words; "Click the 'Save' button."
* ``field``: three labelled text fields; "Type 'Berlin' into the City field and press Enter."
* ``boxes``: five checkboxes and a submit button; "Select 'Red' and 'Blue' and nothing else, then
  click 'OK'."

The window is 320x420 at root (0, 0); with no window manager (bare Xvfb) it has no decorations and
stays there. Text is DejaVu Sans at 20 pixels. The app writes JSON lines on stdout:

* first ``{"type": "ready", "kind", "task", "widgets": {name: [x, y, w, h]}, "answer": {...}}`` once
  the window is drawn (``widgets`` in root pixels, ``answer`` what a right attempt does);
* ``{"type": "result", "success": bool, "detail": str}`` once the attempt is decided (the named
  button clicked or another; Enter pressed in a field; the submit button clicked). The window then
  says so at the bottom ("Done." / "Not quite.") and ignores further input;
* ``focus``, ``typed`` and ``check`` events as the person works, so a script can wait on them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tkinter as tk
from typing import Any

WIDTH, HEIGHT = 320, 420
FONT = ("DejaVu Sans", -20)  # negative: pixels, not points, so the size does not follow the DPI
WORDS = (
    "Save", "Open", "Print", "Share", "Delete", "Copy", "Paste", "Undo", "Send", "Reply", "Archive",
    "Search", "Help", "Close", "Cancel", "Apply", "Export", "Import", "Upload", "Refresh", "Edit",
    "Rename", "Move", "Star", "Back", "Next", "Play", "Stop", "Join", "Leave",
)  # fmt: skip
FIELDS = ("Name", "City", "Email", "Phone", "Company", "Country", "Street", "Title")
VALUES = (
    "Alice", "Berlin", "Oslo", "Lisbon", "kiwi", "Maria", "Tokyo", "delta", "Rome", "Nina", "Paris",
    "lemon", "Omar", "Cairo", "Lima", "mango", "Ivan", "Quito", "Zoe", "Kyoto",
)  # fmt: skip
CHOICES = ("Red", "Blue", "Green", "Black", "White", "Pink", "Gray", "Gold", "Cyan", "Brown", "Lime")
SUBMITS = ("OK", "Submit", "Apply", "Done")
BACKGROUNDS = ("#f0f0f0", "#ffffff", "#e8eef7", "#f7f1e3")
KINDS = ("button", "field", "boxes")


def emit(event: str, **fields: Any) -> None:
    """One JSON line on stdout, flushed at once (a script waits on it)."""
    sys.stdout.write(json.dumps({"type": event, **fields}) + "\n")
    sys.stdout.flush()


class App:
    """One episode of one kind, laid out by ``seed``."""

    def __init__(self, kind: str, seed: int) -> None:
        self.rng = random.Random(f"{kind}-{seed}")
        self.root = tk.Tk()
        self.root.title("deskpilot-teach")
        self.root.geometry(f"{WIDTH}x{HEIGHT}+0+0")
        self.root.resizable(False, False)
        self.bg = self.rng.choice(BACKGROUNDS)
        self.root.configure(background=self.bg)
        self.widgets: dict[str, tk.Widget] = {}
        self.decided = False
        self.status = tk.Label(self.root, text="", font=FONT, background=self.bg)
        self.status.place(x=10, y=HEIGHT - 40)
        self.task, self.answer = {"button": self.buttons, "field": self.fields, "boxes": self.boxes}[kind]()

    # ------------------------------------------------------------------ layouts
    def _slots(self, n: int, rows: int, cols: int, top: int = 20, bottom: int = 60) -> list[tuple[int, int]]:
        """``n`` distinct cells of a rows x cols grid over the window, each jittered a little."""
        cells = self.rng.sample([(r, c) for r in range(rows) for c in range(cols)], n)
        h, w = (HEIGHT - top - bottom) / rows, WIDTH / cols
        return [
            (int(c * w + 12 + self.rng.randint(0, 16)), int(top + r * h + self.rng.randint(0, 8)))
            for r, c in cells
        ]

    def buttons(self) -> tuple[str, dict[str, Any]]:
        """Four buttons; the task names one."""
        labels = self.rng.sample(WORDS, 4)
        for label, (x, y) in zip(labels, self._slots(4, 6, 2), strict=True):
            b = tk.Button(self.root, text=label, font=FONT, command=lambda label=label: self.clicked(label))
            b.place(x=x, y=y)
            self.widgets[label] = b
        target = self.rng.choice(labels)
        return f"Click the '{target}' button.", {"click": target}

    def clicked(self, label: str) -> None:
        """A button was clicked: the first click decides."""
        if not self.decided:
            self.decide(label == self.answer["click"], f"clicked {label!r}")

    def fields(self) -> tuple[str, dict[str, Any]]:
        """Three labelled fields; the task names one and the text to enter."""
        names = self.rng.sample(FIELDS, 3)
        for name, (x, y) in zip(names, self._slots(3, 4, 1), strict=True):
            tk.Label(self.root, text=name, font=FONT, background=self.bg).place(x=x, y=y)
            entry = tk.Entry(self.root, font=FONT, width=14, insertofftime=0)  # a blink never settles
            entry.place(x=x, y=y + 28)
            entry.bind("<FocusIn>", lambda e, name=name: emit("focus", field=name))
            entry.bind(
                "<KeyRelease>", lambda e, name=name, entry=entry: emit("typed", field=name, text=entry.get())
            )
            entry.bind("<Return>", lambda e, name=name, entry=entry: self.entered(name, entry.get()))
            self.widgets[name] = entry
        target, value = self.rng.choice(names), self.rng.choice(VALUES)
        return f"Type '{value}' into the {target} field and press Enter.", {"field": target, "text": value}

    def entered(self, name: str, text: str) -> None:
        """Enter in a field: the first one decides."""
        if not self.decided:
            a = self.answer
            self.decide(name == a["field"] and text == a["text"], f"{text!r} entered in {name}")

    def boxes(self) -> tuple[str, dict[str, Any]]:
        """Five checkboxes and a submit button; the task names one or two boxes."""
        names = self.rng.sample(CHOICES, 5)
        self.ticks = {n: tk.IntVar(value=0) for n in names}
        slots = self._slots(6, 7, 2)
        for name, (x, y) in zip(names, slots[:-1], strict=True):
            box = tk.Checkbutton(
                self.root, text=name, font=FONT, variable=self.ticks[name], background=self.bg,
                command=lambda name=name: emit("check", box=name, value=self.ticks[name].get()),
            )  # fmt: skip
            box.place(x=x, y=y)
            self.widgets[name] = box
        submit = self.rng.choice(SUBMITS)
        b = tk.Button(self.root, text=submit, font=FONT, command=self.submitted)
        b.place(x=slots[-1][0], y=slots[-1][1])
        self.widgets[submit] = b
        targets = sorted(self.rng.sample(names, self.rng.randint(1, 2)), key=names.index)
        listed = " and ".join(f"'{t}'" for t in targets)
        return f"Select {listed} and nothing else, then click '{submit}'.", {"tick": targets, "click": submit}

    def submitted(self) -> None:
        """The submit button: decided by the boxes ticked then."""
        if not self.decided:
            ticked = [n for n, v in self.ticks.items() if v.get()]
            self.decide(sorted(ticked) == sorted(self.answer["tick"]), f"submitted with {ticked}")

    # ------------------------------------------------------------------ outcome
    def decide(self, success: bool, detail: str) -> None:
        """Say the outcome on stdout and in the window; later input changes nothing."""
        self.decided = True
        for w in self.widgets.values():
            w.configure(state="disabled")
        self.status.configure(text="Done." if success else "Not quite.")
        self.root.update_idletasks()
        emit("result", success=success, detail=detail)

    def run(self, kind: str) -> None:
        """Report the layout once the window is mapped, then serve events until closed."""

        def ready() -> None:
            self.root.update_idletasks()
            boxes = {
                n: [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]
                for n, w in self.widgets.items()
            }
            emit("ready", kind=kind, task=self.task, widgets=boxes, answer=self.answer)

        self.root.bind("<Map>", lambda e: self.root.after_idle(ready) if e.widget is self.root else None)
        self.root.mainloop()


def main() -> None:
    """Parse ``--kind`` and ``--seed``, show the window, report until closed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    App(args.kind, args.seed).run(args.kind)


if __name__ == "__main__":
    main()
