"""What a dataset holds: episodes, steps, tasks, success by env and by source, actions, damage.

``deskpilot info DATA`` prints this. Episodes are read one at a time, so memory stays at one
episode however large the dataset; damaged episodes are counted as ``read_dataset`` would skip them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

from deskpilot.collectors.reading import episode_dirs, read_trajectory
from deskpilot.collectors.schema import (
    PARTIAL_SUFFIX,
    SOURCES,
    Trajectory,
    TrajectoryError,
    check_dataset_folder,
)
from deskpilot.envs.actions import ActionType

__all__ = ["NO_ENV", "DatasetInfo", "Group", "dataset_info"]

NO_ENV = "(no env: live recording)"
"""The env column of episodes recorded on the live desktop, which have no env id."""


@dataclasses.dataclass
class Group:
    """Counts over the episodes of one env id or one source."""

    episodes: int = 0
    steps: int = 0
    successes: int = 0
    truncated: int = 0  # episodes whose last step says truncated (step limit, interrupted recording)
    tasks: set[str] = dataclasses.field(default_factory=set)  # distinct task texts

    @property
    def success_rate(self) -> float | None:
        """Successes over episodes; None for an empty group."""
        return self.successes / self.episodes if self.episodes else None

    def add(self, trajectory: Trajectory) -> None:
        """Count one finished episode."""
        self.episodes += 1
        self.steps += len(trajectory.steps)
        self.successes += bool(trajectory.success)
        self.truncated += bool(trajectory.steps and trajectory.steps[-1].truncated)
        self.tasks.add(trajectory.task)


@dataclasses.dataclass
class DatasetInfo:
    """Everything ``deskpilot info`` reports about a dataset folder."""

    root: Path
    total: Group  # every finished, readable episode
    by_env: dict[str, Group]  # env id -> its episodes, sorted by id; live recordings last, as ``NO_ENV``
    by_source: dict[str, Group]  # "expert", "human", "policy" -> its episodes (all three, maybe empty)
    actions: Counter[str]  # ActionType name -> steps taking it (every name present, maybe 0)
    versions: Counter[int]  # format_version -> episodes written in it
    bad: list[TrajectoryError]  # damaged episodes, skipped (the error names the file and the problem)
    unfinished: list[
        tuple[Path, int | None]
    ]  # ``.partial`` folders and their readable steps (None: unreadable)


def _unfinished(root: Path) -> list[tuple[Path, int | None]]:
    found: list[tuple[Path, int | None]] = []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and p.name.endswith(PARTIAL_SUFFIX)):
        try:
            found.append((path, len(read_trajectory(path, allow_partial=True, load_images=False).steps)))
        except TrajectoryError:
            found.append((path, None))
    return found


def dataset_info(root: Path | str, *, check_images: bool = True) -> DatasetInfo:
    """Count what the dataset under ``root`` holds.

    Args:
        root: a dataset folder (episode folders inside, as ``collect`` and ``record`` write them).
        check_images: decode every screenshot, so damaged images count as bad episodes; without it
            only ``meta.json`` and ``steps.jsonl`` are read (much faster on large datasets).

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: ``root`` is a file or a single episode folder.
    """
    root = Path(root)
    check_dataset_folder(root)
    info = DatasetInfo(
        root=root,
        total=Group(),
        by_env={},
        by_source={source: Group() for source in SOURCES},
        actions=Counter({t.name: 0 for t in ActionType}),
        versions=Counter(),
        bad=[],
        unfinished=_unfinished(root),
    )
    for path in episode_dirs(root):
        try:
            trajectory = read_trajectory(path, load_images=check_images)
        except TrajectoryError as e:
            info.bad.append(e)
            continue
        info.total.add(trajectory)
        info.by_env.setdefault(trajectory.meta.env_id or NO_ENV, Group()).add(trajectory)
        info.by_source[trajectory.meta.source].add(trajectory)
        info.actions.update(step.action.type.name for step in trajectory.steps)
        info.versions[trajectory.format_version] += 1
    info.by_env = dict(sorted(info.by_env.items(), key=lambda item: (item[0] == NO_ENV, item[0])))
    return info
