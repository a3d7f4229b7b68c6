import subprocess
from pathlib import Path

import pytest

from deskpilot.policies.bench import bench_train_against, cpu_ticks, stolen_share


def test_stolen_share_reads_the_steal_column(tmp_path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n")
    before = cpu_ticks(stat)
    assert before == (35, 1000)
    stat.write_text("cpu  300 0 100 1200 10 0 5 185 0 0\n")
    assert stolen_share(before, cpu_ticks(stat)) == 150 / 800


def test_no_proc_stat_means_no_figure(tmp_path) -> None:
    assert cpu_ticks(tmp_path / "missing") is None
    (tmp_path / "odd").write_text("intr 1 2 3\n")
    assert cpu_ticks(tmp_path / "odd") is None
    (tmp_path / "short").write_text("cpu  1 2 3\n")
    assert cpu_ticks(tmp_path / "short") is None
    (tmp_path / "garbled").write_text("cpu  1 2 x 4 5 6 7 8\n")
    assert cpu_ticks(tmp_path / "garbled") is None
    assert stolen_share(None, (1, 2)) is None
    assert stolen_share((5, 100), (5, 100)) is None  # no time passed


ROOT = Path(__file__).resolve().parents[2]


def test_against_an_unknown_revision_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="'no-such-rev'.*expected a commit of deskpilot's git checkout"):
        bench_train_against("no-such-rev", root=ROOT)


def test_a_tree_without_deskpilot_is_refused_not_timed_with_the_installed_one(tmp_path) -> None:
    # The installed deskpilot is importable from anywhere: the worker must not time it instead.
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "README.md").write_text("not deskpilot\n")
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    with pytest.raises(RuntimeError, match="this tree failed: .* has no deskpilot package"):
        bench_train_against("HEAD", root=tmp_path)


@pytest.mark.slow
def test_against_head_times_both_trees_alternately() -> None:
    rows = {name: (value, unit) for name, value, unit in bench_train_against("HEAD", 0.0, "tiny", root=ROOT)}
    assert rows["train tiny, this tree: examples/s (batch 16), in its own process"][0] > 0
    assert rows["train tiny at HEAD: examples/s (batch 16), alternated"][0] > 0
    ratio, unit = rows["train tiny: this tree / HEAD, examples/s"]
    assert unit == "x" and ratio > 0
