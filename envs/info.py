"""The ``info`` keys every env family publishes, spelled once.

Collectors, training and evaluation read these keys from ``env.step``/``env.reset`` infos; a family
may add keys of its own (the synthetic envs' ``goal`` and ``state``, MiniWoB's ``dom``), but these
mean the same everywhere. ``check_info`` is what a test runs against every family.

=============  ====================================================  ===========================
key            meaning                                               families
=============  ====================================================  ===========================
``step``       steps taken in this episode (0 after ``reset``)        all
``elements``   list of ``{"box": [x0, y0, x1, y1], "label", "role"}``  all (desktop: empty)
               in normalised screen units, paint order; a synthetic
               checkbox also carries ``checked``, a slider
               ``values`` (each value's column, normalised x,
               lowest value first)
``region``     ``(left, top, width, height)`` of the observed area     desktop, MiniWoB
               in the X screen's root pixels
``success``    the episode's goal is met (terminal steps)              all, where an env can tell
=============  ====================================================  ===========================

Per-step ``annotations["targets"]`` (boxes that are just as right to click as the recorded one)
are added by ``collectors.relabel`` and by a scripted expert's ``targets`` (``envs.spaces.Actor``),
not published by envs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ELEMENTS", "REGION", "STEP", "SUCCESS", "check_info"]

STEP = "step"
ELEMENTS = "elements"
REGION = "region"
SUCCESS = "success"


def check_info(info: dict[str, Any], *, has_region: bool) -> None:
    """Raise ``ValueError`` naming the first key of ``info`` that breaks the schema above."""
    if not isinstance(info.get(STEP), int) or info[STEP] < 0:
        raise ValueError(f"info[{STEP!r}]: expected a step count >= 0, got {info.get(STEP)!r}")
    elements = info.get(ELEMENTS)
    if not isinstance(elements, list):
        raise ValueError(f"info[{ELEMENTS!r}]: expected a list, got {type(elements).__name__}")
    for e in elements:
        box = e.get("box") if isinstance(e, dict) else None
        if not (isinstance(box, list | tuple) and len(box) == 4 and all(0.0 <= v <= 1.0 for v in box)):
            raise ValueError(f"info[{ELEMENTS!r}]: expected boxes of 4 normalised floats, got {e!r}")
        if not isinstance(e.get("label"), str) or not isinstance(e.get("role"), str):
            raise ValueError(f"info[{ELEMENTS!r}]: expected a str label and role, got {e!r}")
        values = e.get("values")
        if "values" in e and not (
            isinstance(values, list) and values and all(0.0 <= v <= 1.0 for v in values)
        ):
            raise ValueError(f"info[{ELEMENTS!r}]: expected 'values' as normalised columns, got {e!r}")
    region = info.get(REGION)
    if has_region and not (
        isinstance(region, tuple) and len(region) == 4 and all(isinstance(v, int) for v in region)
    ):
        raise ValueError(f"info[{REGION!r}]: expected (left, top, width, height) ints, got {region!r}")
    if SUCCESS in info and not isinstance(info[SUCCESS], bool):
        raise ValueError(f"info[{SUCCESS!r}]: expected a bool, got {info[SUCCESS]!r}")
