import signal
import subprocess
import sys
import time

import pytest

from deskpilot.collectors.collect import EVAL_SEED_OFFSET, CollectConfig, collect, episode_id
from deskpilot.collectors.reading import read_dataset
from deskpilot.envs.registry import resolve_env_ids

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-enter-text-v0"]


def test_collect_writes_n_valid_episodes_per_env(tmp_path):
    summary = collect(CollectConfig("unused", episodes=4, out=tmp_path), ENVS)
    assert summary.written == 8 and summary.skipped == 0
    report = read_dataset(tmp_path)
    assert not report.errors and not report.partial
    assert sorted((t.meta.env_id, t.meta.seed) for t in report.trajectories) == sorted(
        (e, s) for e in ENVS for s in range(4)
    )
    assert all(t.success and t.meta.source == "expert" and t.steps for t in report.trajectories)
    assert all("elements" in s.annotations for t in report.trajectories for s in t.steps)
    for _env_id, n, steps, rate in summary.rows():
        assert n == 4 and steps >= 4 and rate == 1.0


def _finished(out):
    return [p for p in out.glob("*") if not p.name.endswith(".partial")]


def test_interrupted_collection_resumes_without_duplicates(tmp_path):
    out = tmp_path / "data"
    cmd = [
        sys.executable,
        "-m",
        "deskpilot.scripts.cli",
        "collect",
        "--env",
        ENVS[1],
        "--episodes",
        "400",
        "--out",
        str(out),
    ]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        # Kill it once a few episodes are finished: whatever it was writing must not survive as an episode.
        deadline = time.monotonic() + 60
        while len(_finished(out)) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a condition, bounded by the deadline
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    done_before = {t.meta.seed for t in read_dataset(out).trajectories}
    assert 0 < len(done_before) < 400
    summary = collect(CollectConfig(ENVS[1], episodes=12, out=out, workers=2), [ENVS[1]])
    report = read_dataset(out)
    seeds = sorted(t.meta.seed for t in report.trajectories)
    assert seeds == sorted(set(range(12)) | done_before)
    assert not report.errors and not report.partial
    assert summary.skipped == len(done_before & set(range(12)))
    assert sum(summary.episodes.values()) == 12


def test_seeds_never_reach_the_evaluation_range(tmp_path):
    with pytest.raises(ValueError, match="seed"):
        CollectConfig(ENVS[0], episodes=10, out=tmp_path, seed=EVAL_SEED_OFFSET - 5)


def test_unknown_env_names_are_explained():
    with pytest.raises(ValueError, match="unknown env or suite 'deskpilot/nope'.*mock-suite"):
        resolve_env_ids("deskpilot/nope")


def test_episode_ids_are_stable():
    assert episode_id("deskpilot/mock-click-button-v0", 7) == "mock-click-button-v0__s000000007"
