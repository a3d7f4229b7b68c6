"""A small Tk app that reports every input event it receives, as JSON lines on stdout.

Run as ``python tests/tkapp.py`` with ``DISPLAY`` set. The window sits at root (0, 0); with no window
manager (bare Xvfb) it has no decorations and stays where placed. The first line is::

    {"type": "geometry", "widgets": {name: [root_x, root_y, width, height], ...}, "screen": [w, h]}

for the widgets ``window, button, check, swatch, entry, list, canvas``. Then one line per event
(coordinates are root pixels, ``widget`` is one of the names above or a Tk path):

* ``press`` / ``release``: ``button`` (1 left, 2 middle, 3 right), ``x``, ``y``, ``widget``
* ``double``: a left double-click, ``x``, ``y``, ``widget``
* ``scroll``: one wheel tick, ``direction`` ("up"/"down"), ``x``, ``y``, ``widget``;
  then ``list_view`` with ``top`` (index of the first visible item) when the list moved
* ``key``: ``keysym``, ``char``, ``ctrl``, ``shift``, ``alt`` (booleans), ``widget``
* ``entry``: ``text`` (the entry's whole content after each change)
* ``check``: ``value`` (0/1);  ``button``: the button was invoked
* ``drawn``: the swatch was repainted, ``color`` ("#rrggbb"), after Tk drew it
* ``drag_press`` / ``drag_motion`` / ``drag_release``: pointer path on the canvas, ``x``, ``y``
* ``menu``: the right-click menu was posted at ``x``, ``y``;  ``menu_item``: ``label`` chosen
"""

from __future__ import annotations

import json
import sys
import tkinter as tk
from typing import Any

SWATCH_COLORS = ("#808080", "#ff0000")  # before / after the button is pressed
CANVAS_COLOR = "#0000ff"


def emit(event_type: str, **fields: Any) -> None:
    """Write one event line and flush, so the test sees it at once."""
    sys.stdout.write(json.dumps({"type": event_type, **fields}) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Build the window, report its geometry, then report events until killed."""
    root = tk.Tk()
    root.title("deskpilot-tkapp")
    root.geometry("420x330+0+0")
    root.configure(background="#ffffff")

    widgets: dict[str, tk.Misc] = {"window": root}
    names: dict[str, str] = {}

    def name_of(widget: Any) -> str:
        return names.get(str(widget), str(widget))

    button = tk.Button(root, text="Press", command=lambda: on_button())
    check_var = tk.IntVar(value=0)
    check = tk.Checkbutton(root, text="Check", variable=check_var)
    swatch = tk.Frame(root, width=60, height=30, background=SWATCH_COLORS[0])
    entry_var = tk.StringVar(value="")
    entry = tk.Entry(root, textvariable=entry_var, width=40)
    listbox = tk.Listbox(root, height=8, width=16)
    for i in range(100):
        listbox.insert("end", f"item {i}")
    canvas = tk.Canvas(root, width=220, height=160, background=CANVAS_COLOR, highlightthickness=0)
    menu = tk.Menu(
        root, tearoff=0, postcommand=lambda: emit("menu", x=root.winfo_pointerx(), y=root.winfo_pointery())
    )
    for label in ("Copy", "Paste"):
        menu.add_command(label=label, command=lambda label=label: emit("menu_item", label=label))

    button.grid(row=0, column=0, padx=8, pady=8, sticky="w")
    check.grid(row=0, column=1, padx=8, pady=8, sticky="w")
    swatch.grid(row=0, column=2, padx=8, pady=8)
    entry.grid(row=1, column=0, columnspan=3, padx=8, pady=8, sticky="we")
    listbox.grid(row=2, column=0, padx=8, pady=8, sticky="nw")
    canvas.grid(row=2, column=1, columnspan=2, padx=8, pady=8, sticky="nw")
    widgets.update(button=button, check=check, swatch=swatch, entry=entry, list=listbox, canvas=canvas)
    names.update({str(w): n for n, w in widgets.items()})

    def on_button() -> None:
        emit("button")
        swatch.configure(background=SWATCH_COLORS[1])
        root.update_idletasks()
        emit("drawn", color=SWATCH_COLORS[1])

    check_var.trace_add("write", lambda *_: emit("check", value=check_var.get()))
    entry_var.trace_add("write", lambda *_: emit("entry", text=entry_var.get()))

    def on_press(e: tk.Event) -> None:
        if e.num in (4, 5):  # Tk 8.6 on X11 delivers wheel ticks as buttons 4 (up) and 5 (down)
            emit(
                "scroll",
                direction="up" if e.num == 4 else "down",
                x=e.x_root,
                y=e.y_root,
                widget=name_of(e.widget),
            )
            root.after_idle(report_list)
            return
        emit("press", button=e.num, x=e.x_root, y=e.y_root, widget=name_of(e.widget))
        if e.num == 3:
            menu.tk_popup(e.x_root, e.y_root)

    last_top = [0]  # the view after the last report; read when idle, after the Listbox class binding scrolled

    def report_list() -> None:
        top = listbox.nearest(0)
        if top != last_top[0]:
            last_top[0] = top
            emit("list_view", top=top)

    def on_wheel(e: tk.Event) -> None:  # Tk 8.7+ sends <MouseWheel> instead of buttons 4/5
        emit(
            "scroll",
            direction="up" if e.delta > 0 else "down",
            x=e.x_root,
            y=e.y_root,
            widget=name_of(e.widget),
        )

    def on_release(e: tk.Event) -> None:
        if e.num in (1, 2, 3):
            emit("release", button=e.num, x=e.x_root, y=e.y_root, widget=name_of(e.widget))

    def on_key(e: tk.Event) -> None:
        state = int(e.state) if isinstance(e.state, int) else 0
        emit(
            "key",
            keysym=e.keysym,
            char=e.char,
            ctrl=bool(state & 0x4),
            shift=bool(state & 0x1),
            alt=bool(state & 0x8),
            widget=name_of(e.widget),
        )

    # Reporting bindings live on their own bind tags, first on every widget: on the "all" tag
    # Tk's more specific menu-traversal bindings (<Alt-Key>, <F10>) would shadow them.
    # Double-clicks get a tag of their own so the plain press is reported as well.
    root.bind_class("Report", "<ButtonPress>", on_press)
    root.bind_class("Report", "<ButtonRelease>", on_release)
    root.bind_class("Report", "<MouseWheel>", on_wheel)
    root.bind_class("Report", "<KeyPress>", on_key)
    root.bind_class(
        "Double",
        "<Double-Button-1>",
        lambda e: emit("double", x=e.x_root, y=e.y_root, widget=name_of(e.widget)),
    )
    for w in widgets.values():
        w.bindtags(("Report", "Double", *w.bindtags()))
    canvas.bind("<ButtonPress-1>", lambda e: emit("drag_press", x=e.x_root, y=e.y_root))
    canvas.bind("<B1-Motion>", lambda e: emit("drag_motion", x=e.x_root, y=e.y_root))
    canvas.bind("<ButtonRelease-1>", lambda e: emit("drag_release", x=e.x_root, y=e.y_root))

    root.update_idletasks()
    root.wait_visibility(root)
    root.update()
    root.focus_force()
    geometry = {
        n: [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()] for n, w in widgets.items()
    }
    emit("geometry", widgets=geometry, screen=[root.winfo_screenwidth(), root.winfo_screenheight()])
    root.mainloop()


if __name__ == "__main__":
    main()
