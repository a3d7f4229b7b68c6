import pytest

from deskpilot.envs.desktop.bench import bench_desktop, is_xvfb


def test_bench_needs_a_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(RuntimeError, match="Xvfb"):
        bench_desktop(0.1)


def test_bench_refuses_a_display_that_is_not_xvfb(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":4243")
    with pytest.raises(RuntimeError, match="not an Xvfb"):
        bench_desktop(0.1)


@pytest.mark.display
def test_bench_rows(xvfb):
    assert is_xvfb(xvfb)
    rows = bench_desktop(0.5)
    names = [name for name, _, _ in rows]
    assert any(n.startswith("full-screen grab") for n in names)
    assert any(n.startswith("capture+resize") for n in names)
    assert any("TYPE" in n for n in names) and any("DRAG" in n for n in names)
    assert all(value > 0 for name, value, _ in rows if "WAIT" not in name and "DONE" not in name)
