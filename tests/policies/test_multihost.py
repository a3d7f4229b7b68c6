"""Two real JAX processes on this machine (CPU collectives over gloo) train under one minute budget.

Both must stop at the same step with identical parameters, equal to one process trained on the same
global batches with the same learning rates: the budget and the schedule come from process 0's
clock, whatever each host's own clock says.

Three processes run side by side: the two hosts, and the single-process reference, which compiles
its step while they train and then replays process 0's learning rates (read from its stdin).
Compiling the tiny model's step takes most of the test's time, so every process compiles before
any clock starts, and the budget only has to hold a few steps.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUDGET_S = 10.0  # the training budget, by process 0's clock (process 1's runs at half speed)
EARLY_STEP = 5  # parameters compared with the single process after this many steps
TIMEOUT_S = 240.0  # for the whole test: compiling three times on two loaded cores, then 10 s of steps

CHILD = """
import json, sys, time, types
from pathlib import Path
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
port, pid, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
if pid >= 0:
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid)
import numpy as np
import deskpilot.policies.step as S
import deskpilot.policies.loop as T  # the loop: its Trainer and clock are patched below
from tests.policies.test_multihost import EARLY_STEP, GlobalBatches, config_and_data, sgd

S.make_optimizer = sgd
config, data = config_and_data()
part = (pid, 2) if pid >= 0 else (0, 1)
# Compile the step now (the trainers below reuse it: Trainer caches compiled steps per config).
S.Trainer(config).step(GlobalBatches(data, 8, part).next_batch(), 0.0)


def leaves(trainer):
    return [np.asarray(x.addressable_data(0)) for x in jax.tree.leaves(trainer.params)]


if pid < 0:  # the single-process reference: process 0's learning rates, then the same batches
    lrs = json.loads(sys.stdin.readline())
    trainer, batches = S.Trainer(config), GlobalBatches(data, 8)
    np.savez(out / "init.npz", *leaves(trainer))
    for lr in lrs:
        trainer.step(batches.next_batch(), lr)
    np.savez(out / "single.npz", *leaves(trainer))
    sys.exit()

from jax.experimental import multihost_utils
multihost_utils.broadcast_one_to_all(np.float32(0))  # and the broadcast of process 0's clock
made = []
class Capturing(T.Trainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        made.append(self)
T.Trainer = Capturing
lrs = []


def on_log(line):
    lrs.append(line["lr"])
    if line["step"] == EARLY_STEP:
        np.savez(out / f"early{pid}.npz", *leaves(made[0]))


if pid == 1:  # by this host's own clock (the loop's), it would train twice as long
    T.time = types.SimpleNamespace(**vars(time))
    T.time.monotonic = lambda: 0.5 * time.monotonic()
report = T.train_and_evaluate(
    config, T.TrainData(GlobalBatches(data, 8, part=part), val=data), out / "run", progress=False, on_log=on_log
)
np.savez(out / f"params{pid}.npz", *leaves(made[0]))
(out / f"log{pid}.json").write_text(json.dumps({"step": report["step"], "lrs": lrs, "val": report["val"], "examples": len(data)}))
"""


def sgd(tc):
    """Plain SGD with the run's weight decay, in place of ``step.make_optimizer``'s chain.

    Adam hides what this test is about. Its first updates are about ``lr * sign(g)``, so a gradient
    of rounding size (a parameter the loss barely touches) moves by a full ``lr`` in a direction
    float reassociation decides: two correct runs differ by ~``lr`` (3.7e-4 was seen). Adam, and
    global-norm clipping (the tiny model's gradient norm starts near 220, far above the clip of 1),
    also undo a gradient's scale, so a gradient summed where it should be averaged would not show.
    With SGD the parameters move by ``lr * g`` (60 unclipped steps at the peak rate stay finite).
    """
    import optax

    return optax.add_decayed_weights(tc.weight_decay)


def config_and_data():
    """The tiny model with a short budget, a batch of 8 and fake episodes.

    No warm-up: the first steps run at the full rate, so they move the parameters far more than
    float rounding does (see the test's comparison).
    """
    import dataclasses

    from deskpilot.policies.config import get_config
    from deskpilot.policies.data import ArrayDataset
    from deskpilot.policies.train import UNTIL_STOPPED
    from tests.policies.fakes import make_episodes

    config = get_config("tiny")
    tc = dataclasses.replace(
        config.train,
        batch_size=8,
        minutes=BUDGET_S / 60,
        steps=UNTIL_STOPPED,
        log_every=1,
        eval_every=10**6,
        checkpoint_every=10**6,
        warmup_fraction=0.0,
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


def _wait(procs: dict[str, subprocess.Popen], deadline: float, logs: Path) -> None:
    """Wait for every process until ``deadline``; on a timeout or a failure, say which and show its output."""
    for name, proc in procs.items():
        with contextlib.suppress(subprocess.TimeoutExpired):  # reported below, with the output
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        if proc.returncode != 0:
            tail = (logs / f"{name}.txt").read_text()[-3000:]
            problem = "timed out" if proc.returncode is None else f"exited with {proc.returncode}"
            raise AssertionError(f"{name} {problem}:\n{tail}")


@pytest.mark.slow
def test_two_processes_stop_together_with_the_parameters_of_one(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)  # one CPU device per process
    deadline = time.monotonic() + TIMEOUT_S
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, pid in (("host0", 0), ("host1", 1), ("single", -1)):
            # Output to files, not pipes: a pipe nobody reads yet would block its writer.
            with open(tmp_path / f"{name}.txt", "w") as log:
                procs[name] = subprocess.Popen(
                    [sys.executable, "-c", CHILD, str(port), str(pid), str(tmp_path)],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
        _wait({k: procs[k] for k in ("host0", "host1")}, deadline, tmp_path)
        logs = [json.loads((tmp_path / f"log{pid}.json").read_text()) for pid in (0, 1)]
        assert procs["single"].stdin is not None
        procs["single"].stdin.write(json.dumps(logs[0]["lrs"][:EARLY_STEP]) + "\n")
        procs["single"].stdin.close()
        _wait({"single": procs["single"]}, deadline, tmp_path)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()

    assert logs[0]["step"] == logs[1]["step"] >= EARLY_STEP
    assert logs[0]["lrs"] == logs[1]["lrs"]  # process 0's clock decided every step's rate
    # Validation at the end: each host scores the whole set from the rows its own devices hold.
    assert logs[0]["val"] == logs[1]["val"] and logs[0]["val"]["examples"] == logs[0]["examples"]
    params = [np.load(tmp_path / f"params{pid}.npz") for pid in (0, 1)]
    for name in params[0].files:
        np.testing.assert_array_equal(params[0][name], params[1][name])
    # One process, the same global batches and rates: how far the hosts' parameters moved in 5 steps
    # must match how far the single process's moved. The runs differ only in how float32 sums are
    # grouped (two partial sums over 4 examples, all-reduced, against one over 8): a few roundings,
    # relative 1e-6 of each gradient, and each update's result rounds to a neighbouring float at
    # worst (2**-23 of a parameter, |p| <= ~1, against moves of ~lr * |g| ~ 1e-3 .. 1e-1). Measured:
    # one float step (1.2e-7) at most per parameter, relative 1.2e-6 of the move. A wrong share of
    # the batch, or a gradient summed instead of averaged, is off by the order of the move itself.
    init, single = np.load(tmp_path / "init.npz"), np.load(tmp_path / "single.npz")
    early = np.load(tmp_path / "early0.npz")
    assert len(single.files) == len(early.files) == len(params[0].files)
    names = single.files
    moved = np.sqrt(sum(np.sum((single[n] - init[n]) ** 2.0) for n in names))
    off = np.sqrt(sum(np.sum((early[n] - single[n]) ** 2.0) for n in names))
    assert moved > 0.1 and off <= 1e-4 * moved, (off, moved)
