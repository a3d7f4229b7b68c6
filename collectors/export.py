"""Export a trajectory dataset for other tools: a Hugging Face ``datasets`` folder, one row per step.

``export_hf(root, out)`` writes what ``datasets.load_from_disk(out)`` reads back. Each row is one
step: where it comes from (episode, step, env id, task, source, seed), the screenshot the actor saw
(a ``datasets.Image`` holding the episode's own PNG bytes, so the pixels are exactly those saved),
the action as typed columns (``action_type`` a ``ClassLabel`` of the ``ActionType`` names, then
``x, y, x2, y2, text, key, scroll``, null when the type does not use them), what ``env.step``
returned (``reward``, ``terminated``, ``truncated``) and the episode's ``episode_success``.
``action_from_row`` turns a row back into an ``Action``. The column names are spelled once, in
``hf_features``.

``datasets`` is an optional dependency (``pip install 'deskpilot[export]'``), imported only here and
only when exporting. LeRobot's dataset format is not offered: its writer is the ``lerobot`` package,
whose install requires torch, torchvision, torchcodec, diffusers, accelerate, wandb, OpenCV and
more (lerobot 0.4.4), far too much to pull into a data collector.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from deskpilot.collectors.reading import episode_dirs, read_trajectory
from deskpilot.collectors.schema import TrajectoryError, check_dataset_folder, image_name
from deskpilot.envs.actions import Action, ActionType

__all__ = [
    "ACTION_COLUMNS",
    "EXPORT_FORMATS",
    "INSTALL_HINT",
    "ExportSummary",
    "action_from_row",
    "export",
    "export_hf",
    "hf_features",
]

EXPORT_FORMATS = ("hf",)
"""What ``export`` writes: ``hf`` = a Hugging Face ``datasets`` folder (``save_to_disk``)."""
INSTALL_HINT = "pip install 'deskpilot[export]'"
ACTION_COLUMNS = ("x", "y", "x2", "y2", "text", "key", "scroll")
"""The ``Action`` fields exported as columns next to ``action_type`` (null when unused)."""


@dataclasses.dataclass(frozen=True)
class ExportSummary:
    """What an export wrote and what it left out."""

    out: Path  # the folder written
    episodes: int  # episodes exported
    steps: int  # rows written (one per step)
    skipped: list[TrajectoryError]  # damaged episodes left out (the error names the file)


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError as e:
        raise ImportError(
            f"exporting to Hugging Face datasets needs the `datasets` package: {INSTALL_HINT}"
        ) from e
    return datasets


def hf_features(datasets: Any) -> Any:
    """The columns of an exported dataset, as ``datasets.Features``."""
    value = datasets.Value
    # ClassLabel index i must be ActionType value i: ActionType(i) raises if the values had a gap.
    action_names = [ActionType(i).name for i in range(len(ActionType))]
    return datasets.Features(
        {
            "episode_index": value("int32"),  # 0, 1, ... in folder-name order
            "step_index": value("int32"),  # 0, 1, ... within the episode
            "episode_id": value("string"),  # the episode's folder name
            "env_id": value("string"),  # null for live recordings
            "task": value("string"),
            "source": value("string"),  # "expert", "human" or "policy"
            "seed": value("int64"),  # the env's reset seed, or null
            "image": datasets.Image(),  # the PNG screenshot seen before the action
            "action_type": datasets.ClassLabel(names=action_names),
            **{c: value("float64") for c in ("x", "y", "x2", "y2")},  # float64: the exact saved values
            "text": value("string"),
            "key": value("string"),
            "scroll": value("int32"),
            "time": value("float64"),  # seconds since the episode started
            "reward": value("float64"),
            "terminated": value("bool"),
            "truncated": value("bool"),
            "episode_success": value("bool"),
        }
    )


def action_from_row(row: Mapping[str, Any]) -> Action:
    """The ``Action`` an exported row holds (``action_type`` is the class index, as stored)."""
    fields = {c: row[c] for c in ACTION_COLUMNS if row[c] is not None}
    return Action(ActionType(row["action_type"]), **fields)


def _readable_episodes(root: Path) -> tuple[list[Path], list[TrajectoryError]]:
    """Finished episodes that read whole (screenshots decoded), and the errors of the others."""
    good: list[Path] = []
    bad: list[TrajectoryError] = []
    for path in episode_dirs(root):
        try:
            read_trajectory(path)  # validates every image too; only one episode is held at a time
        except TrajectoryError as e:
            bad.append(e)
        else:
            good.append(path)
    return good, bad


def _rows(episodes: list[tuple[int, str]]) -> Iterator[dict[str, Any]]:
    """One row per step of each ``(episode index, folder)`` (a generator for ``Dataset.from_generator``).

    Each episode carries its index because ``datasets`` may split a list argument into shards and
    call the generator once per shard.
    """
    for e, name in episodes:
        folder = Path(name)
        traj = read_trajectory(folder, load_images=False)  # pixels go as the saved PNG bytes
        for i, step in enumerate(traj.steps):
            action = step.action
            yield {
                "episode_index": e,
                "step_index": i,
                "episode_id": folder.name,
                "env_id": traj.meta.env_id,
                "task": traj.task,
                "source": traj.meta.source,
                "seed": traj.meta.seed,
                "image": {"bytes": (folder / image_name(i)).read_bytes(), "path": None},
                "action_type": int(action.type),
                **{c: getattr(action, c) for c in ACTION_COLUMNS},
                "time": step.time,
                "reward": step.reward,
                "terminated": step.terminated,
                "truncated": step.truncated,
                "episode_success": bool(traj.success),
            }


def export_hf(root: Path | str, out: Path | str) -> ExportSummary:
    """Write the finished episodes under ``root`` as a Hugging Face dataset folder ``out``.

    Damaged episodes are left out and listed in the summary; unfinished (``.partial``) ones are not
    exported. ``out`` is written with ``Dataset.save_to_disk`` (Arrow files plus ``dataset_info.json``);
    ``datasets.load_from_disk(out)`` reads it, ``Dataset.to_parquet`` or ``push_to_hub`` make Parquet.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: ``root`` is a file or one episode's folder, or holds no readable finished episode.
        FileExistsError: ``out`` exists and is not empty.
        ImportError: ``datasets`` is not installed.
    """
    root, out = Path(root), Path(out)
    check_dataset_folder(root)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: already exists; export writes a new folder, so name one that does not")
    datasets = _import_datasets()
    good, bad = _readable_episodes(root)
    if not good:
        raise ValueError(f"{root}: no finished, readable episode to export ({len(bad)} damaged)")
    # A private cache: datasets caches generated data by a hash of the generator and its arguments,
    # and a shared cache could hand back an older export of a dataset that has changed since.
    with tempfile.TemporaryDirectory(prefix="deskpilot-export-") as cache:
        ds = datasets.Dataset.from_generator(
            _rows,
            features=hf_features(datasets),
            gen_kwargs={"episodes": [(i, str(p)) for i, p in enumerate(good)]},
            cache_dir=cache,
        )
        ds.save_to_disk(str(out))
        steps = len(ds)
        del ds  # let go of the memory-mapped cache files before the folder is removed
    return ExportSummary(out, len(good), steps, bad)


def export(root: Path | str, out: Path | str, fmt: str) -> ExportSummary:
    """Export the dataset under ``root`` to ``out`` in format ``fmt`` (one of ``EXPORT_FORMATS``)."""
    if fmt != "hf":
        raise ValueError(f"format: expected one of {EXPORT_FORMATS}, got {fmt!r}")
    return export_hf(root, out)
