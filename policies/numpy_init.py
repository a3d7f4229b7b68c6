"""Fresh model parameters drawn with numpy: ``init_params(cfg, seed)``.

Kept apart from ``policies.model`` because it is about start-up time, not the architecture: it
walks the parameter tree of an abstract ``Policy`` and fills each leaf by its name, instead of
running the modules' own ``nnx`` initializers, whose dozens of random-number ops XLA on a CPU
takes seconds to compile.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from deskpilot.policies.config import ModelConfig
from deskpilot.policies.model import Policy

__all__ = ["init_params"]

# Parameters that start at a set value, not a draw, by (module, name): the priors a module's own
# initializer gives (a small draw would start them off).
_CONSTANTS: dict[tuple[str, ...], float] = {
    ("writer", "follow"): 5.0,  # the writer's copy goes on where it left off (``TextDecoder.follow``)
}


def init_params(cfg: ModelConfig, seed: int) -> tuple[nnx.GraphDef, nnx.State]:
    """(structure, parameters) of a fresh model, initialised with numpy.

    Equivalent in distribution to the modules' own initializers (LeCun-normal kernels, zero biases,
    unit norms, 1/sqrt(D) embeddings, 0.02 for position tables), but XLA on a CPU takes 5-12 s to
    compile the dozens of random-number ops an ``nnx`` init traces; numpy takes milliseconds.
    """
    graphdef, abstract = nnx.split(nnx.eval_shape(lambda: Policy(cfg, nnx.Rngs(0))))
    rng = np.random.default_rng(seed)

    def init(path: tuple[Any, ...], leaf: jax.ShapeDtypeStruct) -> jax.Array:
        keys = tuple(str(getattr(k, "key", "")) for k in path if hasattr(k, "key"))
        name = keys[-1]
        shape = leaf.shape
        if keys[-2:] in _CONSTANTS:
            value = np.full(shape, _CONSTANTS[keys[-2:]])
        elif name == "bias":
            value = np.zeros(shape)
        elif name == "scale":
            value = np.ones(shape)
        elif name == "kernel":
            value = rng.standard_normal(shape) / math.sqrt(math.prod(shape[:-1]))
        elif name == "embedding":
            value = rng.standard_normal(shape) / math.sqrt(shape[-1])
        else:  # position tables, CLS and SEP vectors
            value = rng.standard_normal(shape) * 0.02
        return jnp.asarray(value, leaf.dtype)

    return graphdef, jax.tree_util.tree_map_with_path(init, abstract)
