"""Imports flow one way: envs <- collectors <- policies <- agent <- scripts."""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = ["envs", "collectors", "policies", "agent", "scripts"]
# Heavy or device-bound libraries and the modules allowed to import each.
ONLY_IN = {
    "pyautogui": ("envs/desktop/executor.py",),
    "mss": ("envs/desktop/capture.py",),
    "pynput": ("collectors/recorder.py", "collectors/listeners.py"),
}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def _files():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield layer, path


def test_no_upward_imports():
    bad = []
    for layer, path in _files():
        allowed = set(LAYERS[: LAYERS.index(layer) + 1])
        for name, line in _imports(path):
            if name in LAYERS and name not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_jax_stays_out_of_envs_and_collectors():
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for layer, path in _files()
        if layer in ("envs", "collectors")
        for name, line in _imports(path)
        if name in ("jax", "flax", "optax", "orbax")
    ]
    assert not bad


def test_device_libraries_live_in_their_own_modules():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for _, path in _files()
        for name, line in _imports(path)
        if name in ONLY_IN and str(path.relative_to(ROOT)) not in ONLY_IN[name]
    ]
    assert not bad


def test_the_layering_check_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "envs"
    fake.mkdir()
    (fake / "bad.py").write_text("from policies import model\n")
    assert ("policies", 1) in list(_imports(fake / "bad.py"))


@pytest.mark.parametrize("module", ["envs", "collectors", "collectors.trajectory", "collectors.loop"])
def test_imports_work_without_a_display(module):
    code = (
        f"import sys, {module}\n"
        "heavy = {'mss', 'pyautogui', 'pynput', 'jax'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
