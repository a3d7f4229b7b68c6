"""Named suites of env ids, and resolving a user's ``--env`` argument to env ids.

Env families register their ids with Gymnasium themselves (from a table, on ``import deskpilot.envs``) and
add their suites here with ``register_suite``.
"""

from __future__ import annotations

import gymnasium as gym

__all__ = ["SUITES", "register_suite", "resolve_env_ids"]

SUITES: dict[str, tuple[str, ...]] = {}


def register_suite(name: str, env_ids: tuple[str, ...]) -> None:
    """Name a tuple of env ids (idempotent for the same ids)."""
    if name in SUITES and SUITES[name] != tuple(env_ids):
        raise ValueError(f"suite {name!r} is already registered with other env ids")
    SUITES[name] = tuple(env_ids)


def resolve_env_ids(name: str) -> list[str]:
    """A suite name or a registered env id -> the env ids it stands for; ``ValueError`` otherwise."""
    if name in SUITES:
        return list(SUITES[name])
    if name in gym.registry:
        return [name]
    ours = sorted(k for k in gym.registry if k.startswith("deskpilot/"))
    raise ValueError(
        f"unknown env or suite {name!r}; suites: {', '.join(sorted(SUITES)) or 'none'}; "
        f"env ids: {', '.join(ours) or 'none registered'}"
    )
