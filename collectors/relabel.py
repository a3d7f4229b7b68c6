"""Hindsight instruction relabelling: more demonstrations from frames already recorded.

A MiniWoB click-link page shows four links on average and the recorded episode asked for one: the
other three are demonstrations of the same task that nobody had to run. ``relabel`` rewrites a
recorded episode for another instruction its frames answer just as well, with the action the
scripted expert would take for that instruction on each frame (read from the element annotations
recorded with the frame; the frames themselves are untouched). Each task's rules (which
instructions exist, what the expert does, which clicks are as right) live in its kit,
``envs.miniwob.tasks``; this module turns trajectories into the kit's frames and back.

Why it matters here: the task caps the expert at 200 episodes, and with one frame per episode the
pointer of click-link sees 180 training frames; the policy learnt where links tend to be, not which
word was asked for (43% success). Relabelled copies give each frame several instructions with
different answers, which only reading can tell apart.

Only the training split is relabelled; validation and evaluation stay on recorded instructions.
Episodes that failed, lack element annotations, or whose env has no kit that relabels are left as
they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from deskpilot.collectors.trajectory import Trajectory
from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob.tasks import Frame, TaskKit, kit_for_env_id

__all__ = ["relabel", "relabelled", "with_alternatives"]


def _kit(trajectory: Trajectory) -> TaskKit | None:
    """The kit of a successful episode's task (a failed attempt is no demonstration to rewrite)."""
    return kit_for_env_id(trajectory.meta.env_id) if trajectory.success else None


def _frames(trajectory: Trajectory) -> list[Frame]:
    return [Frame(s.annotations.get("elements"), s.action) for s in trajectory.steps]


def _with(
    trajectory: Trajectory,
    task: str,
    actions: Sequence[Action],
    targets: Sequence[list[list[float]]] | None = None,
) -> Trajectory:
    """A copy of the first ``len(actions)`` steps for ``task`` with ``actions`` and, per step, ``targets``.

    Without ``targets`` the copy carries none: the recorded ones answered the recorded instruction.
    """
    steps = []
    for i, (s, a) in enumerate(zip(trajectory.steps[: len(actions)], actions, strict=True)):
        if targets is None:
            annotations = {k: v for k, v in s.annotations.items() if k != "targets"}
        else:
            annotations = {**s.annotations, "targets": targets[i]}
        steps.append(dataclasses.replace(s, action=a, annotations=annotations))
    meta = trajectory.meta
    if task != trajectory.task:
        meta = dataclasses.replace(meta, task=task, extra={**meta.extra, "relabelled_from": trajectory.task})
    return dataclasses.replace(trajectory, meta=meta, steps=steps)


def with_alternatives(trajectory: Trajectory) -> Trajectory:
    """``trajectory`` with ``annotations["targets"]``, every box as right to click, where there are several.

    The actions stay as recorded; an episode without alternatives gives ``trajectory`` itself.
    """
    kit = _kit(trajectory)
    if kit is None or kit.alternatives is None:
        return trajectory
    try:
        targets = kit.alternatives(trajectory.task, _frames(trajectory), trajectory.meta.obs_size[1])
    except ValueError:  # no annotations
        return trajectory
    if targets is None:
        return trajectory
    return _with(trajectory, trajectory.task, [s.action for s in trajectory.steps], targets)


def relabel(trajectory: Trajectory, rng: np.random.Generator) -> Trajectory | None:
    """A copy of ``trajectory`` for another instruction of its task, or None when there is none.

    The copy keeps the leading frames the kit says its history would have shown.
    """
    kit = _kit(trajectory)
    if kit is None or kit.relabel is None:
        return None
    try:
        new = kit.relabel(trajectory.task, _frames(trajectory), trajectory.meta.obs_size[1], rng)
    except ValueError:  # no annotations (a human recording): nothing to read the page from
        return None
    return None if new is None else _with(trajectory, new.task, new.actions, new.targets)


def relabelled(trajectories: Sequence[Trajectory], copies: int, seed: int) -> list[Trajectory]:
    """Up to ``copies`` relabelled copies of each trajectory (distinct instructions), seeded."""
    rng = np.random.default_rng(seed)
    out: list[Trajectory] = []
    for t in trajectories:
        seen = {t.task}
        for _ in range(2 * copies):  # a few draws repeat an instruction; try twice as often
            if len(seen) > copies:
                break
            new = relabel(t, rng)
            if new is None:
                break
            if new.task not in seen:
                seen.add(new.task)
                out.append(new)
    return out
