"""A trained policy as an ``envs.Actor``: screenshot + task -> ``Action``, one compiled call per step.

``PolicyActor.from_checkpoint(run_dir)`` loads the newest checkpoint of a training run. The actor
keeps its own action history (the model's history tokens) and step counter, pads everything to
the model's fixed shapes, and calls one jitted function whose input shapes never change, so it
compiles once, on the first step, and never again. Greedy by default; ``temperature > 0`` samples
with an explicit PRNG key that is split every step.

``Predictor`` is the batched core (``B`` decisions in one call); ``PolicyBatchActor`` drives
several envs with it at once, one compiled call per tick (``agent.vector_eval``). With ``views`` > 1
each decision pools the screen seen from a few places a few pixels apart (``VIEW_SHIFTS``), which
reads small captions more surely than one view (``deskpilot run`` uses five).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deskpilot.envs.actions import KEY_COMBOS, MAX_SCROLL, MAX_TEXT_LENGTH, TEXT_CHARSET, Action, ActionType
from deskpilot.envs.spaces import Observation
from deskpilot.policies.config import Config, ModelConfig
from deskpilot.policies.data import Example, encode_inputs
from deskpilot.policies.decode import DECODED, predict
from deskpilot.policies.pointing import cell_to_point, moved_points
from deskpilot.policies.tokenizer import END, SPAN, decode

__all__ = ["PolicyActor", "PolicyBatchActor", "Predictor", "choice_to_action"]

# The decoded outputs, and whether each is a sequence (``L`` in its shape: the writer's bytes, each
# decoded after the bytes before it in the same view).
DECODED_OUTPUTS = {k: "L" in shape for h in DECODED for k, shape in h.outputs.items()}
_TEXT_OK = frozenset(TEXT_CHARSET)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def _clean_text(text: str) -> str:
    return "".join(c for c in text if c in _TEXT_OK)[:MAX_TEXT_LENGTH]


def _written(ids: np.ndarray) -> str | None:
    """The text the writer wrote, up to ``END``; None when it defers to the span (``SPAN`` first)."""
    ids = np.asarray(ids)
    if ids[0] == SPAN:
        return None
    ends = np.flatnonzero(ids == END)
    return decode(ids[: ends[0]] if len(ends) else ids)


def choice_to_action(choice: dict[str, Any], task_ids: np.ndarray, task: str, cfg: ModelConfig) -> Action:
    """Turn one example's head choices (``predict`` output: host ints, the written text's tokens) into an ``Action``.

    Clicks land at cell centres. TYPE types what the writer wrote when the model has one
    (``model.typed_len``), else the chosen task span; when that is nothing typeable it falls back to
    the span, then to the first quoted string in the task, and to WAIT if there is none.
    """
    kind = ActionType(int(choice["type"]))
    x, y = cell_to_point(choice["pointer"], cfg)
    if kind in (ActionType.CLICK, ActionType.DOUBLE_CLICK, ActionType.RIGHT_CLICK):
        return Action(kind, x=x, y=y)
    if kind is ActionType.DRAG:
        return Action.drag(x, y, *cell_to_point(choice["pointer2"], cfg))
    if kind is ActionType.SCROLL:
        i = int(choice["scroll"])
        return Action.scroll_at(x, y, i - MAX_SCROLL if i < MAX_SCROLL else i - MAX_SCROLL + 1)
    if kind is ActionType.KEY:
        return Action.press(KEY_COMBOS[int(choice["key"])])
    if kind is ActionType.TYPE:
        written = _written(choice["text"]) if cfg.typed_len else None
        text = _clean_text(written) if written is not None else ""
        if not text:
            text = _clean_text(decode(task_ids[int(choice["span_start"]) : int(choice["span_end"]) + 1]))
        if not text:
            quoted = _QUOTED.search(task)
            text = _clean_text(quoted.group(1)) if quoted else ""
        return Action.type_text(text) if text else Action.wait()
    return Action(kind)


# Where the screen is seen from when a decision pools several views (``views`` > 1): the screen as
# it is, then moved 3 pixels right, left, down and up. A word's pixels fall differently on the 8-px
# cells in each, so a reading that hangs on where the word stands against the grid (a caption
# taken for its lookalike) is outvoted; under half a cell, each view keeps what stood in a cell
# mostly in that cell, so their pointers can be pooled cell by cell.
VIEW_SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (0, 3), (0, -3), (3, 0), (-3, 0))  # (dy, dx) px


def shifted_views(
    batch: dict[str, jax.Array], shifts: Sequence[tuple[int, int]], cfg: ModelConfig
) -> dict[str, jax.Array]:
    """``batch`` (B rows) -> V*B rows: the screen moved by each (dy, dx) pixels, the history's points with it.

    Edge pixels fill what is uncovered, as a window's background would.
    """
    h, w = cfg.obs_size
    m = max(max(abs(dy), abs(dx)) for dy, dx in shifts)
    padded = jnp.pad(batch["screen"], ((0, 0), (m, m), (m, m), (0, 0)), mode="edge")
    views = [
        {
            **batch,
            "screen": padded[:, m - dy : m - dy + h, m - dx : m - dx + w],
            "hist_xy": moved_points(batch["hist_xy"], batch["hist_type"], dx / w, dy / h, jnp),
        }
        for dy, dx in shifts
    ]
    return {k: jnp.concatenate([v[k] for v in views]) for k in batch}


def pooled_views(out: dict[str, jax.Array], views: int) -> dict[str, jax.Array]:
    """The decoded outputs of ``views`` stacked copies (V*B rows) -> B rows: their log-probabilities averaged.

    A sequence is the first view's as it is: each view wrote its bytes after its own earlier ones,
    so averaging them byte by byte would splice different texts.
    """
    pooled = {}
    for key, sequence in DECODED_OUTPUTS.items():
        logp = jax.nn.log_softmax(out[key].astype(jnp.float32), -1)
        logp = logp.reshape(views, logp.shape[0] // views, *logp.shape[1:])
        pooled[key] = logp[0] if sequence else logp.mean(0)
    return pooled


class Predictor:
    """Batched decisions with one compiled function (shapes fixed by the model config).

    ``views`` > 1 decides each row from that many views of its screen (the first ``views`` of
    ``VIEW_SHIFTS``), their log-probabilities averaged: one model call on ``views`` times the rows.
    """

    def __init__(
        self,
        config: Config,
        graphdef: nnx.GraphDef,
        params: nnx.State,
        *,
        sample: bool = False,
        views: int = 1,
    ) -> None:
        if not 1 <= views <= len(VIEW_SHIFTS):
            raise ValueError(f"views: expected 1 to {len(VIEW_SHIFTS)}, got {views}")
        self.config, self.graphdef, self.params, self.sample = config, graphdef, params, sample
        self.views = views
        shifts = VIEW_SHIFTS[:views]

        def choose(
            params: nnx.State, batch: dict[str, jax.Array], rng: jax.Array, temperature: jax.Array
        ) -> Any:
            model = nnx.merge(graphdef, params)
            if views == 1:
                out = model(batch)
            else:
                out = pooled_views(model(shifted_views(batch, shifts, config.model)), views)
            return predict(out, rng if sample else None, temperature)

        self.fn = jax.jit(choose)

    @classmethod
    def from_checkpoint(cls, run_dir: Path | str, *, sample: bool = False, views: int = 1) -> Predictor:
        """The newest checkpoint of a training run folder."""
        from deskpilot.policies.train import load_params

        config, graphdef, params = load_params(run_dir)
        return cls(config, graphdef, params, sample=sample, views=views)

    def sampling(self, sample: bool) -> Predictor:
        """This predictor if it samples as asked, else one over the same weights and views that does."""
        if sample == self.sample:
            return self
        return Predictor(self.config, self.graphdef, self.params, sample=sample, views=self.views)

    def __call__(
        self, batch: Example, rng: jax.Array | None = None, temperature: float = 1.0
    ) -> list[dict[str, Any]]:
        """Head choices for every example of ``batch`` (arrays with a leading axis B)."""
        rng = jax.random.key(0) if rng is None else rng
        out = jax.device_get(self.fn(self.params, batch, rng, jnp.asarray(temperature, jnp.float32)))
        n = len(batch["step"])
        return [{k: int(v[i]) if v.ndim == 1 else v[i] for k, v in out.items()} for i in range(n)]

    def actions(
        self, observations: Sequence[Observation], histories: Sequence[Sequence[Action]]
    ) -> list[Action]:
        """Greedy (or sampled, key 0) actions for several observations at once (vectorised eval)."""
        cfg = self.config.model
        rows = [
            encode_inputs(o["screenshot"], o["task"], h, len(h), cfg)
            for o, h in zip(observations, histories, strict=True)
        ]
        batch = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
        choices = self(batch)
        return [
            choice_to_action(c, r["task"], o["task"], cfg)
            for c, r, o in zip(choices, rows, observations, strict=True)
        ]


class PolicyActor:
    """An ``envs.Actor`` driven by a trained model.

    Args:
        predictor: the compiled model.
        temperature: 0 for greedy decisions, > 0 to sample at that temperature.
        seed: PRNG seed for sampling (the key is split every step and reset by ``reset``).
    """

    def __init__(self, predictor: Predictor, *, temperature: float = 0.0, seed: int = 0) -> None:
        if temperature < 0:
            raise ValueError(f"temperature: expected >= 0, got {temperature}")
        predictor = predictor.sampling(temperature > 0)
        self.predictor, self.temperature, self.seed = predictor, temperature, seed
        self.history: list[Action] = []
        self.key = jax.random.key(seed)

    @classmethod
    def from_checkpoint(
        cls, run_dir: Path | str, *, temperature: float = 0.0, seed: int = 0, views: int = 1
    ) -> PolicyActor:
        """Load the newest checkpoint of a training run folder (``deskpilot train --out RUN_DIR``)."""
        predictor = Predictor.from_checkpoint(run_dir, sample=temperature > 0, views=views)
        return cls(predictor, temperature=temperature, seed=seed)

    def reset(self) -> None:
        """Forget the previous episode's actions; restart the sampling key."""
        self.history = []
        self.key = jax.random.key(self.seed)

    def act(self, observation: Observation, info: dict[str, Any] | None = None) -> Action:
        """The next action; ``info`` is ignored (a policy sees only the observation)."""
        cfg = self.predictor.config.model
        inputs = encode_inputs(
            observation["screenshot"], observation["task"], self.history, len(self.history), cfg
        )
        batch = {k: v[None] for k, v in inputs.items()}
        self.key, step_key = jax.random.split(self.key)
        choice = self.predictor(batch, step_key, self.temperature)[0]
        action = choice_to_action(choice, inputs["task"], observation["task"], cfg)
        self.history.append(action)
        return action


class PolicyBatchActor:
    """Greedy decisions for up to ``num_slots`` envs at once; a batch actor of ``agent.vector_eval``.

    Keeps one action history per slot (env). Every model call has exactly ``num_slots`` rows, so the
    jitted function compiles once: when fewer slots are active (the last episodes of a task) the
    batch is padded by repeating its last row, and the padded decisions are thrown away.

    Args:
        predictor: the compiled model (a sampling one is rebuilt greedy).
        num_slots: the fixed batch size, at least the number of envs stepped side by side.
    """

    def __init__(self, predictor: Predictor, num_slots: int) -> None:
        if num_slots < 1:
            raise ValueError(f"num_slots: expected >= 1, got {num_slots}")
        self.predictor, self.num_slots = predictor.sampling(False), num_slots
        self.histories: list[list[Action]] = [[] for _ in range(num_slots)]

    @classmethod
    def from_checkpoint(cls, run_dir: Path | str, num_slots: int, *, views: int = 1) -> PolicyBatchActor:
        """Load the newest checkpoint of a training run folder (``deskpilot train --out RUN_DIR``)."""
        return cls(Predictor.from_checkpoint(run_dir, views=views), num_slots)

    def reset(self, slot: int) -> None:
        """Forget the actions of the previous episode in ``slot``."""
        self.histories[slot] = []

    def act_batch(
        self,
        observations: Sequence[Observation],
        infos: Sequence[dict[str, Any]],
        slots: Sequence[int],
    ) -> list[Action]:
        """The next action of each active slot; ``infos`` are ignored (a policy sees only pixels)."""
        if not slots or len(slots) != len(observations) or len(set(slots)) != len(slots):
            raise ValueError(f"slots: expected distinct slots, one per observation, got {list(slots)}")
        if not all(0 <= s < self.num_slots for s in slots):
            raise ValueError(f"slots: expected slots in [0, {self.num_slots}), got {list(slots)}")
        pad = self.num_slots - len(slots)
        histories = [self.histories[s] for s in slots]
        actions = self.predictor.actions(
            [*observations, *[observations[-1]] * pad], [*histories, *[histories[-1]] * pad]
        )[: len(slots)]
        for history, action in zip(histories, actions, strict=True):
            history.append(action)
        return actions
