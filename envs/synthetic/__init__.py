"""The synthetic GUI suite: Pillow-drawn desktop windows with tasks, a scripted expert, registration.

``import deskpilot.envs`` registers every ``deskpilot/mock-*-v0`` id; ``SUITES`` names groups of them.
"""

from deskpilot.envs.synthetic.registry import ENV_IDS, SUITES, register_all

__all__ = ["ENV_IDS", "SUITES", "register_all"]
