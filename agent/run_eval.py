"""Evaluating a training run folder: its newest checkpoint, held-out success, and where it is written.

``deskpilot eval --checkpoint RUN`` is ``evaluate_run``. It loads the run's newest checkpoint, plays
the held-out episodes under a progress bar (episodes done / total and the running success rate)
and writes:

* ``OUT/eval.json``: the run folder, the checkpoint's training step, success per task and one row
  per episode (``agent.evaluate.EvalReport.to_json``);
* ``OUT/*.gif``: the kept failed and solved episodes, every action drawn;
* ``RUN/tensorboard/``, next to the training curves: success per task (``eval/<env id>``) and its
  mean (``eval/mean``) at the checkpoint's step, and the first frame of a failed and of a solved
  episode per task with the predicted action drawn (``eval/failed/<env id>``, ``eval/solved/<env id>``).

``--checkpoint pretrained`` evaluates the weights shipped with deskpilot (``policies.pretrained``):
step 0, written under ``runs/pretrained/eval`` unless ``--out`` says otherwise, and no TensorBoard
summaries (there is no run folder to put them in).

``backend="ray"`` (``deskpilot eval --backend ray``) plays the same episodes on Ray actors
(``agent.ray_eval``) and writes the same report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from deskpilot.agent.evaluate import EvalReport, evaluate
from deskpilot.collectors.collect import BACKENDS
from deskpilot.collectors.loop import EpisodeResult
from deskpilot.collectors.view import render_frames
from deskpilot.envs.registry import resolve_env_ids

if TYPE_CHECKING:  # annotations only: JAX is imported when a policy is loaded, not with this module
    from flax import nnx

    from deskpilot.policies.actor import PolicyActor
    from deskpilot.policies.config import Config

__all__ = ["EvalRunConfig", "evaluate_run", "log_to_tensorboard", "policy_actor", "progress_bar"]

TENSORBOARD_DIR = "tensorboard"  # the run folder's event files; training writes there too
PRETRAINED_RUNS = Path("runs/pretrained")  # where an evaluation of the shipped weights goes by default
EVENTS_SUFFIX = ".eval"  # keeps this writer's file apart from a training writer's of the same second


@dataclasses.dataclass(frozen=True)
class EvalRunConfig:
    """What ``deskpilot eval`` evaluates; its flags map onto these fields one to one."""

    checkpoint: Path  # a run folder written by ``deskpilot train``; its newest checkpoint is used
    env: str  # env ids or suite names, comma-separated (``envs.registry.resolve_env_ids``)
    episodes: int = 50  # held-out episodes per env id
    seed: int = 0  # episode i uses reset seed EVAL_SEED_OFFSET + seed + i
    temperature: float = 0.0  # 0 = greedy; > 0 samples
    num_envs: int = 1  # envs per task stepped side by side, one batched model call per tick
    out: Path | None = None  # where eval.json and the GIFs go; None = CHECKPOINT/eval
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)  # passed to gymnasium.make
    backend: str = "local"  # "local": in this process; "ray": Ray actors (agent.ray_eval), same report
    workers: int = 1  # ray backend: actors, each with its own envs and its own copy of the policy
    ray_address: str | None = None  # ray backend: the cluster to join; None = $RAY_ADDRESS or a local one
    views: int = 1  # views of each screen a decision pools (``policies.actor.VIEW_SHIFTS``)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.backend == "local" and (self.workers != 1 or self.ray_address is not None):
            raise ValueError(
                "workers, ray_address: only the ray backend uses them (local evaluation runs in this "
                "process; --num-envs steps envs side by side)"
            )
        if self.workers < 1:
            raise ValueError(f"workers: expected >= 1, got {self.workers}")
        if self.backend == "ray" and self.num_envs > 1:
            raise ValueError(
                f"num_envs: the ray backend runs one env per task on each actor (got num_envs "
                f"{self.num_envs}); spread episodes with --workers instead"
            )
        if self.episodes < 1:
            raise ValueError(f"episodes: expected >= 1, got {self.episodes}")
        if self.num_envs < 1:
            raise ValueError(f"num_envs: expected >= 1, got {self.num_envs}")
        if self.temperature < 0:
            raise ValueError(f"temperature: expected >= 0, got {self.temperature}")
        if self.views < 1:  # the most a policy takes is checked where it is loaded
            raise ValueError(f"views: expected >= 1, got {self.views}")
        if self.num_envs > 1 and self.temperature > 0:
            raise ValueError(
                f"num_envs: {self.num_envs} envs decide greedily; use temperature 0 or num_envs 1 "
                f"(got temperature {self.temperature})"
            )
        object.__setattr__(self, "checkpoint", Path(self.checkpoint))
        if self.out is not None:
            object.__setattr__(self, "out", Path(self.out))

    @property
    def out_dir(self) -> Path:
        """Where eval.json and the GIFs go."""
        if self.out is not None:
            return self.out
        return (PRETRAINED_RUNS if _is_pretrained(self.checkpoint) else self.checkpoint) / "eval"

    @property
    def tensorboard_dir(self) -> Path | None:
        """Where the summaries go: the run folder's TensorBoard; None for the shipped weights (no run folder)."""
        return None if _is_pretrained(self.checkpoint) else self.checkpoint / TENSORBOARD_DIR


def _is_pretrained(run: Path) -> bool:
    return str(run) == "pretrained"  # ``policies.pretrained.PRETRAINED``, without importing JAX here


def _load_newest(run: Path, load: Callable[[], Any]) -> tuple[Any, int]:
    """``load()`` the run's newest checkpoint and return it with that checkpoint's training step.

    The shipped weights (``pretrained``) have no run folder and are step 0.

    The actor loaders take the newest checkpoint and do not say which step that was, and a run
    still training may save another meanwhile: the step is read before and after loading, and the
    load repeated until no checkpoint appeared in between.
    """
    from deskpilot.policies.checkpoint import CheckpointError, latest_step

    if _is_pretrained(run):
        return load(), 0
    for _ in range(3):
        step = latest_step(run)
        loaded = load()  # raises CheckpointError when there is no checkpoint
        if step is not None and latest_step(run) == step:
            return loaded, step
    raise CheckpointError(
        f"{run}: a new checkpoint appeared during each of 3 loads; is it saving every few seconds?"
    )


@contextlib.contextmanager
def progress_bar(total: int, file: IO[str] | None = None) -> Iterator[Callable[[str, EpisodeResult], None]]:
    """A progress callback for ``evaluate``: a tqdm bar of episodes with the running success rate.

    The bar draws only when ``file`` (default stderr) is a terminal, so logs and CI output get no
    carriage-return noise; the callback works either way.
    """
    done = wins = 0
    # disable=None: tqdm draws only on a terminal.
    with tqdm(total=total, desc="eval", unit="ep", file=file, disable=None) as bar:

        def update(env_id: str, episode: EpisodeResult) -> None:
            nonlocal done, wins
            done += 1
            wins += episode.success
            bar.set_postfix_str(f"success {wins / done:.0%} ({env_id.split('/')[-1]})", refresh=False)
            bar.update(1)

        yield update


def _first_frames(episodes: list[EpisodeResult]) -> dict[str, np.ndarray]:
    """Per env id, the first kept episode's first frame with its action drawn, as HWC uint8."""
    frames: dict[str, np.ndarray] = {}
    for episode in episodes:
        env_id = episode.trajectory.meta.env_id or "env"
        if env_id not in frames and episode.trajectory.steps:
            frames[env_id] = np.asarray(render_frames(episode.trajectory)[0])
    return frames


def log_to_tensorboard(report: EvalReport, logdir: Path | str, step: int) -> None:
    """Write success per task, the mean, and a failed and a solved first frame per task at ``step``."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(logdir), filename_suffix=EVENTS_SUFFIX)
    try:
        for task in report.tasks.values():
            writer.add_scalar(f"eval/{task.env_id}", task.success_rate, step)
        writer.add_scalar("eval/mean", report.mean_success, step)
        for kind, episodes in (("failed", report.failures), ("solved", report.successes)):
            for env_id, frame in _first_frames(episodes).items():
                writer.add_image(f"eval/{kind}/{env_id}", frame, step, dataformats="HWC")
    finally:
        writer.close()


def evaluate_run(config: EvalRunConfig) -> tuple[EvalReport, list[Path]]:
    """Evaluate ``config.checkpoint``'s newest checkpoint; return the report and the GIFs written.

    Writes ``eval.json`` and the GIFs in ``config.out_dir`` and the summaries in the run's TensorBoard
    folder (see the module docstring).
    """
    from deskpilot.policies.actor import PolicyActor, PolicyBatchActor

    env_ids = resolve_env_ids(config.env)
    run = config.checkpoint
    if config.backend == "ray":
        return _finish(config, *_evaluate_on_ray(config, env_ids))
    actor: PolicyActor | PolicyBatchActor
    if config.num_envs > 1:
        actor, step = _load_newest(
            run, lambda: PolicyBatchActor.from_checkpoint(run, num_slots=config.num_envs, views=config.views)
        )
    else:
        actor, step = _load_newest(
            run,
            lambda: PolicyActor.from_checkpoint(
                run, temperature=config.temperature, seed=config.seed, views=config.views
            ),
        )
    with progress_bar(config.episodes * len(env_ids)) as progress:
        report = evaluate(
            actor,
            env_ids,
            episodes=config.episodes,
            seed=config.seed,
            env_kwargs=config.env_kwargs,
            progress=progress,
            num_envs=config.num_envs,
        )
    return _finish(config, report, step)


def _finish(config: EvalRunConfig, report: EvalReport, step: int) -> tuple[EvalReport, list[Path]]:
    """Name the checkpoint in the report and write eval.json, the GIFs and the TensorBoard summaries."""
    run = config.checkpoint
    name = str(run) if _is_pretrained(run) else str(run.resolve())
    report = dataclasses.replace(report, checkpoint=name, step=step)
    report.save(config.out_dir / "eval.json")
    pictures = report.save_pictures(config.out_dir)
    if config.tensorboard_dir is not None:
        log_to_tensorboard(report, config.tensorboard_dir, step)
    return report, pictures


def policy_actor(
    config: Config,
    graphdef: nnx.GraphDef,
    params: nnx.State,
    temperature: float,
    seed: int,
    views: int = 1,
) -> PolicyActor:
    """A ``PolicyActor`` from loaded parameters: what each Ray actor makes (it needs no run folder)."""
    from deskpilot.policies.actor import PolicyActor, Predictor

    predictor = Predictor(config, graphdef, params, sample=temperature > 0, views=views)
    return PolicyActor(predictor, temperature=temperature, seed=seed)


def _evaluate_on_ray(config: EvalRunConfig, env_ids: list[str]) -> tuple[EvalReport, int]:
    """The driver loads the newest checkpoint once and sends its parameters to every Ray actor.

    So every actor plays the step the report names, even while training saves newer ones, and the
    actors need not see the run folder (on a cluster, only the driver's machine may have it).
    """
    import jax

    from deskpilot.agent.ray_eval import evaluate_on_ray
    from deskpilot.policies.actor import Predictor

    run = config.checkpoint
    predictor, step = _load_newest(run, lambda: Predictor.from_checkpoint(run, views=config.views))
    make_actor = functools.partial(
        policy_actor,
        predictor.config,
        predictor.graphdef,
        jax.device_get(predictor.params),  # host arrays: they travel to the actors
        config.temperature,
        config.seed,
        config.views,
    )
    with progress_bar(config.episodes * len(env_ids)) as progress:
        report = evaluate_on_ray(
            make_actor,
            env_ids,
            episodes=config.episodes,
            seed=config.seed,
            env_kwargs=config.env_kwargs,
            progress=progress,
            workers=config.workers,
            address=config.ray_address,
        )
    return report, step
