"""Where training batches come from: every source has ``next_batch()``, ``state()``, ``restore(state)``, ``close()``.

* ``FixedSource``: an in-memory ``ArrayDataset``; the order is a seeded permutation per epoch (or a
  seeded draw weighted per episode), so ``state()`` (epoch, offset) resumes it exactly.
* ``StreamingSource``: a producer thread turns freshly generated episodes (``expert_episodes`` of
  any env: the synthetic suite, the MiniWoB reading drills) into examples and fills a ring buffer that batches are
  sampled from. Fresh rendered screens generalise where a fixed set of a few thousand overfits;
  the buffer lets a slow producer never stall training (examples are reused until replaced). Its
  order is not reproducible across a resume.
* ``MixedSource``: rows from two sources in every batch (recorded data plus fresh drills).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from deskpilot.collectors.trajectory import Trajectory
from deskpilot.policies.config import BALANCE, FOCUS_BY, ModelConfig
from deskpilot.policies.data import ArrayDataset, Example, trajectory_to_examples

__all__ = ["BALANCE", "FixedSource", "MixedSource", "StreamingSource", "TaskMix", "expert_episodes"]


def expert_episodes(
    env_ids: Sequence[str],
    seed: int = 10_000_000,
    mix: TaskMix | None = None,
    slips: float = 0.0,
    **env_kwargs: Any,
) -> Iterator[Trajectory]:
    """Endless fresh expert episodes over ``env_ids`` (for ``StreamingSource``).

    Round-robin over the envs, or, with a ``mix``, each episode's env drawn from its current
    probabilities. Episode ``i`` of each env uses reset seed ``seed + i``; keep seeds below
    ``collectors.collect.EVAL_SEED_OFFSET`` so they never meet evaluation seeds. Episodes carry
    the alternative right clicks of their task's kit (``collectors.relabel.with_alternatives``),
    as recorded episodes do in training. A share ``slips`` of the episodes is run by an expert
    whose pointer now and then misses (``collectors.slips``): the misses are history, and the
    expert's recoveries from them are demonstrations no clean episode holds.
    """
    import gymnasium as gym

    import deskpilot.envs  # noqa: F401 - registers the env ids
    from deskpilot.collectors.collect import make_expert
    from deskpilot.collectors.loop import run_episode
    from deskpilot.collectors.relabel import with_alternatives
    from deskpilot.collectors.slips import Slipping, mark_slips

    if not 0.0 <= slips <= 1.0:
        raise ValueError(f"slips: expected a share of the episodes in [0, 1], got {slips}")
    made = [gym.make(e, **env_kwargs) for e in env_ids]
    counts = [0] * len(made)
    rng = np.random.default_rng(seed)
    try:
        for n in itertools.count():
            k = n % len(made) if mix is None else int(rng.choice(len(made), p=mix.probabilities))
            env, counts[k] = made[k], counts[k] + 1
            episode_seed = seed + counts[k] - 1
            if slips and rng.random() < slips:
                actor = Slipping(make_expert(env), rng)
                # A slip can lead where an expert gives up (raises): keep the steps up to there.
                episode = run_episode(env, actor, source="expert", seed=episode_seed, record_errors=True)
                yield mark_slips(episode.trajectory, actor.slipped)
            else:
                episode = run_episode(env, make_expert(env), source="expert", seed=episode_seed)
                yield with_alternatives(episode.trajectory)
    finally:
        for env in made:
            env.close()


class TaskMix:
    """How often each task is drawn, moved toward the tasks validation finds weakest.

    ``focus`` = 0 keeps each task at its ``shares`` (evenly if none are given); otherwise a share
    ``focus`` of the draws goes to tasks in proportion to their validation error (1 - the mean
    accuracy of the heads that apply), the rest by ``shares``, so no task is ever starved. A suite is
    scored by its mean over tasks, and its easy tasks (a shortcut key) are solved long before the
    hard ones (reading a list to scroll it). ``judged_by[i]`` names the validation row that scores
    task ``i`` (its own id by default; a reading drill is scored by the task it imitates).
    ``by="episodes"`` takes a task's error as 1 - ``exact ** (examples / episodes)`` of its row (the
    chance that every step of an episode is right) where the row has them: a task of seven clicks
    at 80% a click fails four episodes in five, which the heads' mean (20% wrong) hides.
    """

    def __init__(
        self,
        env_ids: Sequence[str],
        focus: float,
        shares: Sequence[float] | np.ndarray | None = None,
        judged_by: Sequence[str] | None = None,
        by: str = "heads",
    ) -> None:
        if not 0.0 <= focus <= 1.0:
            raise ValueError(f"focus: expected a share in [0, 1], got {focus}")
        if by not in FOCUS_BY:
            raise ValueError(f"focus by: expected one of {FOCUS_BY}, got {by!r}")
        self.env_ids, self.focus, self.by = list(env_ids), focus, by
        self.judged_by = list(judged_by) if judged_by is not None else self.env_ids
        base = np.ones(len(self.env_ids)) if shares is None else np.asarray(shares, np.float64)
        if base.shape != (len(self.env_ids),) or len(self.judged_by) != len(self.env_ids) or base.min() < 0:
            raise ValueError(
                f"TaskMix: expected one non-negative share and one validation row per task "
                f"({len(self.env_ids)}), got {len(base)} shares and {len(self.judged_by)} rows"
            )
        self.shares = base / base.sum()
        self.probabilities = self.shares

    def update(self, report: dict[str, Any]) -> None:
        """Take a validation report (``Trainer.validate``: ``val_task/<env id>`` rows of head accuracies)."""
        errors = np.array([self._error(report.get(f"val_task/{judge}", {})) for judge in self.judged_by])
        weighted = errors / errors.sum() if errors.sum() > 0 else self.shares
        # A new array, not an in-place edit: the producer thread reads the old one whole.
        self.probabilities = (1.0 - self.focus) * self.shares + self.focus * weighted

    def _error(self, row: dict[str, Any]) -> float:
        if self.by == "episodes" and row.get("episodes"):
            return 1.0 - float(row["exact"]) ** (row["examples"] / row["episodes"])
        accs = [v for k, v in row.items() if k.endswith("_acc")]
        return 1.0 - float(np.mean(accs)) if accs else 0.0


class FixedSource:
    """Batches from an ``ArrayDataset``: concatenated seeded per-epoch orders, exactly resumable.

    ``balance="example"``: each epoch is a permutation (every step equally often).
    ``balance="episode"``: each epoch draws ``len(dataset)`` examples with replacement, a step of an
    n-step episode with weight 1/n, so every episode counts the same however long it is. A suite
    scored by its mean success over tasks otherwise spends most updates on its longest tasks (a
    7-step slider episode outweighs a 1-step click seven times).
    ``focus`` > 0: each batch is drawn with replacement instead, each task's share of it from
    ``mix`` (a ``TaskMix`` over the dataset's tasks by ``focus_by``, starting at the shares
    ``balance`` gives them; validation moves them toward the weakest through ``mix.update``), and
    within a task by ``balance``. Batch ``i`` is drawn with seed ``(seed, i)``, and ``state()``
    keeps the task shares, so a resume continues exactly.
    """

    def __init__(
        self,
        dataset: ArrayDataset,
        batch_size: int,
        seed: int,
        balance: str = "example",
        focus: float = 0.0,
        focus_by: str = "heads",
    ) -> None:
        if balance not in BALANCE:
            raise ValueError(f"balance: expected one of {BALANCE}, got {balance!r}")
        if balance == "task":
            raise ValueError(
                "balance='task' is for streamed training; a fixed dataset takes 'example' or 'episode'"
            )
        if balance == "episode" and dataset.episode_lengths is None:
            raise ValueError("balance='episode' needs a dataset that knows its episode lengths")
        self.dataset, self.batch_size, self.seed, self.balance = dataset, batch_size, seed, balance
        self.epoch, self.offset, self.draws = 0, 0, 0
        self._epoch_order: tuple[int, np.ndarray] | None = None  # the last epoch's order, kept
        self.mix: TaskMix | None = None
        if focus > 0:
            names, self._task = np.unique(np.asarray(dataset.tasks, dtype=object), return_inverse=True)
            self._within = self._weights()
            shares = np.bincount(self._task, self._within)
            self.mix = TaskMix([str(n) for n in names], focus, shares, by=focus_by)
            self._probabilities, self._cdf = self.mix.probabilities, self._example_cdf()

    def _weights(self) -> np.ndarray:
        """Each example's weight under ``balance`` (1, or 1/n for a step of an n-step episode)."""
        if self.balance == "example":
            return np.ones(len(self.dataset))
        assert self.dataset.episode_lengths is not None
        return 1.0 / self.dataset.episode_lengths

    def _order(self, epoch: int) -> np.ndarray:
        # Made once an epoch, not once a batch: a weighted draw of 100,000 examples takes ~17 ms.
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            n = len(self.dataset)
            if self.balance == "example":
                order = rng.permutation(n)
            else:
                weights = self._weights()
                order = rng.choice(n, size=n, p=weights / weights.sum())
            self._epoch_order = (epoch, order)
        return self._epoch_order[1]

    def _example_cdf(self) -> np.ndarray:
        """Cumulative draw weights of the examples: their task's share over their task, by ``balance``."""
        assert self.mix is not None
        per_task = self.mix.probabilities / np.maximum(np.bincount(self._task, self._within), 1e-12)
        return np.cumsum(self._within * per_task[self._task])

    def next_batch(self) -> Example:
        """The next ``batch_size`` examples in the seeded order (epochs roll over mid-batch)."""
        if self.mix is not None:
            if self.mix.probabilities is not self._probabilities:
                self._probabilities, self._cdf = self.mix.probabilities, self._example_cdf()
            u = np.random.default_rng([self.seed, self.draws]).random(self.batch_size) * self._cdf[-1]
            self.draws += 1
            return self.dataset.take(
                np.minimum(np.searchsorted(self._cdf, u, side="right"), len(self._cdf) - 1)
            )
        idx: list[np.ndarray] = []
        need = self.batch_size
        while need:
            order = self._order(self.epoch)[self.offset : self.offset + need]
            idx.append(order)
            need -= len(order)
            self.offset += len(order)
            if self.offset == len(self.dataset):
                self.epoch, self.offset = self.epoch + 1, 0
        return self.dataset.take(np.concatenate(idx))

    def state(self) -> dict[str, Any]:
        """Where the order stands (JSON-ready); under ``focus`` also the batches drawn and the task shares."""
        state: dict[str, Any] = {"seed": self.seed, "epoch": self.epoch, "offset": self.offset}
        if self.mix is not None:
            state |= {
                "draws": self.draws,
                "task_shares": dict(zip(self.mix.env_ids, self.mix.probabilities.tolist(), strict=True)),
            }
        return state

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from ``state()``: the position in the order; the seed stays this source's own.

        A multi-host checkpoint holds process 0's state only, and each process draws its share of
        the batch with its own seed (``seed + process index``). Every process takes one batch per
        step, so epoch and offset are the same everywhere and are all a resume needs; under ``focus``
        the task shares come from process 0's validation, which every process runs alike.
        """
        self.epoch, self.offset = int(state["epoch"]), int(state["offset"])
        if self.mix is not None and "task_shares" in state:
            shares = state["task_shares"]
            self.draws = int(state["draws"])
            self.mix.probabilities = np.array([shares.get(t, 0.0) for t in self.mix.env_ids])

    def close(self) -> None:
        """Nothing to release."""


class StreamingSource:
    """Batches sampled from a ring buffer that a producer thread fills from fresh episodes.

    ``balance``: "example" draws every step alike; "episode" a step of an n-step episode with weight
    1/n (as in ``FixedSource``); "task" a step of a task whose episodes average m steps with weight
    1/m. "task" gives each task the share of its episodes, as "episode" does, but keeps the steps
    within a task in their true proportions: under "episode", where a task is sometimes done in one
    step (DONE when the box is already ticked), that step weighs twice a first click of a two-step
    episode, so the first screen's odds the model learns are not the data's.

    ``fresh``: new examples taken in per example drawn (``TrainConfig.stream_fresh``); the producer
    blocks on its full queue meanwhile, so below 1 it makes that much fewer.
    """

    def __init__(
        self,
        episodes: Iterator[Trajectory],
        cfg: ModelConfig,
        batch_size: int,
        seed: int,
        capacity: int = 4096,
        start_timeout: float = 300.0,
        balance: str = "example",
        fresh: float = 1.0,
    ) -> None:
        if balance not in BALANCE:
            raise ValueError(f"balance: expected one of {BALANCE}, got {balance!r}")
        self.cfg, self.batch_size, self.capacity, self.balance = cfg, batch_size, capacity, balance
        self.fresh_per_batch = max(1, round(fresh * batch_size))  # new examples taken in per batch drawn
        self.rng = np.random.default_rng(seed)
        self.buffer: Example = {}
        # Each queued item is one episode and its task; a step of an n-step episode weighs 1/n under
        # "episode"; under "task" each slot's weight is looked up from its task's mean length.
        self.weights = np.zeros(capacity)
        self.tasks = np.zeros(capacity, np.int64)
        self.task_ids: dict[str, int] = {}
        self.task_counts = np.zeros((0, 2))  # per task: episodes, steps
        self.size, self.cursor, self.produced = 0, 0, 0
        self.start_timeout = start_timeout
        self._queue: queue.Queue[tuple[str, Example] | BaseException] = queue.Queue(maxsize=16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(episodes,), daemon=True)
        self._thread.start()

    def _produce(self, episodes: Iterator[Trajectory]) -> None:
        try:
            for t in episodes:
                ex = trajectory_to_examples(t, self.cfg)
                while ex and not self._stop.is_set():
                    try:
                        self._queue.put((t.meta.env_id or t.meta.task, ex), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, which raises it
            self._queue.put(e)

    def _add(self, task: str, ex: Example) -> None:
        n = len(ex["type"])
        if task not in self.task_ids:
            self.task_ids[task] = len(self.task_ids)
            self.task_counts = np.concatenate([self.task_counts, np.zeros((1, 2))])
        index = self.task_ids[task]
        self.task_counts[index] += (1, n)
        if not self.buffer:
            self.buffer = {k: np.zeros((self.capacity, *v.shape[1:]), v.dtype) for k, v in ex.items()}
        slots = (self.cursor + np.arange(n)) % self.capacity
        for k, v in ex.items():
            self.buffer[k][slots] = v
        self.weights[slots] = 1.0 / n
        self.tasks[slots] = index
        self.cursor = int((self.cursor + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)
        self.produced += n

    def _drain(self, want: int) -> None:
        """Take in up to ``want`` new examples; block only while the buffer holds less than a batch."""
        added = 0
        while added < want:
            try:
                if self.size < self.batch_size:
                    item = self._queue.get(timeout=self.start_timeout)
                else:
                    item = self._queue.get_nowait()
            except queue.Empty:
                if self.size < self.batch_size:
                    raise TimeoutError(
                        f"episode producer gave no data within {self.start_timeout} s"
                    ) from None
                return
            if isinstance(item, BaseException):
                raise RuntimeError(f"episode producer failed: {item!r}") from item
            self._add(*item)
            added += len(item[1]["type"])

    def next_batch(self) -> Example:
        """A random batch from the buffer after taking in whatever the producer has made."""
        # About ``fresh`` new examples per batch, and at first as many as make a batch.
        self._drain(want=max(self.fresh_per_batch, self.batch_size - self.size))
        if self.balance == "example":
            idx = self.rng.integers(0, self.size, self.batch_size)
        else:
            if self.balance == "episode":
                w = self.weights[: self.size]
            else:  # "task": 1 / the mean steps of the slot's task
                episodes, steps = self.task_counts[self.tasks[: self.size]].T
                w = episodes / steps
            idx = self.rng.choice(self.size, self.batch_size, p=w / w.sum())
        return {k: v[idx] for k, v in self.buffer.items()}

    def state(self) -> dict[str, Any]:
        """Examples produced so far (informational: a stream cannot be replayed exactly)."""
        return {"produced": self.produced}

    def restore(self, state: dict[str, Any]) -> None:
        """Streams restart fresh; nothing to restore."""

    def close(self) -> None:
        """Stop the producer thread."""
        self._stop.set()
        self._thread.join(timeout=5)


class MixedSource:
    """Batches whose first rows come from ``main`` and last ``extra_rows`` from ``extra``.

    Both are ``policies.train.DataSource``s built for their share of the batch; resuming restores
    ``main`` exactly (``extra`` is a fresh stream).
    """

    def __init__(self, main: Any, extra: Any) -> None:
        self.main, self.extra = main, extra

    def next_batch(self) -> Example:
        """``main``'s rows, then ``extra``'s."""
        a, b = self.main.next_batch(), self.extra.next_batch()
        return {k: np.concatenate([a[k], b[k]]) for k in a}

    def state(self) -> dict[str, Any]:
        """``main``'s position (the drills are a fresh stream)."""
        return self.main.state()

    def restore(self, state: dict[str, Any]) -> None:
        """Continue ``main`` from ``state()``."""
        self.main.restore(state)

    def close(self) -> None:
        """Close both sources."""
        self.main.close()
        self.extra.close()
