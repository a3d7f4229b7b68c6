"""A trained policy as an ``envs.Actor``: screenshot + task -> ``Action``, one compiled call per step.

``PolicyActor.from_checkpoint(run_dir)`` loads the newest checkpoint of a training run. The actor
keeps its own action history (the model's history tokens) and step counter, pads everything to
the model's fixed shapes, and calls one jitted function whose input shapes never change, so it
compiles once, on the first step, and never again. Greedy by default; ``temperature > 0`` samples
with an explicit PRNG key that is split every step.

``Predictor`` is the batched core (``B`` decisions in one call) for vectorised evaluation.
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

from envs.actions import KEY_COMBOS, MAX_SCROLL, MAX_TEXT_LENGTH, TEXT_CHARSET, Action, ActionType
from envs.spaces import Observation
from policies.config import Config
from policies.data import Example, cell_to_point, encode_inputs
from policies.model import ModelConfig, predict
from policies.tokenizer import decode

__all__ = ["PolicyActor", "Predictor", "choice_to_action"]

_TEXT_OK = frozenset(TEXT_CHARSET)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def _clean_text(text: str) -> str:
    return "".join(c for c in text if c in _TEXT_OK)[:MAX_TEXT_LENGTH]


def choice_to_action(choice: dict[str, int], task_ids: np.ndarray, task: str, cfg: ModelConfig) -> Action:
    """Turn one example's head choices (``predict`` output, host ints) into a valid ``Action``.

    Clicks land at cell centres. TYPE copies the chosen task span; when that decodes to nothing
    typeable it falls back to the first quoted string in the task, and to WAIT if there is none.
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
        text = _clean_text(decode(task_ids[int(choice["span_start"]) : int(choice["span_end"]) + 1]))
        if not text:
            quoted = _QUOTED.search(task)
            text = _clean_text(quoted.group(1)) if quoted else ""
        return Action.type_text(text) if text else Action.wait()
    return Action(kind)


class Predictor:
    """Batched decisions with one compiled function (shapes fixed by the model config)."""

    def __init__(
        self, config: Config, graphdef: nnx.GraphDef, params: nnx.State, *, sample: bool = False
    ) -> None:
        self.config, self.graphdef, self.params, self.sample = config, graphdef, params, sample

        def choose(
            params: nnx.State, batch: dict[str, jax.Array], rng: jax.Array, temperature: jax.Array
        ) -> Any:
            out = nnx.merge(graphdef, params)(batch)
            return predict(out, rng if sample else None, temperature)

        self.fn = jax.jit(choose)

    @classmethod
    def from_checkpoint(cls, run_dir: Path | str, *, sample: bool = False) -> Predictor:
        """The newest checkpoint of a training run folder."""
        from policies.train import load_params

        config, graphdef, params = load_params(run_dir)
        return cls(config, graphdef, params, sample=sample)

    def __call__(
        self, batch: Example, rng: jax.Array | None = None, temperature: float = 1.0
    ) -> list[dict[str, int]]:
        """Head choices for every example of ``batch`` (arrays with a leading axis B)."""
        rng = jax.random.key(0) if rng is None else rng
        out = jax.device_get(self.fn(self.params, batch, rng, jnp.asarray(temperature, jnp.float32)))
        n = len(batch["step"])
        return [{k: int(v[i]) for k, v in out.items()} for i in range(n)]

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
        if (temperature > 0) != predictor.sample:
            predictor = Predictor(
                predictor.config, predictor.graphdef, predictor.params, sample=temperature > 0
            )
        self.predictor, self.temperature, self.seed = predictor, temperature, seed
        self.history: list[Action] = []
        self.key = jax.random.key(seed)

    @classmethod
    def from_checkpoint(cls, run_dir: Path | str, *, temperature: float = 0.0, seed: int = 0) -> PolicyActor:
        """Load the newest checkpoint of a training run folder (``deskpilot train --out RUN_DIR``)."""
        return cls(
            Predictor.from_checkpoint(run_dir, sample=temperature > 0), temperature=temperature, seed=seed
        )

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
