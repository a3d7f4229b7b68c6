"""Reading episode folders back: ``read_trajectory`` for one, ``read_dataset`` for a dataset folder.

Every check a reader makes lives here; any problem raises ``TrajectoryError`` naming the file and
what is wrong. The layout and its writer (``TrajectoryWriter``) are in ``collectors.trajectory``,
the key names and in-memory records in ``collectors.schema``; reading and writing share only
``schema``, so neither module imports the other. Version 1 folders (no per-step reward or end
flags) still read, with the defaults that ``schema.fill_v1_step_fields`` documents.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deskpilot.collectors.schema import (  # the key names, spelled once
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
    STEPS_FILE,
    EpisodeMeta,
    Step,
    Trajectory,
    TrajectoryError,
    check_step_end,
    fill_v1_step_fields,
    image_name,
)
from deskpilot.envs.actions import Action

__all__ = ["DatasetReport", "episode_dirs", "read_dataset", "read_trajectory"]


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
