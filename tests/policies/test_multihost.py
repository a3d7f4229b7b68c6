"""Two real JAX processes on this machine (CPU collectives over gloo) train under one minute budget.

Both must stop at the same step with identical parameters, equal to one process trained on the same
global batches with the same learning rates: the budget and the schedule come from process 0's
clock, whatever each host's own clock says.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, time
from pathlib import Path
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
port, pid, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid)
import numpy as np
import deskpilot.policies.train as T
from tests.policies.test_multihost import config_and_data, GlobalBatches

made = []
class Capturing(T.Trainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        made.append(self)
T.Trainer = Capturing
config, data = config_and_data()
lrs = []


def on_log(line):
    lrs.append(line["lr"])
    if line["step"] == 5:  # parameters early on, before Adam amplifies float rounding in tiny gradients
        leaves = [np.asarray(x.addressable_data(0)) for x in jax.tree.leaves(made[0].params)]
        np.savez(out / f"early{pid}.npz", *leaves)


if pid == 1:
    time.sleep(3.0)  # this host's own clock now lags process 0's by three seconds
report = T.train_and_evaluate(
    config, T.TrainData(GlobalBatches(data, 8, part=(pid, 2))), out / "run", progress=False,
    on_log=on_log,
)
leaves = [np.asarray(x.addressable_data(0)) for x in jax.tree.leaves(made[0].params)]
np.savez(out / f"params{pid}.npz", *leaves)
(out / f"log{pid}.json").write_text(json.dumps({"step": report["step"], "lrs": lrs}))
"""


def config_and_data():
    """The tiny model with a 40-second budget (compiling included), a batch of 8 and fake episodes."""
    import dataclasses

    from deskpilot.policies.config import get_config
    from deskpilot.policies.data import ArrayDataset
    from tests.policies.fakes import make_episodes

    config = get_config("tiny")
    tc = dataclasses.replace(
        config.train,
        batch_size=8,
        minutes=40 / 60,
        steps=10**9,
        log_every=1,
        eval_every=10**6,
        checkpoint_every=10**6,
        warmup_fraction=0.2,
    )
    config = dataclasses.replace(config, train=tc)
    return config, ArrayDataset.from_trajectories(make_episodes(8), config.model)


class GlobalBatches:
    """The same seeded global batches on every process; ``part=(i, n)`` gives process i its n-th share."""

    def __init__(self, dataset, batch_size: int, part: tuple[int, int] = (0, 1)) -> None:
        self.dataset, self.batch_size, self.part, self.i = dataset, batch_size, part, 0

    def next_batch(self):
        rng = np.random.default_rng(self.i)
        self.i += 1
        rows = rng.choice(len(self.dataset), self.batch_size, replace=False)
        share = self.batch_size // self.part[1]
        return self.dataset.take(rows[self.part[0] * share : (self.part[0] + 1) * share])

    def state(self):
        return {"i": self.i}

    def restore(self, state) -> None:
        self.i = state["i"]

    def close(self) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.multihost
def test_two_processes_stop_together_with_the_parameters_of_one(tmp_path):
    import jax

    from deskpilot.policies.step import Trainer

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(port), str(pid), str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for pid in (0, 1)
    ]
    outputs = []
    for child in children:
        try:
            outputs.append(child.communicate(timeout=300)[0])
        finally:
            for c in children:
                c.kill()
    assert all(c.returncode == 0 for c in children), "\n".join(o[-3000:] for o in outputs)
    logs = [json.loads((tmp_path / f"log{pid}.json").read_text()) for pid in (0, 1)]
    assert logs[0]["step"] == logs[1]["step"] >= 3
    assert logs[0]["lrs"] == logs[1]["lrs"]  # process 0's clock decided every step's rate
    params = [np.load(tmp_path / f"params{pid}.npz") for pid in (0, 1)]
    for name in params[0].files:
        np.testing.assert_array_equal(params[0][name], params[1][name])
    # One process, the same global batches and rates.
    config, data = config_and_data()
    trainer = Trainer(config)
    batches = GlobalBatches(data, 8)
    for lr in logs[0]["lrs"][:5]:
        trainer.step(batches.next_batch(), lr)
    single = [np.asarray(x) for x in jax.tree.leaves(trainer.params)]
    early = np.load(tmp_path / "early0.npz")
    assert len(single) == len(early.files)
    for i, value in enumerate(single):
        np.testing.assert_allclose(early[f"arr_{i}"], value, rtol=1e-4, atol=1e-6)
