"""The shared action vocabulary: one typed ``Action`` travels through every part of deskpilot.

This module sits at the bottom of the import graph and uses only the standard library and numpy.

Conventions
-----------
* Coordinates are normalised to ``[0, 1]`` over the observed screen area, ``(0, 0)`` being the
  top-left corner. ``to_pixel`` / ``from_pixel`` convert to and from pixel indices so that a pixel
  survives the round trip exactly (``from_pixel`` returns the pixel's centre).
* ``SCROLL`` carries a signed number of wheel ticks: positive scrolls *down* (the content moves up,
  later items come into view), negative scrolls up. The pointer position says what is scrolled.
* ``KEY`` carries one key combination in canonical spelling: lower case, modifiers first in the
  fixed order ``ctrl, alt, shift, super``, then exactly one non-modifier key, joined by ``+``
  (``ctrl+shift+t``, ``enter``). Aliases (``Control``, ``Return``, ``Esc``) are normalised.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
import string
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "KEY_COMBOS",
    "KEY_NAMES",
    "MAX_SCROLL",
    "MAX_TEXT_LENGTH",
    "MODIFIERS",
    "TEXT_CHARSET",
    "Action",
    "ActionType",
    "canonical_key",
    "from_pixel",
    "to_pixel",
]


class ActionType(enum.IntEnum):
    """What an action does. The integer values are part of the trajectory format."""

    CLICK = 0
    DOUBLE_CLICK = 1
    RIGHT_CLICK = 2
    TYPE = 3
    KEY = 4
    SCROLL = 5
    DRAG = 6
    WAIT = 7
    DONE = 8


MODIFIERS: tuple[str, ...] = ("ctrl", "alt", "shift", "super")

_NAMED_KEYS = (
    "enter",
    "tab",
    "escape",
    "backspace",
    "delete",
    "space",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "insert",
)
_FUNCTION_KEYS = tuple(f"f{i}" for i in range(1, 13))
_PUNCTUATION_KEYS = tuple("-=[]\\;',./`")
# Every non-modifier key the executors support, in a fixed order (it indexes KEY_COMBOS).
KEY_NAMES: tuple[str, ...] = (
    tuple(string.ascii_lowercase) + tuple(string.digits) + _NAMED_KEYS + _FUNCTION_KEYS + _PUNCTUATION_KEYS
)
_KEY_NAME_SET = frozenset(KEY_NAMES)

_ALIASES = {
    "control": "ctrl",
    "ctl": "ctrl",
    "option": "alt",
    "meta": "super",
    "win": "super",
    "cmd": "super",
    "command": "super",
    "return": "enter",
    "esc": "escape",
    "del": "delete",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "page_up": "pageup",
    "page_down": "pagedown",
    "arrowup": "up",
    "arrowdown": "down",
    "arrowleft": "left",
    "arrowright": "right",
    "spacebar": "space",
    " ": "space",
}

# Every canonical combination, modifier subsets in MODIFIERS order times every key. The index
# of a combination in this tuple is its value in the action space and the model's key vocabulary.
KEY_COMBOS: tuple[str, ...] = tuple(
    "+".join((*mods, key))
    for r in range(len(MODIFIERS) + 1)
    for mods in itertools.combinations(MODIFIERS, r)
    for key in KEY_NAMES
)
_KEY_COMBO_INDEX = {combo: i for i, combo in enumerate(KEY_COMBOS)}

MAX_TEXT_LENGTH = 64
"""Longest text a single TYPE action carries (longer input is several TYPE actions)."""
MAX_SCROLL = 20
"""Largest number of wheel ticks in one SCROLL action, in either direction."""
TEXT_CHARSET = string.printable[:-5] + "".join(chr(c) for c in range(0xA0, 0x180))
"""Characters a TYPE action may carry: printable ASCII (no tabs or newlines) and Latin-1/Latin
Extended-A. Keys such as Enter and Tab are KEY actions, never text."""
_TEXT_CHARSET_SET = frozenset(TEXT_CHARSET)

_POINT_TYPES = frozenset(
    {
        ActionType.CLICK,
        ActionType.DOUBLE_CLICK,
        ActionType.RIGHT_CLICK,
        ActionType.SCROLL,
        ActionType.DRAG,
    }
)
# Which optional fields each action type requires; every other optional field must stay None.
_FIELDS: dict[ActionType, frozenset[str]] = {
    t: frozenset(
        ({"x", "y"} if t in _POINT_TYPES else set())
        | ({"x2", "y2"} if t is ActionType.DRAG else set())
        | ({"text"} if t is ActionType.TYPE else set())
        | ({"key"} if t is ActionType.KEY else set())
        | ({"scroll"} if t is ActionType.SCROLL else set())
    )
    for t in ActionType
}
_OPTIONAL = ("x", "y", "x2", "y2", "text", "key", "scroll")


def canonical_key(combo: str) -> str:
    """Return the canonical spelling of a key combination, or raise ``ValueError``.

    >>> canonical_key("Shift+Ctrl+T")
    'ctrl+shift+t'
    """
    if not isinstance(combo, str) or not combo.strip():
        raise ValueError(f"key: expected a key combination such as 'ctrl+c', got {combo!r}")
    parts = [p.strip().lower() for p in combo.split("+")]
    parts = [_ALIASES.get(p, p) for p in parts]
    mods = [p for p in parts if p in MODIFIERS]
    keys = [p for p in parts if p not in MODIFIERS]
    if len(keys) != 1:
        raise ValueError(
            f"key: {combo!r} must name exactly one non-modifier key after optional modifiers "
            f"{'/'.join(MODIFIERS)}; got {keys or 'none'}"
        )
    if keys[0] not in _KEY_NAME_SET:
        raise ValueError(
            f"key: unknown key name {keys[0]!r} in {combo!r}; allowed keys are "
            f"a-z, 0-9, {', '.join(_NAMED_KEYS + _FUNCTION_KEYS)} and {''.join(_PUNCTUATION_KEYS)}"
        )
    if len(set(mods)) != len(mods):
        raise ValueError(f"key: modifier repeated in {combo!r}")
    ordered = [m for m in MODIFIERS if m in mods]
    return "+".join((*ordered, keys[0]))


def to_pixel(value: float, size: int) -> int:
    """Map a normalised coordinate to a pixel index in ``[0, size - 1]``."""
    return min(int(value * size), size - 1)


def from_pixel(pixel: float, size: int) -> float:
    """Map a pixel index to the normalised coordinate of that pixel's centre."""
    if not 0 <= pixel < size:
        raise ValueError(f"pixel {pixel} outside [0, {size})")
    return (pixel + 0.5) / size


def _check_unit(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name}: expected a float in [0, 1], got {value!r}")
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1], got {value!r}")
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class Action:
    """One thing an actor does to the screen.

    Fields each type uses (all others must be ``None``):

    ============== =================================================
    CLICK, DOUBLE_CLICK, RIGHT_CLICK   ``x``, ``y``
    SCROLL         ``x``, ``y`` (where the pointer is), ``scroll`` (signed ticks, non-zero)
    DRAG           ``x``, ``y`` (press), ``x2``, ``y2`` (release)
    TYPE           ``text`` (1 to ``MAX_TEXT_LENGTH`` characters of ``TEXT_CHARSET``)
    KEY            ``key`` (a combination, normalised to canonical spelling)
    WAIT, DONE     nothing
    ============== =================================================
    """

    type: ActionType
    x: float | None = None
    y: float | None = None
    x2: float | None = None
    y2: float | None = None
    text: str | None = None
    key: str | None = None
    scroll: int | None = None

    def __post_init__(self) -> None:
        try:
            kind = ActionType(self.type)
        except ValueError:
            allowed = ", ".join(f"{t.name}={t.value}" for t in ActionType)
            raise ValueError(f"type: expected one of {allowed}, got {self.type!r}") from None
        object.__setattr__(self, "type", kind)
        needed = _FIELDS[kind]
        for name in _OPTIONAL:
            value = getattr(self, name)
            if name in needed and value is None:
                raise ValueError(f"{name}: required for {kind.name} (it uses {sorted(needed)})")
            if name not in needed and value is not None:
                raise ValueError(
                    f"{name}: not used by {kind.name}, must be None "
                    f"(it uses {sorted(needed) or 'no fields'}), got {value!r}"
                )
        for name in ("x", "y", "x2", "y2"):
            if name in needed:
                object.__setattr__(self, name, _check_unit(name, getattr(self, name)))
        if kind is ActionType.TYPE:
            self._check_text()
        if kind is ActionType.KEY:
            object.__setattr__(self, "key", canonical_key(self.key))  # type: ignore[arg-type]
        if kind is ActionType.SCROLL:
            s = self.scroll
            if isinstance(s, bool) or not isinstance(s, int | np.integer):
                raise ValueError(f"scroll: expected a non-zero int, got {s!r}")
            if not (0 < abs(int(s)) <= MAX_SCROLL):
                raise ValueError(f"scroll: expected a non-zero int in [-{MAX_SCROLL}, {MAX_SCROLL}], got {s}")
            object.__setattr__(self, "scroll", int(s))

    def _check_text(self) -> None:
        text = self.text
        if not isinstance(text, str) or not text:
            raise ValueError(f"text: TYPE needs a non-empty string, got {text!r}")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"text: at most {MAX_TEXT_LENGTH} characters, got {len(text)}")
        bad = sorted({c for c in text if c not in _TEXT_CHARSET_SET})
        if bad:
            raise ValueError(
                f"text: characters {bad!r} are not typeable text; allowed are printable ASCII and "
                "U+00A0-U+017F (use a KEY action for enter, tab and other keys)"
            )

    # ----------------------------------------------------------------- constructors
    @classmethod
    def click(cls, x: float, y: float) -> Action:
        """A left click at ``(x, y)``."""
        return cls(ActionType.CLICK, x=x, y=y)

    @classmethod
    def double_click(cls, x: float, y: float) -> Action:
        """A left double-click at ``(x, y)``."""
        return cls(ActionType.DOUBLE_CLICK, x=x, y=y)

    @classmethod
    def right_click(cls, x: float, y: float) -> Action:
        """A right click at ``(x, y)``."""
        return cls(ActionType.RIGHT_CLICK, x=x, y=y)

    @classmethod
    def type_text(cls, text: str) -> Action:
        """Type ``text`` into whatever has keyboard focus."""
        return cls(ActionType.TYPE, text=text)

    @classmethod
    def press(cls, key: str) -> Action:
        """Press one key combination, e.g. ``Action.press("ctrl+a")``."""
        return cls(ActionType.KEY, key=key)

    @classmethod
    def scroll_at(cls, x: float, y: float, ticks: int) -> Action:
        """Scroll ``ticks`` wheel ticks (positive = down) with the pointer at ``(x, y)``."""
        return cls(ActionType.SCROLL, x=x, y=y, scroll=ticks)

    @classmethod
    def drag(cls, x: float, y: float, x2: float, y2: float) -> Action:
        """Press at ``(x, y)``, move to ``(x2, y2)`` and release."""
        return cls(ActionType.DRAG, x=x, y=y, x2=x2, y2=y2)

    @classmethod
    def wait(cls) -> Action:
        """Do nothing for one step (let the screen change)."""
        return cls(ActionType.WAIT)

    @classmethod
    def done(cls) -> Action:
        """Declare the task finished."""
        return cls(ActionType.DONE)

    # ----------------------------------------------------------------- conversions
    @property
    def point(self) -> tuple[float, float] | None:
        """``(x, y)`` for types that act at a point, else ``None``."""
        return None if self.x is None or self.y is None else (self.x, self.y)

    @property
    def end(self) -> tuple[float, float] | None:
        """``(x2, y2)`` for DRAG, else ``None``."""
        return None if self.x2 is None or self.y2 is None else (self.x2, self.y2)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"type": "CLICK", "x": ..., ...}`` with only the used fields."""
        out: dict[str, Any] = {"type": self.type.name}
        for name in sorted(_FIELDS[self.type], key=_OPTIONAL.index):
            out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """Inverse of ``to_dict``; raises ``ValueError`` naming the bad field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"action: expected a JSON object, got {type(data).__name__}")
        unknown = set(data) - {"type", *_OPTIONAL}
        if unknown:
            raise ValueError(
                f"action: unknown fields {sorted(unknown)}; allowed are type, {', '.join(_OPTIONAL)}"
            )
        name = data.get("type")
        if not isinstance(name, str) or name not in ActionType.__members__:
            raise ValueError(f"type: expected one of {', '.join(ActionType.__members__)}, got {name!r}")
        return cls(ActionType[name], **{k: data[k] for k in _OPTIONAL if k in data})

    def to_space_sample(self) -> dict[str, Any]:
        """This action as a sample of ``envs.spaces.action_space()`` (unused fields zeroed)."""
        point = np.array(self.point or (0.0, 0.0), dtype=np.float64)
        end = np.array(self.end or (0.0, 0.0), dtype=np.float64)
        scroll = self.scroll or 1
        return {
            "type": int(self.type),
            "point": point,
            "end": end,
            "text": self.text or " ",
            "key": _KEY_COMBO_INDEX[self.key] if self.key else 0,
            # The space has no zero: index i < MAX_SCROLL is i - MAX_SCROLL, else i - MAX_SCROLL + 1.
            "scroll": scroll + MAX_SCROLL if scroll < 0 else scroll + MAX_SCROLL - 1,
        }

    @classmethod
    def from_space_sample(cls, sample: Mapping[str, Any]) -> Action:
        """Inverse of ``to_space_sample``; every sample of the space decodes to a valid action."""
        kind = ActionType(int(sample["type"]))
        needed = _FIELDS[kind]
        fields: dict[str, Any] = {}
        if "x" in needed:
            fields["x"], fields["y"] = (float(v) for v in np.asarray(sample["point"]).reshape(2))
        if "x2" in needed:
            fields["x2"], fields["y2"] = (float(v) for v in np.asarray(sample["end"]).reshape(2))
        if "text" in needed:
            fields["text"] = str(sample["text"])
        if "key" in needed:
            fields["key"] = KEY_COMBOS[int(sample["key"])]
        if "scroll" in needed:
            i = int(sample["scroll"])
            fields["scroll"] = i - MAX_SCROLL if i < MAX_SCROLL else i - MAX_SCROLL + 1
        return cls(kind, **fields)

    def __str__(self) -> str:
        parts = [
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v!r}"
            for k, v in self.to_dict().items()
            if k != "type"
        ]
        return f"{self.type.name}({', '.join(parts)})"
