"""The trajectory format's vocabulary: versions, key names, the in-memory records and their checks.

The writing (the folder layout, crash safety) lives in ``collectors.trajectory``, which re-exports
the public names here, and the reading in ``collectors.reading``; ``docs/trajectory-format.md`` is
the schema for humans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np

from deskpilot.envs.actions import Action

__all__ = [
    "FORMAT_VERSION",
    "META_FILE",
    "PARTIAL_SUFFIX",
    "READABLE_VERSIONS",
    "SOURCES",
    "STEPS_FILE",
    "EpisodeMeta",
    "Step",
    "Trajectory",
    "TrajectoryError",
    "check_dataset_folder",
    "check_screenshot",
    "check_step_end",
    "fill_v1_step_fields",
    "image_name",
    "scored_failed",
]

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1 lacks the per-step reward, terminated and truncated
META_FILE = "meta.json"
STEPS_FILE = "steps.jsonl"
PARTIAL_SUFFIX = ".partial"
SOURCES = ("expert", "human", "policy")

# Key names of the on-disk schema, in one place.
K_VERSION, K_TASK, K_SOURCE, K_ENV_ID, K_SEED = "format_version", "task", "source", "env_id", "seed"
K_SCREEN, K_OBS_SIZE, K_CREATED, K_EXTRA, K_OUTCOME = "screen", "obs_size", "created", "extra", "outcome"
K_SUCCESS, K_REWARD, K_NUM_STEPS = "success", "reward", "num_steps"
K_INDEX, K_IMAGE, K_ACTION, K_ANNOTATIONS, K_TIME = "index", "image", "action", "annotations", "time"
K_TERMINATED, K_TRUNCATED = "terminated", "truncated"  # per step, next to K_REWARD (version 2)
K_ERROR = "error"  # in the outcome, only when an exception stopped the episode: "ValueError: ..."
# In ``extra``: what the human recorder says about its outcome, and the mark of teacher-labelled steps.
K_STOPPED_BY, K_SUCCESS_UNKNOWN = "stopped_by", "success_unknown"  # "stop_key" or "signal"; true
K_TEACHER_LABELS = "teacher_labels"  # true: each step's action is a teacher's label (DAgger)
K_SLIP = "slip"  # in a step's annotations, true: a deliberate miss (collectors.slips), history and no target
ERROR_CHARS = 1000  # an outcome's error message is cut to this length (meta.json stays readable)


class TrajectoryError(Exception):
    """A trajectory on disk is truncated, corrupt or of another version; the message names the file."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class EpisodeMeta:
    """What is known about an episode before its first step."""

    task: str  # natural-language task the actor was given
    source: str  # who acted: "expert", "human" or "policy"
    obs_size: tuple[int, int]  # (height, width) of every screenshot in the episode
    env_id: str | None = None  # registered env id, None for a free-form live recording
    seed: int | None = None  # reset seed of the env, None when not seeded
    screen: dict[str, int] | None = None  # live geometry {"left", "top", "width", "height"} in pixels
    created: str = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # free JSON metadata

    def __post_init__(self) -> None:
        if not isinstance(self.task, str):
            raise ValueError(f"task: expected a string, got {self.task!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source: expected one of {SOURCES}, got {self.source!r}")
        size = tuple(self.obs_size)
        if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
            raise ValueError(f"obs_size: expected (height, width) positive ints, got {self.obs_size!r}")
        object.__setattr__(self, "obs_size", size)
        if self.seed is not None and not isinstance(self.seed, int):
            raise ValueError(f"seed: expected an int or None, got {self.seed!r}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (``format_version`` included)."""
        return {
            K_VERSION: FORMAT_VERSION,
            K_TASK: self.task,
            K_SOURCE: self.source,
            K_OBS_SIZE: list(self.obs_size),
            K_ENV_ID: self.env_id,
            K_SEED: self.seed,
            K_SCREEN: self.screen,
            K_CREATED: self.created,
            K_EXTRA: self.extra,
        }


@dataclasses.dataclass
class Step:
    """One step: what the actor saw, what it did, what ``env.step`` returned, and renderer knowledge."""

    screenshot: np.ndarray  # uint8 (H, W, 3)
    action: Action
    annotations: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. {"elements": [...]}
    time: float = 0.0  # seconds since the episode started
    reward: float = 0.0  # what env.step returned for this step's action
    terminated: bool = False  # the action ended the episode (success or failure)
    truncated: bool = False  # the episode was cut short after this step (step limit, interruption)


@dataclasses.dataclass
class Trajectory:
    """A whole episode in memory."""

    meta: EpisodeMeta
    steps: list[Step]
    success: bool | None = None  # None while unfinished (a partial episode)
    reward: float | None = None
    format_version: int = FORMAT_VERSION  # the version read from disk (1: step fields are defaults)
    error: str | None = None  # the exception that stopped the episode early ("ValueError: ..."), if any

    @property
    def task(self) -> str:
        """The task text."""
        return self.meta.task

    @property
    def screenshots(self) -> list[np.ndarray]:
        """Per step, the screenshot the actor saw before acting."""
        return [s.screenshot for s in self.steps]

    @property
    def actions(self) -> list[Action]:
        """Per step, the action taken."""
        return [s.action for s in self.steps]


def check_dataset_folder(root: Path) -> None:
    """Raise a clear error unless ``root`` is a folder that can hold episode folders.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: ``root`` is a file, or one episode's folder rather than the dataset's.
    """
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such dataset folder")
    if not root.is_dir():
        raise ValueError(f"{root}: expected a dataset folder holding episode folders, got a file")
    if (root / META_FILE).exists():
        raise ValueError(f"{root}: this is one episode's folder; pass the dataset folder that holds it")


def image_name(index: int) -> str:
    """The file name of step ``index``'s screenshot inside its episode folder."""
    return f"step_{index:06d}.png"


def check_screenshot(image: Any, obs_size: tuple[int, int]) -> np.ndarray:
    """Return ``image`` if it is a uint8 (H, W, 3) array of ``obs_size``, else raise ``ValueError``."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != (*obs_size, 3):
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"screenshot: expected uint8 {(*obs_size, 3)}, got {got}")
    return image


def check_step_end(reward: Any, terminated: Any, truncated: Any) -> tuple[float, bool, bool]:
    """Validate what ``env.step`` returned about a step (numpy scalars allowed) as JSON-ready values."""
    if isinstance(reward, bool) or not isinstance(reward, int | float | np.integer | np.floating):
        raise ValueError(f"reward: expected a number, got {reward!r}")
    if not math.isfinite(reward):  # JSON has no NaN or infinity
        raise ValueError(f"reward: expected a finite number, got {reward!r}")
    for name, flag in ((K_TERMINATED, terminated), (K_TRUNCATED, truncated)):
        if not isinstance(flag, bool | np.bool_):
            raise ValueError(f"{name}: expected a bool, got {flag!r}")
    return float(reward), bool(terminated), bool(truncated)


def fill_v1_step_fields(steps: list[Step], outcome: dict[str, Any] | None) -> None:
    """Version 1 stored no per-step reward or end flags: give them the values a v2 writer would have.

    Every step gets reward 0, ``terminated`` and ``truncated`` False. In a finished episode the last
    step gets the episode's reward and ``terminated=True``: version 1 did not record whether a failed
    episode ran into its step limit, so it reads as terminated, never truncated. An unfinished
    (partial) episode keeps the plain defaults.
    """
    if outcome is not None and steps:
        last = steps[-1]
        last.reward, last.terminated = float(outcome[K_REWARD]), True


def scored_failed(trajectory: Trajectory) -> bool:
    """Whether a finished episode's outcome says its task failed, so training leaves it out by default.

    An env scored it, or the episode raised (``error``), and ``success`` is false. Two kinds stay in:
    a person's recording unless the person said it failed (not when the outcome is unknown or a
    signal cut the recording short), and teacher-labelled episodes (DAgger), where the env scored the
    policy that acted, not the labels recorded.
    """
    if trajectory.success is not False:
        return False  # succeeded, or unfinished
    extra = trajectory.meta.extra
    if extra.get(K_TEACHER_LABELS) is True:
        return False
    if trajectory.meta.source == "human":
        return extra.get(K_SUCCESS_UNKNOWN) is not True and extra.get(K_STOPPED_BY) != "signal"
    return True
