"""Teach by showing, measured: record demonstrations of ``app.py``'s tasks, train, run the agent live.

    python examples/teach/measure.py --out runs/teach [--demos 20] [--runs 30] [--minutes 5]
        [--only finetuned ...] [--kinds boxes ...] [--views 5]

1. On its own Xvfb, a scripted person (``person.py``) shows each kind of task ``--demos`` times
   through ``deskpilot record --success`` (layouts of seeds 0, 1, ...).
2. ``deskpilot train --data`` on all of them, twice, for ``--minutes`` each: as a user would
   (a small dataset fine-tunes the shipped pretrained weights by default) and ``--init-from none``
   (from scratch).
3. The pretrained weights alone, the fine-tuned and the from-scratch model each run live,
   executing, on ``--runs`` new layouts per kind (seeds from 10,000); the app says whether the task
   was done, the run says whether the agent stopped by itself (DONE) within 8 steps.

Every stage keeps its output under ``--out`` and is skipped when that is already there, so a run
can be resumed; ``results.json`` and the printed table hold the figures. ``--kinds boxes`` runs one
kind live (30 tick-box runs take about 20 s), a quick check while trying fine-tuning settings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from deskpilot.scripts.run import LIVE_VIEWS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

EVAL_SEED = 10_000  # layouts the demonstrations never showed
CONDITIONS = ("pretrained", "finetuned", "scratch")


def _record(out: Path, demos: int) -> float:
    import person

    start = time.monotonic()
    for kind in person.KINDS:
        for seed in range(demos):
            episode = f"{kind}-{seed:03d}"
            if (out / episode).is_dir():
                continue
            app = person.App(kind, seed)
            try:
                person.record(app, out, episode)
            finally:
                app.close()
    return time.monotonic() - start


def _train(data: Path, run: Path, minutes: float, scratch: bool) -> float:
    if (run / "checkpoints").is_dir():
        return 0.0
    command = [sys.executable, "-m", "deskpilot.scripts.cli", "train", "--data", str(data), "--out", str(run)]
    command += ["--minutes", str(minutes), *(["--init-from", "none"] if scratch else [])]
    start = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - start


def _evaluate(checkpoint: str, out: Path, runs: int, kinds: list[str], views: int) -> dict[str, Any]:
    import person

    from deskpilot.policies.actor import PolicyActor

    actor = PolicyActor.from_checkpoint(checkpoint, views=views)
    table: dict[str, Any] = {}
    for kind in kinds:
        attempts = []
        for i in range(runs):
            app = person.App(kind, EVAL_SEED + i)
            try:
                attempts.append(person.attempt(actor, app, out / kind))
            finally:
                app.close()
        latencies = [ms for a in attempts for ms in a.latency_ms[1:]]  # the first step compiles
        table[kind] = {
            "runs": runs,
            "solved": sum(a.solved for a in attempts),
            "task_done": sum(a.success for a in attempts),
            "stopped_by_itself": sum(a.stopped for a in attempts),
            "mean_steps": statistics.fmean(a.steps for a in attempts),
            "median_latency_ms": statistics.median(latencies) if latencies else None,
        }
        print(checkpoint, kind, table[kind], flush=True)
    return table


def main() -> None:
    """Record, train, run live; print and save the three-way table."""
    import person  # no display needed to import it: its input and capture libraries load when used

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/teach"))
    parser.add_argument("--demos", type=int, default=20, help="demonstrations per kind of task")
    parser.add_argument("--runs", type=int, default=30, help="live runs per kind and model")
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget of each model")
    parser.add_argument(
        "--views", type=int, default=LIVE_VIEWS, help="views each decision pools, as `deskpilot run --views`"
    )
    parser.add_argument("--only", choices=CONDITIONS, nargs="+", default=list(CONDITIONS))
    parser.add_argument(
        "--kinds", choices=person.KINDS, nargs="+", default=list(person.KINDS), help="kinds of task run live"
    )
    args = parser.parse_args()

    from deskpilot.envs.desktop.xvfb import start_xvfb

    xvfb, display = start_xvfb((800, 600))
    os.environ["DISPLAY"] = display  # before anything imports pyautogui, which connects at import
    results_path = args.out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    try:
        data = args.out / "data"
        seconds = _record(data, args.demos)
        results.setdefault("record_s", seconds)
        runs = {
            "pretrained": "pretrained",
            "finetuned": args.out / "finetuned",
            "scratch": args.out / "scratch",
        }
        for name in ("finetuned", "scratch"):
            if name in args.only:
                took = _train(data, Path(runs[name]), args.minutes, scratch=name == "scratch")
                results.setdefault("train_s", {}).setdefault(name, took)
        for name in args.only:
            done = results.setdefault("live", {}).setdefault(name, {})
            todo = [kind for kind in args.kinds if kind not in done]
            if todo:
                done.update(_evaluate(str(runs[name]), args.out / "live" / name, args.runs, todo, args.views))
                results_path.write_text(json.dumps(results, indent=1) + "\n")
    finally:
        xvfb.terminate()
        xvfb.wait()
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    print("| kind | " + " | ".join(results["live"]) + " |")
    print("|---|" + "---|" * len(results["live"]))
    for kind in person.KINDS:
        cells = [
            f"{t[kind]['solved']}/{t[kind]['runs']} (done {t[kind]['task_done']}, stopped {t[kind]['stopped_by_itself']})"
            if kind in t
            else "-"
            for t in results["live"].values()
        ]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
