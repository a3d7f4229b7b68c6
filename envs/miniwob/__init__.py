"""MiniWoB++ tasks in a real Chromium, seen and driven only through the desktop (capture + OS input).

``import deskpilot.envs.miniwob`` is light: selenium and the browser load when an env first resets.
Ids: ``deskpilot/miniwob-<task>-v0`` for every task page of the ``miniwob`` wheel; suites in ``SUITES``.
"""

from deskpilot.envs.miniwob.registry import ENV_IDS, MINIWOB_10, SUITE_TASKS, SUITES, env_id, register_all

__all__ = ["ENV_IDS", "MINIWOB_10", "SUITES", "SUITE_TASKS", "env_id", "register_all"]
