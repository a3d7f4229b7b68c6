from deskpilot.policies.bench import cpu_ticks, stolen_share


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
