"""``SyntheticEnv``: one Gymnasium env class serving every task family of the synthetic suite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from deskpilot.envs.actions import Action
from deskpilot.envs.desktop.env import resize
from deskpilot.envs.info import ELEMENTS, STEP
from deskpilot.envs.spaces import DEFAULT_OBS_SIZE, action_space, as_action, observation_space
from deskpilot.envs.synthetic import tasks_click, tasks_form  # noqa: F401  (registers the families)
from deskpilot.envs.synthetic.expert import ExpertActor
from deskpilot.envs.synthetic.paint import TYPEFACES, random_theme, typeface
from deskpilot.envs.synthetic.scene import Scene
from deskpilot.envs.synthetic.tasks import FAMILIES, Retry, Task, labels, pick

__all__ = ["SyntheticEnv", "check_task_options"]


def check_task_options(task_options: Mapping[str, Mapping[str, float]]) -> None:
    """A ``ValueError`` naming the family or the option when ``task_options`` holds one unknown."""
    for name, options in task_options.items():
        if name not in FAMILIES:
            raise ValueError(
                f"task_options: unknown task family {name!r}; known: {', '.join(sorted(FAMILIES))}"
            )
        FAMILIES[name].check_options(options)


class SyntheticEnv(gym.Env[dict[str, Any], dict[str, Any]]):
    """A small desktop-like window drawn with Pillow, with one task to do in it.

    ## Description
    Each episode draws a window with real-looking widgets (buttons, checkboxes, text fields with a
    caret, lists, dropdowns, menus, tabs, links, sliders, dialogs, cards to drag) and a mouse
    pointer, laid out, labelled and coloured at random, plus an instruction such as
    ``"Type 'kiwi' into the Name field and press Enter."``. Widgets respond to actions as on a real
    screen: clicks hit-test the drawn geometry, text goes to the focused field, keys act.

    ## Action Space
    ``envs.spaces.action_space()``; ``step`` takes an ``envs.Action`` or a sample of that space.
    Anything else raises ``ValueError``. A well-formed action that hits nothing changes nothing.

    ## Observation Space
    ``envs.spaces.observation_space(h, w)``: ``{"screenshot": uint8 (h, w, 3), "task": str}``.

    ## Rewards
    1.0 on the step that ends the episode successfully, 0.0 otherwise.

    ## Starting State
    A fresh random layout, theme, label set and goal from ``self.np_random``; the pointer at a
    random position. Time advances one unit per step (``WAIT`` only lets time pass).

    ## Episode End
    Terminated on success, on failure (e.g. the wrong button clicked, a form submitted with
    wrong content) and on ``DONE`` (successful exactly when the goal already holds). Truncated after
    the family's step limit. ``info["success"]`` is set when the episode ends.

    ## Info
    ``elements`` (normalised ``box`` with exclusive ends, ``label``, ``role``, in paint order: first
    every visible word on screen, one per whitespace-separated word with role ``"text"`` and its ink
    box, then the visible interactive parts), ``task_family``, ``goal`` and ``state`` (privileged:
    for scripted experts and labelling only, never shown to a policy), ``step``.

    ## Arguments
    * ``task``: family name, e.g. ``"click-button"`` (see ``envs.synthetic.FAMILIES``).
    * ``obs_size``: ``(height, width)`` of the screenshot, default ``(210, 160)``.
    * ``render_mode``: ``None`` or ``"rgb_array"`` (returns the screenshot).
    * ``max_steps``: override the family's step limit.
    * ``typefaces``: the typefaces an episode's text is drawn in, one drawn per episode (names of
      ``envs.synthetic.paint.TYPEFACES``; "" is Pillow's built-in font, the default and only one).
    * ``render_scales``: the screen is drawn at one of these multiples of ``obs_size`` per episode and
      reduced to ``obs_size`` with a bilinear filter, as a big screen reaches the model on the
      desktop (default ``(1,)``: drawn at the observation's size).
    * ``task_options``: per family name, values for that family's ``Task.option_names``, e.g.
      ``{"click-checkboxes": {"start_ticked": 0.8}}``; entries for other families are checked and
      otherwise ignored, so one mapping can go to every env of the suite. For training only: a
      held-out evaluation draws each family's own distribution.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        task: str,
        obs_size: tuple[int, int] = DEFAULT_OBS_SIZE,
        render_mode: str | None = None,
        max_steps: int | None = None,
        typefaces: tuple[str, ...] = ("",),
        render_scales: tuple[int, ...] = (1,),
        task_options: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        if task not in FAMILIES:
            raise ValueError(f"task: unknown task family {task!r}; known: {', '.join(sorted(FAMILIES))}")
        if len(obs_size) != 2 or not all(isinstance(v, int) and v >= 64 for v in obs_size):
            raise ValueError(f"obs_size: expected (height, width) ints >= 64, got {obs_size!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}")
        unknown = [f for f in typefaces if f and f not in TYPEFACES]
        if not typefaces or unknown:
            raise ValueError(f"typefaces: expected names among {sorted(TYPEFACES)} or '', got {typefaces!r}")
        self.typefaces, self._face = tuple(typefaces), typefaces[0]
        if not render_scales or any(not isinstance(k, int) or k < 1 for k in render_scales):
            raise ValueError(f"render_scales: expected ints >= 1, got {render_scales!r}")
        self.render_scales, self._scale = tuple(render_scales), render_scales[0]
        self.family: type[Task] = FAMILIES[task]
        check_task_options(task_options or {})
        self.family_options = dict((task_options or {}).get(task, {}))  # this family's own entry
        self.height, self.width = int(obs_size[0]), int(obs_size[1])
        self.render_mode = render_mode
        self.max_steps = max_steps or self.family.max_steps
        if self.max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1, got {max_steps}")
        self.observation_space = observation_space(self.height, self.width)
        self.action_space = action_space()
        self._task: Task | None = None
        self._steps = 0
        self._ended = False
        self._frame = np.zeros((self.height, self.width, 3), np.uint8)

    def _build(self) -> Task:
        rng = self.np_random
        height, width = self.height * self._scale, self.width * self._scale
        scale = min(width / DEFAULT_OBS_SIZE[1], height / DEFAULT_OBS_SIZE[0])
        for _ in range(50):
            theme = random_theme(rng, scale)
            title = labels(rng, 1)[0].capitalize() + pick(rng, (" - Editor", " - Files", "", " Settings"))
            scene = Scene(width, height, theme, title, margin=int(rng.integers(0, 5)))
            scene.cursor = (int(rng.integers(width)), int(rng.integers(height)))
            try:
                task = self.family(scene, rng, self.family_options)
            except Retry:
                continue
            x0, y0, x1, y1 = scene.content
            if all(
                x0 <= w.box[0] and y0 <= w.box[1] and w.box[2] <= x1 and w.box[3] <= y1 for w in scene.widgets
            ):
                return task  # else part of the layout fell outside the window: draw again
        raise RuntimeError(f"{self.family.name}: no layout fits {width}x{height} in 50 draws")

    def _obs(self) -> dict[str, Any]:
        assert self._task is not None
        frame = self._task.scene.render()
        if self._scale > 1:  # a screen bigger than the model's input, reduced as the desktop env does
            frame = resize(frame, (self.height, self.width))
        self._frame = frame
        return {"screenshot": self._frame, "task": self._task.instruction}

    def _info(self) -> dict[str, Any]:
        assert self._task is not None
        scene = self._task.scene
        return {
            "task_family": self.family.name,
            ELEMENTS: scene.words() + scene.elements(),
            "goal": dict(self._task.goal),
            "state": scene.state(),
            STEP: self._steps,
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start a new episode (see Starting State)."""
        super().reset(seed=seed)
        # Several faces or scales draw one each; one alone draws nothing, so its episodes stay as they were.
        if len(self.typefaces) > 1:
            self._face = self.typefaces[int(self.np_random.integers(len(self.typefaces)))]
        if len(self.render_scales) > 1:
            self._scale = self.render_scales[int(self.np_random.integers(len(self.render_scales)))]
        with typeface(self._face):
            self._task = self._build()
            self._steps = 0
            self._ended = False
            return self._obs(), self._info()

    def step(
        self, action: Action | dict[str, Any]
    ) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        """Apply one action (see Action Space and Episode End)."""
        act = as_action(action)
        if self._task is None or self._ended:
            raise RuntimeError("step() called before reset() or after the episode ended; call reset()")
        scene = self._task.scene
        with typeface(self._face):  # text typed or revealed now is measured and drawn as before
            events = scene.dispatch(act)
            outcome = self._task.verdict(events, act)
            scene.tick()
            self._steps += 1
            terminated = outcome is not None
            truncated = not terminated and self._steps >= self.max_steps
            obs, info = self._obs(), self._info()
        if terminated or truncated:
            self._ended = True
            info["success"] = bool(outcome)
        return obs, 1.0 if outcome else 0.0, terminated, truncated, info

    def make_expert(self) -> ExpertActor:
        """The scripted expert for this env (it reads ``info``, never the observation's pixels)."""
        return ExpertActor()

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """The last screenshot when ``render_mode == "rgb_array"``."""
        return self._frame.copy() if self.render_mode == "rgb_array" else None
