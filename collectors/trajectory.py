"""Trajectory format version 2: one episode per folder, append-only while written, atomic to finish.

Layout of an episode (see ``docs/trajectory-format.md`` for the full schema)::

    <root>/<episode_id>/            finished episode (renamed from ``<episode_id>.partial`` at the end)
        meta.json                   task, source, env id, seed, geometry, created, version, outcome
        steps.jsonl                 one JSON object per step (action, reward, terminated, truncated),
                                    appended and fsynced as the step ends
        step_000000.png             the screenshot the actor saw before step 0 (lossless)

A writer killed at any instant leaves ``<episode_id>.partial/`` whose every line in ``steps.jsonl``
is complete and whose images exist (each image is written and renamed into place before its line is
appended). ``collectors.reading.read_trajectory(..., allow_partial=True)`` reads such a folder
back; ``collectors.reading`` holds every reader, this module the writer.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deskpilot.collectors.schema import (  # the key names, spelled once
    FORMAT_VERSION,
    K_ACTION,
    K_ANNOTATIONS,
    K_ERROR,
    K_IMAGE,
    K_INDEX,
    K_NUM_STEPS,
    K_OUTCOME,
    K_REWARD,
    K_SUCCESS,
    K_TERMINATED,
    K_TIME,
    K_TRUNCATED,
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
    "EpisodeMeta",
    "Step",
    "Trajectory",
    "TrajectoryError",
    "TrajectoryWriter",
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
