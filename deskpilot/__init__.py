"""deskpilot: learn to use a computer from pixels.

The subpackages live at the repository's top level (``envs/``, ``collectors/``, ``policies/``,
``agent/``, ``scripts/``, in the order imports may flow) and install under this one name, so
nothing but ``deskpilot`` lands in site-packages. ``import deskpilot.envs`` registers the envs with
Gymnasium (``gymnasium.make("deskpilot/mock-login-v0")``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deskpilot")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
