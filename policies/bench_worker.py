"""One tree's train step, timed on request: what ``bench_train_against`` runs in each tree.

Not imported by deskpilot: ``policies.bench`` runs this file's text with ``python -c`` in a copy of
an older commit (and in this tree), that tree first on the path, so it uses only what every tree
since the ``deskpilot.*`` names has: ``policies.bench._fake_examples``, ``policies.config.get_config``
and a ``Trainer`` whose ``step(batch, lr)`` runs one optimiser step. Protocol on stdout, one line
each: ``READY <batch size>`` once compiled and warmed up, then ``STEP <seconds>`` for every line read
from stdin.
"""

import sys
import time
from pathlib import Path


def main(config_name: str) -> None:
    """Compile ``config_name``'s train step on a fixed batch, then time one step per stdin line."""
    import deskpilot

    # A tree without the package would silently time the installed one instead.
    if not Path(deskpilot.__file__).resolve().is_relative_to(Path.cwd().resolve()):
        sys.exit(f"{Path.cwd()} has no deskpilot package (the one found is {deskpilot.__file__})")
    import jax
    import numpy as np

    from deskpilot.policies.bench import _fake_examples
    from deskpilot.policies.config import get_config

    try:
        from deskpilot.policies.step import Trainer
    except ImportError:  # trees before the step moved out of policies.train
        from deskpilot.policies.train import Trainer  # type: ignore[no-redef, attr-defined]

    config = get_config(config_name)
    batch_size = config.train.batch_size
    batch = _fake_examples(config_name, batch_size).take(np.arange(batch_size))
    trainer = Trainer(config)
    for _ in range(2):  # compile, then one warm step
        trainer.step(batch, 1e-4)
        jax.block_until_ready(trainer.params)
    print(f"READY {batch_size}", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        trainer.step(batch, 1e-4)
        jax.block_until_ready(trainer.params)
        print(f"STEP {time.perf_counter() - start}", flush=True)


if __name__ == "__main__":  # run as ``python -c <this file's text> CONFIG``
    main(sys.argv[1] if len(sys.argv) > 1 else "small")
