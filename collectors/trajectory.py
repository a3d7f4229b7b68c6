"""Trajectory format version 2: one episode per folder, append-only while written, atomic to finish.

Layout of an episode (see ``docs/trajectory-format.md`` for the full schema)::

    <root>/<episode_id>/            finished episode (renamed from ``<episode_id>.partial`` at the end)
        meta.json                   task, source, env id, seed, geometry, created, version, outcome
        steps.jsonl                 one JSON object per step (action, reward, terminated, truncated),
                                    appended and fsynced as the step ends
        step_000000.png             the screenshot the actor saw before step 0 (lossless)

A writer killed at any instant leaves ``<episode_id>.partial/`` whose every line in ``steps.jsonl``
is complete and whose images exist (each image is written and renamed into place before its line is
appended). ``read_trajectory(..., allow_partial=True)`` reads such a folder back. Version 1
folders (no per-step reward or end flags) still read, with the defaults that
``schema.fill_v1_step_fields`` documents.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deskpilot.collectors.schema import (  # the key names, spelled once
    FORMAT_VERSION,
    K_ACTION,
    K_ANNOTATIONS,
    K_CREATED,
    K_ENV_ID,
    K_ERROR,
    K_EXTRA,
    K_IMAGE,
    K_INDEX,
    K_NUM_STEPS,
    K_OBS_SIZE,
    K_OUTCOME,
    K_REWARD,
    K_SCREEN,
    K_SEED,
    K_SOURCE,
    K_SUCCESS,
    K_TASK,
    K_TERMINATED,
    K_TIME,
    K_TRUNCATED,
    K_VERSION,
    META_FILE,
    PARTIAL_SUFFIX,
    READABLE_VERSIONS,
    SOURCES,
    STEPS_FILE,
    EpisodeMeta,
    Step,
    Trajectory,
    TrajectoryError,
    check_screenshot,
    check_step_end,
    fill_v1_step_fields,
    image_name,
)
from deskpilot.envs.actions import Action

__all__ = [
    "FORMAT_VERSION",
    "META_FILE",
    "PARTIAL_SUFFIX",
    "READABLE_VERSIONS",
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


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")


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
        self._ended = False  # a step said terminated or truncated: no step may follow it
        self._closed = False
        if self.dir.exists():  # a previous writer died here; start the episode afresh
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        _write_atomic(self.dir / META_FILE, _dumps({**meta.to_json(), K_OUTCOME: None}))
        self._steps = open(self.dir / STEPS_FILE, "ab")  # noqa: SIM115 - closed in finish

    def add_step(
        self,
        screenshot: np.ndarray,
        action: Action,
        annotations: Mapping[str, Any] | None = None,
        time: float = 0.0,
        *,
        reward: float = 0.0,
        terminated: bool = False,
        truncated: bool = False,
    ) -> None:
        """Validate and append one step: image first, then its line (so every line has its image).

        Args:
            screenshot: uint8 (H, W, 3) of ``meta.obs_size``, the screen before the action.
            action: the action recorded for this step.
            annotations: renderer knowledge (``{"elements": [...]}``), if any.
            time: seconds since the episode started.
            reward: what ``env.step`` returned for the action.
            terminated: ``env.step`` ended the episode (success or failure).
            truncated: ``env.step`` cut the episode short (step limit).
        """
        if self._closed:
            raise RuntimeError(f"{self.dir}: writer already finished")
        image = check_screenshot(screenshot, self.meta.obs_size)
        if not isinstance(action, Action):
            raise ValueError(f"action: expected an envs.Action, got {action!r}")
        reward, terminated, truncated = check_step_end(reward, terminated, truncated)
        if self._ended:
            raise ValueError(f"{self.dir}: step {self.num_steps} follows a step that ended the episode")
        name = image_name(self.num_steps)
        tmp = self.dir / (name + ".tmp")
        Image.fromarray(image).save(tmp, format="PNG", compress_level=1)
        os.replace(tmp, self.dir / name)
        record = {
            K_INDEX: self.num_steps,
            K_IMAGE: name,
            K_ACTION: action.to_dict(),
            K_ANNOTATIONS: dict(annotations or {}),
            K_TIME: float(time),
            K_REWARD: reward,
            K_TERMINATED: terminated,
            K_TRUNCATED: truncated,
        }
        self._steps.write(_line(record))
        self._steps.flush()
        if self._fsync:
            os.fsync(self._steps.fileno())
        self.num_steps += 1
        self._ended = terminated or truncated

    def end_last_step(self, *, reward: float, terminated: bool, truncated: bool) -> None:
        """Set how the episode ended on the step already written last.

        For writers that learn the ending only after the last step is on disk (the human recorder
        hears "stop" and whether it went well later). ``steps.jsonl`` is rewritten to a temporary
        file and renamed over the old one, so a crash leaves one of the two, each whole.
        """
        if self._closed:
            raise RuntimeError(f"{self.dir}: writer already finished")
        if self.num_steps == 0:
            raise ValueError(f"{self.dir}: no step written, so none can end the episode")
        keys = (K_REWARD, K_TERMINATED, K_TRUNCATED)
        end = dict(zip(keys, check_step_end(reward, terminated, truncated), strict=True))
        self._steps.close()
        file = self.dir / STEPS_FILE
        *head, last = file.read_bytes().splitlines(keepends=True)
        _write_atomic(file, b"".join(head) + _line({**json.loads(last), **end}))
        self._steps = open(file, "ab")  # noqa: SIM115 - closed in finish
        self._ended = bool(end[K_TERMINATED] or end[K_TRUNCATED])

    def finish(self, success: bool, reward: float, *, error: str | None = None) -> Path:
        """Record the outcome and atomically rename the folder to its final name.

        ``error`` names the exception that stopped the episode early, if one did.
        """
        if self._closed:
            raise RuntimeError(f"{self.dir}: writer already finished")
        self._steps.close()
        outcome = {K_SUCCESS: bool(success), K_REWARD: float(reward), K_NUM_STEPS: self.num_steps}
        cause = {K_ERROR: str(error)} if error is not None else {}
        _write_atomic(self.dir / META_FILE, _dumps({**self.meta.to_json(), K_OUTCOME: {**outcome, **cause}}))
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


def _load_meta(path: Path) -> tuple[EpisodeMeta, dict[str, Any] | None, int]:
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
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise TrajectoryError(
            file, f"format_version {version!r} is not supported (expected one of {READABLE_VERSIONS})"
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
        or not isinstance(outcome.get(K_ERROR, ""), str)
    ):
        raise TrajectoryError(
            file,
            f"outcome: expected {{success: bool, reward: number, num_steps: int[, error: str]}}, got {outcome!r}",
        )
    return meta, outcome, version


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


def _parse_step(file: Path, lineno: int, line: bytes, expected_index: int, version: int) -> dict[str, Any]:
    where = f"{file.name} line {lineno}"
    try:
        rec = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrajectoryError(file, f"{where}: not valid JSON ({e})") from None
    if not isinstance(rec, dict):
        raise TrajectoryError(file, f"{where}: expected a JSON object")
    if rec.get(K_INDEX) != expected_index:
        raise TrajectoryError(file, f"{where}: index {rec.get(K_INDEX)!r}, expected {expected_index}")
    if rec.get(K_IMAGE) != image_name(expected_index):
        raise TrajectoryError(
            file, f"{where}: image {rec.get(K_IMAGE)!r}, expected {image_name(expected_index)}"
        )
    try:
        rec[K_ACTION] = Action.from_dict(rec.get(K_ACTION))  # type: ignore[arg-type]
    except (ValueError, TypeError) as e:
        raise TrajectoryError(file, f"{where}: bad action ({e})") from None
    if not isinstance(rec.get(K_ANNOTATIONS, {}), dict):
        raise TrajectoryError(file, f"{where}: annotations must be a JSON object")
    if not isinstance(rec.get(K_TIME, 0.0), int | float):
        raise TrajectoryError(file, f"{where}: time must be a number")
    if version >= 2:
        try:
            rec[K_REWARD], rec[K_TERMINATED], rec[K_TRUNCATED] = check_step_end(
                rec.get(K_REWARD), rec.get(K_TERMINATED), rec.get(K_TRUNCATED)
            )
        except ValueError as e:
            raise TrajectoryError(file, f"{where}: {e}") from None
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
    meta, outcome, version = _load_meta(path)
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
        rec = _parse_step(file, i + 1, line, i, version)
        if steps and (steps[-1].terminated or steps[-1].truncated):
            raise TrajectoryError(
                file, f"{file.name} line {i + 1}: a step follows the one that ended the episode"
            )
        image = (
            _load_image(path / rec[K_IMAGE], meta.obs_size) if load_images else np.zeros((0, 0, 3), np.uint8)
        )
        # Version 1 lines carry none of these; fill_v1_step_fields sets them below.
        ends = (rec[K_REWARD], rec[K_TERMINATED], rec[K_TRUNCATED]) if version >= 2 else (0.0, False, False)
        steps.append(
            Step(image, rec[K_ACTION], rec.get(K_ANNOTATIONS, {}), float(rec.get(K_TIME, 0.0)), *ends)
        )
    if outcome is not None and outcome[K_NUM_STEPS] != len(steps):
        raise TrajectoryError(file, f"{len(steps)} steps, but meta.json says {outcome[K_NUM_STEPS]}")
    if version == 1:
        fill_v1_step_fields(steps, outcome)
    success = None if outcome is None else outcome[K_SUCCESS]
    reward = None if outcome is None else float(outcome[K_REWARD])
    error = None if outcome is None else outcome.get(K_ERROR)
    return Trajectory(meta, steps, success, reward, version, error)


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
