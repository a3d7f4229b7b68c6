"""The data a run trains on: a dataset folder, fresh expert episodes, or a fine-tuning set.

Each function builds the ``TrainData`` (training source, validation set and, for a dataset, the
training episodes scored beside validation at the end) for one kind of run and hands it to
``policies.loop.train_and_evaluate``; the CLI's ``deskpilot train --data`` and ``--stream`` and the
improvement loop's fine-tuning come through here.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections import Counter
from pathlib import Path
from typing import Any

import jax

from deskpilot.collectors.relabel import relabelled, with_alternatives
from deskpilot.collectors.schema import Trajectory, scored_failed
from deskpilot.policies import checkpoint
from deskpilot.policies.config import Config
from deskpilot.policies.data import ArrayDataset, split_by_episode
from deskpilot.policies.loop import UNTIL_STOPPED, DataSource, TrainData, train_and_evaluate
from deskpilot.policies.sources import FixedSource, MixedSource, StreamingSource, TaskMix, expert_episodes

_FEW_VAL = 20  # validation examples below which its figures are too coarse to steer by

__all__ = [
    "choose_start",
    "finetune",
    "fit_findings",
    "like_validation",
    "start_weights",
    "train_from_directory",
    "train_on_envs",
]

REHEARSAL_SUITE = "deskpilot/mock-suite"  # what train.rehearse streams: the suite the shipped weights learnt
SCRATCH = "none"  # ``--init-from none``: random weights even for a small dataset


def start_weights(init_from: Path | str | None) -> Path | str | None:
    """``init_from`` as ``train_and_evaluate`` takes it: ``"none"`` (``SCRATCH``) is no weights."""
    return None if init_from is None or str(init_from) == SCRATCH else init_from


def choose_start(
    data_dir: Path | str, preset: str | Path, overrides: list[str], init_from: Path | str | None
) -> tuple[Config, Path | str | None, str]:
    """The config and starting weights for ``deskpilot train --data``, and a line saying which.

    Without ``init_from``, a dataset of at most ``pretrained.FEW_EPISODES`` episodes is fine-tuned
    from the shipped weights when they fit the preset's model, with ``pretrained.FINETUNE`` under
    the caller's ``overrides``; ``init_from="none"`` trains from scratch.
    """
    from deskpilot.collectors.reading import episode_dirs
    from deskpilot.policies import pretrained
    from deskpilot.policies.config import get_config, override

    config = override(get_config(preset), overrides)
    if init_from is not None:
        start = start_weights(init_from)
        return config, start, "from scratch" if start is None else f"from {init_from}"
    n = sum(1 for _ in episode_dirs(data_dir))
    if n > pretrained.FEW_EPISODES:
        return config, None, f"from scratch ({n} episodes)"
    if not pretrained.fits(config):
        return config, None, f"from scratch: no shipped weights fit this model ({n} episodes)"
    config = override(get_config(preset), [*pretrained.FINETUNE, *overrides])
    return (
        config,
        pretrained.PRETRAINED,
        f"{n} episodes (<= {pretrained.FEW_EPISODES}): fine-tuning the shipped pretrained weights "
        f"with {' '.join(pretrained.FINETUNE)} (--init-from none trains from scratch)",
    )


def train_from_directory(
    data_dir: Path | str,
    workdir: Path | str,
    config: Config,
    *,
    resume: bool = False,
    progress: bool = True,
    init_from: Path | str | None = None,
) -> dict[str, Any]:
    """Read every finished episode under ``data_dir``, split by episode, and train (the CLI path).

    Episodes whose outcome says they failed (``collectors.schema.scored_failed``) are left out
    unless ``train.include_failed``: a failed attempt is no demonstration. The warning and the
    report's ``left_out_failed`` say how many.
    """
    from deskpilot.collectors.reading import read_dataset

    report = read_dataset(data_dir)
    tc = config.train
    kept = [t for t in report.trajectories if tc.include_failed or not scored_failed(t)]
    left_out = len(report.trajectories) - len(kept)
    if left_out:
        logging.getLogger(__name__).warning(
            "%s: left out %d of %d episodes whose outcome says they failed "
            "(--set train.include_failed=true trains on them too)",
            data_dir,
            left_out,
            len(report.trajectories),
        )
    if not kept:
        failed = f", {left_out} of them failed" if left_out else ""
        raise ValueError(f"{data_dir}: no finished episodes to train on ({report.summary()}{failed})")
    episodes = [with_alternatives(t) for t in kept]
    train_eps, val_eps = split_by_episode(episodes, tc.val_fraction, tc.seed)
    counts = {"train_episodes": len(train_eps), "val_episodes": len(val_eps)}
    fit_eps = like_validation(train_eps, val_eps, tc.seed)
    if tc.relabel:
        train_eps = train_eps + relabelled(train_eps, tc.relabel, tc.seed)
    train_set = ArrayDataset.from_trajectories(train_eps, config.model)
    val_set = ArrayDataset.from_trajectories(val_eps, config.model) if val_eps else None
    counts["val_examples"] = len(val_set) if val_set is not None else 0
    logging.getLogger(__name__).info(
        "%s: %d episodes to training (%d examples, relabelled copies included), %d to validation (%d examples)",
        data_dir,
        counts["train_episodes"],
        len(train_set),
        counts["val_episodes"],
        counts["val_examples"],
    )
    typed, lost = train_set.untypeable()
    if lost:
        writer = config.model.typed_len
        logging.getLogger(__name__).warning(
            "%d of %d typed texts in training cannot be typed by the model, so it does not learn them: %s",
            lost,
            typed,
            f"longer than model.typed_len - 1 = {writer - 1} bytes"
            if writer
            else "they are not in the task (the span head only copies); set model.typed_len (e.g. 24) to write them",
        )
    if counts["val_examples"] < _FEW_VAL:
        logging.getLogger(__name__).warning(
            "validation has only %d examples: its accuracies move by %d points per example; record more "
            "episodes or raise train.val_fraction before trusting them",
            counts["val_examples"],
            100 // max(counts["val_examples"], 1),
        )
    shards = jax.process_count()
    batch, seed = tc.batch_size // shards, tc.seed + jax.process_index()
    drill_rows, rehearse_rows = round(tc.drills * batch), round(tc.rehearse * batch)
    focus = tc.focus if _steers(train_set, val_set, tc.focus) else 0.0
    fixed = FixedSource(train_set, batch - drill_rows - rehearse_rows, seed, tc.balance, focus, tc.focus_by)
    steer = [fixed.mix] if fixed.mix is not None else []
    source: DataSource = fixed
    if tc.shift:
        from deskpilot.policies.augment import ShiftedSource

        source = ShiftedSource(source, config.model, tc.shift, seed)
    if rehearse_rows:
        from deskpilot.envs.registry import resolve_env_ids

        suite = resolve_env_ids(REHEARSAL_SUITE)
        stream = expert_episodes(suite, seed=tc.seed + 2_000_000 * (1 + jax.process_index()), slips=tc.slips)
        rehearsal = StreamingSource(
            stream,
            config.model,
            rehearse_rows,
            seed,
            tc.stream_capacity,
            balance="task",
            fresh=tc.stream_fresh,
        )
        source = MixedSource(source, rehearsal)
    if drill_rows:
        from deskpilot.envs.miniwob.registry import drills_for, imitated

        drill_seed = tc.seed + 1_000_000 * jax.process_index()  # each process its own drill pages
        drill_ids = drills_for((t.meta.env_id for t in kept), tc.more_drill_kinds)
        logging.getLogger(__name__).info("drills: %s", ", ".join(drill_ids))
        # Each drill is drawn more often while the task it imitates is weak on validation.
        judges = [imitated(d) for d in drill_ids]
        drill_mix = TaskMix(drill_ids, focus, judged_by=judges, by=tc.focus_by) if focus else None
        steer += [drill_mix] if drill_mix is not None else []
        drills = StreamingSource(
            expert_episodes(drill_ids, seed=drill_seed, mix=drill_mix),
            config.model,
            drill_rows,
            seed,
            capacity=tc.stream_capacity,
            fresh=tc.stream_fresh,
        )
        source = MixedSource(source, drills)

    def steer_all(report: dict[str, Any]) -> None:
        for mix in steer:
            mix.update(report)

    fit_set = ArrayDataset.from_trajectories(fit_eps, config.model) if fit_eps else None
    result = train_and_evaluate(
        config,
        TrainData(source, val_set, fit_set),
        workdir,
        resume=resume,
        progress=progress,
        init_from=init_from,
        on_validate=steer_all if steer else None,
    )
    for line in fit_findings(result):
        logging.getLogger(__name__).info("%s", line)
    return {**result, **counts, "left_out_failed": left_out}


def like_validation(train_eps: list[Trajectory], val_eps: list[Trajectory], seed: int) -> list[Trajectory]:
    """As many training episodes of each task as validation holds of it, drawn with ``seed``.

    Scored beside validation at the end of a run (``TrainData.fit``), like against like.
    """
    wanted = Counter(t.meta.env_id for t in val_eps)
    drawn = []
    for t in random.Random(seed).sample(train_eps, len(train_eps)):
        if wanted[t.meta.env_id] > 0:
            wanted[t.meta.env_id] -= 1
            drawn.append(t)
    return drawn


# A task whose training screens score this much higher than its validation screens is memorised;
# one whose own training screens score below ``_UNFIT`` is not learnt yet (more steps or capacity).
_MEMORISED, _UNFIT = 0.15, 0.9


def fit_findings(report: dict[str, Any]) -> list[str]:
    """Lines naming the tasks memorised and the tasks not yet fitted, from a report with ``fit_task`` rows."""
    memorised, unfit = [], []
    for key, fit in sorted(report.items()):
        if not key.startswith("fit_task/"):
            continue
        task = key.removeprefix("fit_task/")
        val = report.get(f"val_task/{task}", {}).get("exact")
        if fit["exact"] < _UNFIT:
            unfit.append(f"{task} {fit['exact']:.3f}")
        if val is not None and fit["exact"] - val >= _MEMORISED:
            memorised.append(f"{task} {fit['exact']:.3f} vs {val:.3f}")
    lines = []
    if memorised:
        lines.append("memorised (exact on training episodes vs validation): " + ", ".join(memorised))
    if unfit:
        lines.append(f"not fitted (exact below {_UNFIT} on its own training episodes): " + ", ".join(unfit))
    return lines


def _steers(train_set: ArrayDataset, val_set: ArrayDataset | None, focus: float) -> bool:
    """Whether validation can steer a dataset's batches toward its weak tasks (``train.focus``).

    It needs two tasks or more and about ``_FEW_VAL`` validation examples per task: a task's error
    read from a handful of examples (a person's recordings, each task its own sentence) is noise.
    """
    tasks = len(set(train_set.tasks))
    if not focus or tasks < 2:
        return False
    if val_set is None or len(val_set) < _FEW_VAL * len(set(val_set.tasks)):
        logging.getLogger(__name__).info(
            "train.focus=%s not applied: validation has %d examples over its tasks, fewer than %d a task",
            focus,
            0 if val_set is None else len(val_set),
            _FEW_VAL,
        )
        return False
    logging.getLogger(__name__).info(
        "train.focus=%s: that share of each batch goes to the %d tasks by their validation error",
        focus,
        tasks,
    )
    return True


def finetune(
    data_dir: Path | str, init_run: Path | str, out_run: Path | str, minutes: float
) -> dict[str, Any]:
    """Train ``init_run``'s model further on everything under ``data_dir`` for ``minutes`` into ``out_run``.

    The config is the one ``init_run`` was trained with; only the time budget changes.
    """
    config = checkpoint.read_config(init_run)
    config = dataclasses.replace(
        config, train=dataclasses.replace(config.train, minutes=minutes, steps=UNTIL_STOPPED)
    )
    return train_from_directory(data_dir, out_run, config, init_from=init_run)


def train_on_envs(
    env_ids: list[str],
    workdir: Path | str,
    config: Config,
    *,
    val_episodes_per_env: int = 10,
    seed: int = 10_000_000,
    resume: bool = False,
    progress: bool = True,
    init_from: Path | str | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train on fresh expert episodes streamed from ``env_ids`` (no dataset on disk).

    ``init_from``: start from that run's (or ``"pretrained"``) weights; ``env_kwargs`` go to every
    ``gymnasium.make`` (e.g. the synthetic suite's ``typefaces`` and ``render_scales``).

    Fresh rendered screens generalise where a fixed set overfits; the synthetic
    envs render far faster than training consumes (about 1,000 episodes/s in-process here), so the
    producer thread costs a few per cent of training time. Validation uses its own seeds (``seed +
    10_000_000`` on); all seeds stay below ``collectors.collect.EVAL_SEED_OFFSET``.
    """
    import itertools

    tc = config.train
    val_episodes = itertools.islice(
        expert_episodes(env_ids, seed=seed + 10_000_000, **(env_kwargs or {})),
        val_episodes_per_env * len(env_ids),
    )
    val_set = ArrayDataset.from_trajectories(val_episodes, config.model) if val_episodes_per_env else None
    shards = jax.process_count()
    mix = TaskMix(env_ids, tc.focus, by=tc.focus_by) if tc.focus > 0 and val_set is not None else None
    source = StreamingSource(
        expert_episodes(
            env_ids,
            seed=seed + 1_000_000 * jax.process_index(),
            mix=mix,
            slips=tc.slips,
            **(env_kwargs or {}),
        ),
        config.model,
        tc.batch_size // shards,
        tc.seed + jax.process_index(),
        capacity=tc.stream_capacity,
        balance=tc.balance,
        fresh=tc.stream_fresh,
    )
    return train_and_evaluate(
        config,
        TrainData(source, val_set),
        workdir,
        resume=resume,
        progress=progress,
        on_validate=mix.update if mix is not None else None,
        init_from=init_from,
    )
