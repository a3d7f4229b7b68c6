"""Environments and the shared vocabulary (actions, spaces, observation layout).

Importing this package needs no display: the live desktop env imports its capture and input
libraries only when it is constructed.
"""

from deskpilot.envs.actions import KEY_COMBOS, KEY_NAMES, Action, ActionType, canonical_key
from deskpilot.envs.desktop import register as _register_desktop
from deskpilot.envs.spaces import (
    DEFAULT_OBS_SIZE,
    Actor,
    Observation,
    action_space,
    as_action,
    observation_space,
)
from deskpilot.envs.vector import make_vector

__all__ = [
    "DEFAULT_OBS_SIZE",
    "KEY_COMBOS",
    "KEY_NAMES",
    "Action",
    "ActionType",
    "Actor",
    "Observation",
    "action_space",
    "as_action",
    "canonical_key",
    "make_vector",
    "observation_space",
]

_register_desktop()  # deskpilot/desktop-v0

from deskpilot.envs.synthetic import register_all as _register_synthetic  # noqa: E402

_register_synthetic()  # deskpilot/mock-*-v0 and the mock suites

from deskpilot.envs.miniwob.registry import register_all as _register_miniwob  # noqa: E402

_register_miniwob()  # deskpilot/miniwob-<task>-v0 and the MiniWoB suites (selenium stays unimported)
