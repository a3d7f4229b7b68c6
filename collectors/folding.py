"""Fold raw input events (button presses, wheel ticks, key presses) into the ``Action``s a person means.

Pure logic: no ``pynput``, no display, no clock. The recorder (``collectors.recorder``) turns
``pynput`` callbacks into the small event records of ``collectors.input_events``, stamps them with
a monotonic time and feeds them to an ``EventFolder``; the folder returns each finished action as
a ``Folded`` together with the time of its first raw event, which is how the recorder picks the
pre-action screenshot.

Rules (pixels are root-window pixels; times are seconds):

* Left press and release within ``drag_threshold`` px = CLICK at the press point. A click stays
  *pending* until ``double_click_interval`` has passed since its press (see ``poll``) or another
  event makes it final: a second left press within the interval and ``double_click_distance`` px
  turns it into one DOUBLE_CLICK (emitted at the second release, at the first press point).
* Left press, pointer beyond ``drag_threshold`` px, release = DRAG from press to release point.
* Right press and release = RIGHT_CLICK at the press point. The middle button is ignored.
* Wheel ticks (positive = down) at the same place (within ``double_click_distance`` px), in the
  same direction and at most ``scroll_gap`` apart merge into one SCROLL, split at ``MAX_SCROLL``.
* Printable characters typed with no ctrl/alt/super held merge into one TYPE (shift gives
  capitals because the event carries the produced character); backspace removes the last pending
  character (a KEY ``backspace`` when nothing is pending); split at ``MAX_TEXT_LENGTH``. A TYPE
  stays pending until another action starts or the folder is flushed.
* A non-modifier key with ctrl, alt or super held = KEY in canonical spelling (shift included);
  named keys alone (enter, tab, arrows, ...) = KEY, with shift if held. Lone modifiers are dropped.
* Presses and releases are paired by ``KeyEvent.code`` (the physical key): a release's own name
  or character is never trusted, since X can report ``!`` pressed and ``1`` released.
* Presses outside the recorded region are ignored together with their release (logged); a drag
  ending outside is clamped to the region's edge.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Hashable

from deskpilot.collectors.input_events import ButtonEvent, KeyEvent, MoveEvent, RawEvent, ScrollEvent
from deskpilot.envs.actions import (
    MAX_SCROLL,
    MAX_TEXT_LENGTH,
    MODIFIERS,
    TEXT_CHARSET,
    Action,
    canonical_key,
    from_pixel,
)
from deskpilot.envs.desktop.capture import Region

__all__ = ["EventFolder", "Folded", "FoldingConfig"]

log = logging.getLogger(__name__)

_TEXT = frozenset(TEXT_CHARSET)
# Keys that never make an action of their own and never count as a ctrl/alt/super combination.
_INERT_KEYS = frozenset({"alt_gr", "caps_lock", "num_lock", "scroll_lock", "shift_lock", "iso_level3_shift"})
# Unshifted key under each shifted symbol of a US keyboard, for spelling ctrl+shift+1 and the like.
_UNSHIFT = dict(zip('!@#$%^&*()_+{}|:"<>?~', "1234567890-=[]\\;',./`", strict=True))


@dataclasses.dataclass(frozen=True, slots=True)
class Folded:
    """One finished action and the time of the first raw event that belongs to it."""

    action: Action
    start: float


@dataclasses.dataclass(frozen=True)
class FoldingConfig:
    """How raw events are grouped into actions."""

    double_click_interval: float = 0.5  # s between the two presses of a double-click (system value if known)
    double_click_distance: int = 4  # px the second press of a double-click may be from the first
    drag_threshold: int = 5  # px the pointer must move with the button down for a drag, not a click
    scroll_gap: float = 0.5  # s of wheel silence that ends one SCROLL action

    def __post_init__(self) -> None:
        for name in ("double_click_interval", "scroll_gap"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value < math.inf:
                raise ValueError(f"{name}: expected a positive number of seconds, got {value!r}")
        for name in ("double_click_distance", "drag_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected a non-negative number of pixels, got {value!r}")


@dataclasses.dataclass
class _Press:
    """A mouse button that is down."""

    x: int
    y: int
    time: float
    button: str
    start: float  # first raw event of the action (the first press of a double-click)
    second: bool = False  # the second press of a double-click
    dragging: bool = False
    ignored: bool = False  # pressed outside the region: swallow until its release


@dataclasses.dataclass
class _PendingClick:
    x: int
    y: int
    time: float  # of the press


@dataclasses.dataclass
class _PendingScroll:
    x: int
    y: int
    ticks: int
    start: float
    last: float


@dataclasses.dataclass
class _PendingText:
    text: str
    start: float


class EventFolder:
    """The folding state machine: ``feed`` raw events, ``poll`` the clock, ``flush`` at the end.

    Every method returns the actions that became final, in the order they started. At most one
    action is pending at a time (a click awaiting a possible second click, a scroll, or typed text),
    so the order is exact.
    """

    def __init__(self, region: Region, config: FoldingConfig | None = None) -> None:
        if not isinstance(region, Region):
            raise ValueError(f"region: expected an envs.desktop.Region, got {region!r}")
        self.region = region
        self.config = config or FoldingConfig()
        self._keys: dict[Hashable, KeyEvent] = {}  # held keys by code, as pressed
        self._press: _Press | None = None
        self._click: _PendingClick | None = None
        self._scroll: _PendingScroll | None = None
        self._text: _PendingText | None = None

    # ------------------------------------------------------------------ public API
    @property
    def pending_start(self) -> float | None:
        """Start time of the action in progress (pending or button held), None when idle."""
        starts = [
            p.start
            for p in (self._press, self._scroll, self._text)
            if p is not None and not getattr(p, "ignored", False)
        ]
        if self._click is not None:
            starts.append(self._click.time)
        return min(starts) if starts else None

    def feed(self, event: RawEvent) -> list[Folded]:
        """Take one raw event; return the actions it finished."""
        if isinstance(event, KeyEvent):
            return self._key(event)
        if isinstance(event, ButtonEvent):
            return self._button_down(event) if event.pressed else self._button_up(event)
        if isinstance(event, MoveEvent):
            self._move(event.x, event.y)
            return []
        if isinstance(event, ScrollEvent):
            return self._wheel(event)
        raise ValueError(f"event: expected a KeyEvent, ButtonEvent, MoveEvent or ScrollEvent, got {event!r}")

    def poll(self, now: float) -> list[Folded]:
        """Finish what time alone finishes: a click whose double-click window closed, a quiet scroll."""
        out: list[Folded] = []
        if self._click is not None and now - self._click.time > self.config.double_click_interval:
            out += self._flush_click()
        if self._scroll is not None and now - self._scroll.last > self.config.scroll_gap:
            out += self._flush_scroll()
        return out

    def flush(self) -> list[Folded]:
        """Finish every pending action (recording stops or pauses); a button still down is dropped."""
        self._press = None
        return self._flush_pending()

    def release_all(self) -> None:
        """Forget held keys and buttons (after a pause, whose releases were never seen)."""
        self._keys.clear()
        self._press = None

    # ------------------------------------------------------------------ helpers
    def _inside(self, x: int, y: int) -> bool:
        r = self.region
        return r.left <= x < r.right and r.top <= y < r.bottom

    def _norm(self, x: int, y: int) -> tuple[float, float]:
        r = self.region
        px = min(max(x - r.left, 0), r.width - 1)
        py = min(max(y - r.top, 0), r.height - 1)
        return from_pixel(px, r.width), from_pixel(py, r.height)

    def _flush_click(self) -> list[Folded]:
        click, self._click = self._click, None
        return [] if click is None else [Folded(Action.click(*self._norm(click.x, click.y)), click.time)]

    def _flush_scroll(self) -> list[Folded]:
        s, self._scroll = self._scroll, None
        return [] if s is None else [Folded(Action.scroll_at(*self._norm(s.x, s.y), s.ticks), s.start)]

    def _flush_text(self) -> list[Folded]:
        t, self._text = self._text, None
        return [] if t is None or not t.text else [Folded(Action.type_text(t.text), t.start)]

    def _flush_pending(self) -> list[Folded]:
        return self._flush_click() + self._flush_scroll() + self._flush_text()

    # ------------------------------------------------------------------ mouse
    def _button_down(self, e: ButtonEvent) -> list[Folded]:
        if e.button == "middle":
            log.info("middle button at (%d, %d) ignored: no action for it", e.x, e.y)
            return []
        out = self._flush_scroll() + self._flush_text()
        if self._press is not None:  # a second button while one is down: keep the first gesture
            return out
        if not self._inside(e.x, e.y):
            log.warning(
                "%s press at (%d, %d) is outside the recorded region %s: ignored",
                e.button,
                e.x,
                e.y,
                self.region,
            )
            out += self._flush_click()
            self._press = _Press(e.x, e.y, e.time, e.button, e.time, ignored=True)
            return out
        click, c = self._click, self.config
        if (
            e.button == "left"
            and click is not None
            and e.time - click.time <= c.double_click_interval
            and max(abs(e.x - click.x), abs(e.y - click.y)) <= c.double_click_distance
        ):
            self._press = _Press(click.x, click.y, e.time, "left", click.time, second=True)
            return out
        out += self._flush_click()
        self._press = _Press(e.x, e.y, e.time, e.button, e.time)
        return out

    def _move(self, x: int, y: int) -> None:
        p = self._press
        if p is not None and not p.ignored and max(abs(x - p.x), abs(y - p.y)) > self.config.drag_threshold:
            p.dragging = True

    def _button_up(self, e: ButtonEvent) -> list[Folded]:
        p = self._press
        if p is None or p.button != e.button:
            return []  # a release whose press we never saw (pressed before recording, or a 2nd button)
        self._move(e.x, e.y)
        self._press = None
        if p.ignored:
            return []
        point = self._norm(p.x, p.y)
        if p.button == "right":
            return [Folded(Action.right_click(*point), p.start)]
        if p.dragging:
            out = []
            if p.second:  # the first click of a would-be double-click stands alone
                out.append(Folded(Action.click(*point), p.start))
                self._click = None
            if not self._inside(e.x, e.y):
                log.warning("drag released at (%d, %d) outside the region: clamped to its edge", e.x, e.y)
            return [*out, Folded(Action.drag(*point, *self._norm(e.x, e.y)), p.time)]
        if p.second:
            self._click = None
            return [Folded(Action.double_click(*point), p.start)]
        self._click = _PendingClick(p.x, p.y, p.time)
        return []

    def _wheel(self, e: ScrollEvent) -> list[Folded]:
        if e.ticks == 0:
            return []
        if not self._inside(e.x, e.y):
            log.warning(
                "scroll at (%d, %d) is outside the recorded region %s: ignored", e.x, e.y, self.region
            )
            return []
        out = self._flush_click() + self._flush_text()
        s, d = self._scroll, self.config.double_click_distance
        if (
            s is not None
            and (s.ticks > 0) == (e.ticks > 0)
            and max(abs(e.x - s.x), abs(e.y - s.y)) <= d
            and e.time - s.last <= self.config.scroll_gap
        ):
            ticks = s.ticks + e.ticks
            s.last = e.time
        else:
            out += self._flush_scroll()
            ticks = e.ticks
            s = self._scroll = _PendingScroll(e.x, e.y, 0, e.time, e.time)
        sign = 1 if ticks > 0 else -1
        while abs(ticks) > MAX_SCROLL:  # a full action, then the rest starts a new one here
            out.append(Folded(Action.scroll_at(*self._norm(s.x, s.y), sign * MAX_SCROLL), s.start))
            ticks -= sign * MAX_SCROLL
            s = self._scroll = _PendingScroll(e.x, e.y, 0, e.time, e.time)
        s.ticks = ticks
        return out

    # ------------------------------------------------------------------ keyboard
    def _held_modifiers(self) -> set[str]:
        return {k.name for k in self._keys.values() if k.name in MODIFIERS}

    def _key(self, e: KeyEvent) -> list[Folded]:
        if not e.pressed:
            self._keys.pop(e.code, None)  # paired by code: the release's own name is not trusted
            return []
        self._keys[e.code] = e
        if e.name in MODIFIERS or e.name in _INERT_KEYS:
            return []  # lone modifiers are dropped; a combination is spelled at its key's press
        mods = self._held_modifiers()
        combo = bool(mods & {"ctrl", "alt", "super"})
        if not combo and e.char is not None and e.char in _TEXT:
            return self._type_char(e.char, e.time)
        if not combo and e.name == "backspace" and self._text is not None and self._text.text:
            self._text.text = self._text.text[:-1]
            if not self._text.text:
                self._text = None  # typed and erased: nothing happened
            return []
        name = e.name
        if combo and len(name) == 1:
            name = _UNSHIFT.get(name, name).lower()
        try:
            key = canonical_key("+".join([m for m in MODIFIERS if m in mods] + [name]))
        except ValueError:
            log.warning(
                "key %r (with %s) has no KEY action: ignored",
                e.name,
                "+".join(sorted(mods)) or "no modifiers",
            )
            return []
        return [*self._flush_pending(), Folded(Action.press(key), e.time)]

    def _type_char(self, char: str, t: float) -> list[Folded]:
        out: list[Folded] = []
        if self._text is None:
            out = self._flush_click() + self._flush_scroll()
            self._text = _PendingText("", t)
        elif len(self._text.text) >= MAX_TEXT_LENGTH:
            out = self._flush_text()
            self._text = _PendingText("", t)
        self._text.text += char
        return out
