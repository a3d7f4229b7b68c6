"""Named suites of env ids, and resolving a user's ``--env`` argument to env ids.

Env families register their ids with Gymnasium themselves (from a table, on ``import deskpilot.envs``) and
add their suites here with ``register_suite``.
"""

from __future__ import annotations

import difflib

import gymnasium as gym

__all__ = ["SUITES", "register_suite", "resolve_env_ids"]

SUITES: dict[str, tuple[str, ...]] = {}


def register_suite(name: str, env_ids: tuple[str, ...]) -> None:
    """Name a tuple of env ids (idempotent for the same ids)."""
    if "," in name:  # a comma separates names in ``resolve_env_ids``
        raise ValueError(f"suite name: expected no commas, got {name!r}")
    if name in SUITES and SUITES[name] != tuple(env_ids):
        raise ValueError(f"suite {name!r} is already registered with other env ids")
    SUITES[name] = tuple(env_ids)


def _resolve_one(name: str) -> list[str]:
    if name in SUITES:
        return list(SUITES[name])
    if name in gym.registry:
        return [name]
    ours = sorted(k for k in gym.registry if k.startswith("deskpilot/"))
    # The closest few rather than all ~150 ids: a list that long hides the one that was meant.
    close = [repr(c) for c in difflib.get_close_matches(name, [*SUITES, *ours], n=3)]
    hint = ""
    if close:
        alternatives = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
        hint = f"did you mean {alternatives}? "
    registered = f"{len(ours)} deskpilot env ids such as {ours[0]!r}" if ours else "no deskpilot env ids"
    raise ValueError(
        f"unknown env or suite {name!r}; {hint}suites: {', '.join(sorted(SUITES)) or 'none'}; "
        f"{registered} are registered"
    )


def resolve_env_ids(names: str) -> list[str]:
    """Env ids and suite names, comma-separated -> the env ids they stand for.

    ``"deskpilot/mock-login-v0,deskpilot/mock-easy"`` gives the login env and then the easy suite's
    envs; an id named twice (directly or through a suite) appears once, where it first appeared.

    Raises:
        ValueError: an empty name, or one that is neither a suite nor a registered env id.
    """
    parts = [part.strip() for part in names.split(",")]
    if not all(parts):
        raise ValueError(f"env: expected env ids or suite names separated by single commas, got {names!r}")
    # dict.fromkeys dedupes and keeps first-seen order.
    return list(dict.fromkeys(env_id for part in parts for env_id in _resolve_one(part)))
