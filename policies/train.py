"""Training's public entry points, in one place to import them from.

* ``train_and_evaluate(config, data, workdir)``: the loop, data parallel over every device JAX sees
  (``policies.loop``, whose docstring covers multi-host runs and the schedule).
* ``train_from_directory``, ``train_on_envs``, ``finetune``: build a run's data, then train
  (``policies.assemble``).
* ``Trainer``, ``make_optimizer``: the compiled train and eval steps, the optimiser (``policies.step``).
* ``load_params``: a trained model for inference.
"""

from deskpilot.policies.assemble import finetune, train_from_directory, train_on_envs
from deskpilot.policies.loop import (
    UNTIL_STOPPED,
    DataSource,
    TrainData,
    load_params,
    maybe_initialize_distributed,
    train_and_evaluate,
)
from deskpilot.policies.step import Trainer, make_optimizer

__all__ = [
    "UNTIL_STOPPED",
    "DataSource",
    "TrainData",
    "Trainer",
    "finetune",
    "load_params",
    "make_optimizer",
    "maybe_initialize_distributed",
    "train_and_evaluate",
    "train_from_directory",
    "train_on_envs",
]
