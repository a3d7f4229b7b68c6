"""Imports flow one way: envs <- collectors <- policies <- agent <- scripts (all under ``deskpilot``)."""

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
    "ray": ("collectors/ray_backend.py",),  # an optional extra, imported only when asked for
}


def _top(name: str) -> str:
    """The layer (or library) an absolute import names: ``deskpilot.envs.x`` -> ``envs``."""
    parts = name.split(".")
    return parts[1] if parts[0] == "deskpilot" and len(parts) > 1 else parts[0]


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _top(alias.name), node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield _top(node.module), node.lineno


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
    (fake / "bad.py").write_text("from deskpilot.policies import model\n")
    assert ("policies", 1) in list(_imports(fake / "bad.py"))


@pytest.mark.parametrize(
    "module",
    [
        "deskpilot.envs",
        "deskpilot.collectors",
        "deskpilot.collectors.trajectory",
        "deskpilot.collectors.reading",
        "deskpilot.collectors.loop",
    ],
)
def test_imports_work_without_a_display(module):
    code = (
        f"import sys, {module}\n"
        "heavy = {'mss', 'pyautogui', 'pynput', 'jax'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)


def test_every_import_of_the_package_goes_through_its_one_name():
    """``from envs import x`` works in the source tree only; installed, just ``deskpilot.envs`` exists."""
    bad = []
    for _, path in _files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            bad += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in LAYERS]
    assert not bad, "imports without the deskpilot prefix:\n" + "\n".join(bad)
