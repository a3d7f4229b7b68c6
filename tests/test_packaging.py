"""The wheel installs one top-level name, ``deskpilot``, holding every module of the source tree."""

import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = ["envs", "collectors", "policies", "agent", "scripts"]


@pytest.mark.slow
def test_the_wheel_holds_only_deskpilot_and_every_module(tmp_path):
    # Built from a copy: setuptools builds inside the source tree, and a stale build/ there could
    # carry deleted modules into the wheel.
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("deskpilot", *LAYERS):
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "-w", str(tmp_path), str(src)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("deskpilot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"deskpilot"}
    expected = {
        f"deskpilot/{p.relative_to(ROOT)}" for layer in LAYERS for p in (ROOT / layer).rglob("*.py")
    } | {"deskpilot/__init__.py"}
    missing = expected - set(names)
    assert not missing, f"modules left out of the wheel: {sorted(missing)}"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "deskpilot = deskpilot.scripts.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_import_deskpilot_envs_registers_the_envs(tmp_path):
    code = (
        "import gymnasium as gym, deskpilot, deskpilot.envs\n"
        "env = gym.make('deskpilot/mock-login-v0')\n"
        "obs, info = env.reset(seed=0)\n"
        "print(deskpilot.__version__, obs['screenshot'].shape)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert "(210, 160, 3)" in out.stdout
