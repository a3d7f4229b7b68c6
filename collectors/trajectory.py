"""Trajectory format version 1: one episode per folder, append-only while written, atomic to finish.

Layout of an episode (see ``docs/trajectory-format.md`` for the full schema)::

    <root>/<episode_id>/            finished episode (renamed from ``<episode_id>.partial`` at the end)
        meta.json                   task, source, env id, seed, geometry, created, version, outcome
        steps.jsonl                 one JSON object per step, appended and fsynced as the step ends
        step_000000.png             the screenshot the actor saw before step 0 (lossless)

A writer killed at any instant leaves ``<episode_id>.partial/`` whose every line in ``steps.jsonl``
is complete and whose images exist (each image is written and renamed into place before its line is
appended). ``read_trajectory(..., allow_partial=True)`` reads such a folder back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deskpilot.envs.actions import Action

__all__ = [
    "FORMAT_VERSION",
    "META_FILE",
    "PARTIAL_SUFFIX",
    "SOURCES",
    "STEPS_FILE",
    "DatasetReport",
    "EpisodeMeta",
    "Step",
    "Trajectory",
    "TrajectoryError",
    "TrajectoryWriter",
    "read_dataset",
    "read_trajectory",
]

FORMAT_VERSION = 1
META_FILE = "meta.json"
STEPS_FILE = "steps.jsonl"
PARTIAL_SUFFIX = ".partial"
SOURCES = ("expert", "human", "policy")

# Key names of the on-disk schema, in one place.
K_VERSION, K_TASK, K_SOURCE, K_ENV_ID, K_SEED = "format_version", "task", "source", "env_id", "seed"
K_SCREEN, K_OBS_SIZE, K_CREATED, K_EXTRA, K_OUTCOME = "screen", "obs_size", "created", "extra", "outcome"
K_SUCCESS, K_REWARD, K_NUM_STEPS = "success", "reward", "num_steps"
K_INDEX, K_IMAGE, K_ACTION, K_ANNOTATIONS, K_TIME = "index", "image", "action", "annotations", "time"


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
    """One step: what the actor saw before acting, what it did, and optional renderer knowledge."""

    screenshot: np.ndarray  # uint8 (H, W, 3)
    action: Action
    annotations: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. {"elements": [...]}
    time: float = 0.0  # seconds since the episode started


@dataclasses.dataclass
class Trajectory:
    """A whole episode in memory."""

    meta: EpisodeMeta
    steps: list[Step]
    success: bool | None = None  # None while unfinished (a partial episode)
    reward: float | None = None

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


def _check_screenshot(image: Any, obs_size: tuple[int, int]) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != (*obs_size, 3):
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"screenshot: expected uint8 {(*obs_size, 3)}, got {got}")
    return image


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class TrajectoryWriter:
    """Writes one episode, step by step; a crash loses at most the step being written.

    Use as a context manager: leaving the block with an exception keeps the ``.partial`` folder
    (every finished step stays readable); call ``finish`` to make the episode final, or
    ``discard`` to delete it.
    """

    def __init__(self, root: Path | str, episode_id: str, meta: EpisodeMeta, *, fsync: bool = True) -> None:
        if (
            not episode_id
            or "/" in episode_id
            or episode_id.startswith(".")
            or episode_id.endswith(PARTIAL_SUFFIX)
        ):
            raise ValueError(f"episode_id: expected a plain folder name, got {episode_id!r}")
        self.root = Path(root)
        self.meta = meta
        self.final_dir = self.root / episode_id
        self.dir = self.root / (episode_id + PARTIAL_SUFFIX)
        if self.final_dir.exists():
            raise FileExistsError(f"{self.final_dir}: episode already exists")
        self._fsync = fsync
        self.num_steps = 0
        self._closed = False
        if self.dir.exists():  # a previous writer died here; start the episode afresh
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        _write_atomic(self.dir / META_FILE, _dumps({**meta.to_json(), K_OUTCOME: None}))
        self._steps = open(self.dir / STEPS_FILE, "a", encoding="utf-8")  # noqa: SIM115 - closed in finish

    def add_step(
        self,
        screenshot: np.ndarray,
        action: Action,
        annotations: Mapping[str, Any] | None = None,
        time: float = 0.0,
    ) -> None:
        """Validate and append one step: image first, then its line (so every line has its image)."""
        if self._closed:
            raise RuntimeError(f"{self.dir}: writer already finished")
        image = _check_screenshot(screenshot, self.meta.obs_size)
        if not isinstance(action, Action):
            raise ValueError(f"action: expected an envs.Action, got {action!r}")
        name = f"step_{self.num_steps:06d}.png"
        tmp = self.dir / (name + ".tmp")
        Image.fromarray(image).save(tmp, format="PNG", compress_level=1)
        os.replace(tmp, self.dir / name)
        record = {
            K_INDEX: self.num_steps,
            K_IMAGE: name,
            K_ACTION: action.to_dict(),
            K_ANNOTATIONS: dict(annotations or {}),
            K_TIME: float(time),
        }
        self._steps.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._steps.flush()
        if self._fsync:
            os.fsync(self._steps.fileno())
        self.num_steps += 1

    def finish(self, success: bool, reward: float) -> Path:
        """Record the outcome and atomically rename the folder to its final name."""
        if self._closed:
            raise RuntimeError(f"{self.dir}: writer already finished")
        self._steps.close()
        outcome = {K_SUCCESS: bool(success), K_REWARD: float(reward), K_NUM_STEPS: self.num_steps}
        _write_atomic(self.dir / META_FILE, _dumps({**self.meta.to_json(), K_OUTCOME: outcome}))
        os.replace(self.dir, self.final_dir)
        if self._fsync:
            _fsync_dir(self.root)
        self._closed = True
        return self.final_dir

    def discard(self) -> None:
        """Delete everything written for this episode."""
        if not self._closed:
            self._steps.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            self._closed = True

    def close(self) -> None:
        """Stop writing, keeping the partial episode on disk."""
        if not self._closed:
            self._steps.close()
            self._closed = True

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dumps(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _load_meta(path: Path) -> tuple[EpisodeMeta, dict[str, Any] | None]:
    file = path / META_FILE
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrajectoryError(file, "missing meta.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrajectoryError(file, f"not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise TrajectoryError(file, "expected a JSON object")
    version = raw.get(K_VERSION)
    if version != FORMAT_VERSION:
        raise TrajectoryError(
            file, f"format_version {version!r} is not supported (expected {FORMAT_VERSION})"
        )
    try:
        size = raw[K_OBS_SIZE]
        meta = EpisodeMeta(
            task=raw[K_TASK],
            source=raw[K_SOURCE],
            obs_size=tuple(size) if isinstance(size, list) else size,
            env_id=raw.get(K_ENV_ID),
            seed=raw.get(K_SEED),
            screen=raw.get(K_SCREEN),
            created=raw.get(K_CREATED, ""),
            extra=raw.get(K_EXTRA) or {},
        )
    except KeyError as e:
        raise TrajectoryError(file, f"missing key {e}") from None
    except (ValueError, TypeError) as e:
        raise TrajectoryError(file, str(e)) from None
    if meta.env_id is not None and not isinstance(meta.env_id, str):
        raise TrajectoryError(file, f"env_id: expected a string or null, got {meta.env_id!r}")
    outcome = raw.get(K_OUTCOME)
    if outcome is not None and (
        not isinstance(outcome, dict)
        or not isinstance(outcome.get(K_SUCCESS), bool)
        or not isinstance(outcome.get(K_REWARD), int | float)
        or not isinstance(outcome.get(K_NUM_STEPS), int)
    ):
        raise TrajectoryError(
            file, f"outcome: expected {{success: bool, reward: number, num_steps: int}}, got {outcome!r}"
        )
    return meta, outcome


def _load_image(file: Path, obs_size: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(file) as im:
            if im.format != "PNG" or im.mode != "RGB":
                raise TrajectoryError(file, f"expected an RGB PNG, got {im.format} {im.mode}")
            image = np.asarray(im)
    except FileNotFoundError:
        raise TrajectoryError(file, "image missing") from None
    except TrajectoryError:
        raise
    except Exception as e:  # Pillow raises many types for corrupt files
        raise TrajectoryError(file, f"unreadable image ({type(e).__name__}: {e})") from None
    if image.shape != (*obs_size, 3):
        raise TrajectoryError(file, f"image shape {image.shape}, expected {(*obs_size, 3)} (meta obs_size)")
    return image


def _parse_step(file: Path, lineno: int, line: bytes, expected_index: int) -> dict[str, Any]:
    where = f"{file.name} line {lineno}"
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrajectoryError(file, f"{where}: not valid JSON ({e})") from None
    if not isinstance(rec, dict):
        raise TrajectoryError(file, f"{where}: expected a JSON object")
    if rec.get(K_INDEX) != expected_index:
        raise TrajectoryError(file, f"{where}: index {rec.get(K_INDEX)!r}, expected {expected_index}")
    if rec.get(K_IMAGE) != f"step_{expected_index:06d}.png":
        raise TrajectoryError(
            file, f"{where}: image {rec.get(K_IMAGE)!r}, expected step_{expected_index:06d}.png"
        )
    try:
        rec[K_ACTION] = Action.from_dict(rec.get(K_ACTION))  # type: ignore[arg-type]
    except (ValueError, TypeError) as e:
        raise TrajectoryError(file, f"{where}: bad action ({e})") from None
    if not isinstance(rec.get(K_ANNOTATIONS, {}), dict):
        raise TrajectoryError(file, f"{where}: annotations must be a JSON object")
    if not isinstance(rec.get(K_TIME, 0.0), int | float):
        raise TrajectoryError(file, f"{where}: time must be a number")
    return rec


def read_trajectory(path: Path | str, *, allow_partial: bool = False, load_images: bool = True) -> Trajectory:
    """Read and validate one episode folder; any problem raises ``TrajectoryError``.

    A ``.partial`` folder (an episode whose writer stopped before ``finish``) is read only with
    ``allow_partial=True``; its last line may be cut short and is then dropped. With
    ``load_images=False`` screenshots are zero-size placeholders (fast metadata scans).
    """
    path = Path(path)
    if not path.is_dir():
        raise TrajectoryError(path, "not an episode folder")
    partial = path.name.endswith(PARTIAL_SUFFIX)
    meta, outcome = _load_meta(path)
    if (partial or outcome is None) and not allow_partial:
        raise TrajectoryError(path, "episode is unfinished (partial); pass allow_partial=True to read it")
    file = path / STEPS_FILE
    try:
        lines = file.read_bytes().split(b"\n")
    except FileNotFoundError:
        raise TrajectoryError(file, "missing steps.jsonl") from None
    except OSError as e:
        raise TrajectoryError(file, f"unreadable ({e})") from None
    if lines[-1] == b"":
        lines.pop()
    elif outcome is None:
        lines.pop()  # a writer killed mid-line: that step was never finished
    else:
        raise TrajectoryError(file, "last line is cut short in a finished episode")
    steps: list[Step] = []
    for i, line in enumerate(lines):
        rec = _parse_step(file, i + 1, line, i)
        image = (
            _load_image(path / rec[K_IMAGE], meta.obs_size) if load_images else np.zeros((0, 0, 3), np.uint8)
        )
        steps.append(Step(image, rec[K_ACTION], rec.get(K_ANNOTATIONS, {}), float(rec.get(K_TIME, 0.0))))
    if outcome is not None and outcome[K_NUM_STEPS] != len(steps):
        raise TrajectoryError(file, f"{len(steps)} steps, but meta.json says {outcome[K_NUM_STEPS]}")
    success = None if outcome is None else outcome[K_SUCCESS]
    reward = None if outcome is None else float(outcome[K_REWARD])
    return Trajectory(meta, steps, success, reward)


@dataclasses.dataclass
class DatasetReport:
    """What ``read_dataset`` found: good episodes, bad ones with their errors, unfinished ones."""

    trajectories: list[Trajectory]
    errors: list[TrajectoryError]
    partial: list[Path]

    def summary(self) -> str:
        """One line for humans."""
        return (
            f"{len(self.trajectories)} episodes read, {len(self.errors)} bad, {len(self.partial)} unfinished"
        )


def episode_dirs(root: Path | str) -> Iterator[Path]:
    """Finished episode folders under ``root`` (one level), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise TrajectoryError(root, "dataset folder does not exist")
    for p in sorted(root.iterdir()):
        if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX) and (p / META_FILE).exists():
            yield p


def read_dataset(root: Path | str, *, strict: bool = False, load_images: bool = True) -> DatasetReport:
    """Read every finished episode under ``root``; bad ones are skipped and reported (or raise if strict)."""
    root = Path(root)
    trajectories: list[Trajectory] = []
    errors: list[TrajectoryError] = []
    for p in episode_dirs(root):
        try:
            trajectories.append(read_trajectory(p, load_images=load_images))
        except TrajectoryError as e:
            if strict:
                raise
            errors.append(e)
    partial = sorted(p for p in root.iterdir() if p.is_dir() and p.name.endswith(PARTIAL_SUFFIX))
    return DatasetReport(trajectories, errors, partial)
