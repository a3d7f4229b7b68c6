"""Errors a person can act on: bad input gives one line ``deskpilot: error: ...`` and exit status 2.

Each case runs the real CLI in a subprocess (without ``DISPLAY``) and checks the whole of stderr:
no traceback, and a last line that names the file or value and what was expected. The cases that
import JAX take seconds each and are marked slow.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskpilot import __version__
from deskpilot.scripts import cli

ERROR = "deskpilot: error: "
PRESET_NAMES = "tiny, small, base"


def deskpilot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    return subprocess.run(
        [sys.executable, "-m", "deskpilot.scripts.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def error_line(*args: str, cwd: Path) -> str:
    """The CLI's one error line for ``args``, after checking the exit status and the absent traceback."""
    done = deskpilot(*args, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(ERROR), done.stderr
    return lines[-1]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """An empty dataset folder (the config errors come before the data is read)."""
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


# ---------------------------------------------------------------- fast: no JAX in the process


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    done = deskpilot("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"deskpilot {__version__}"


def test_unknown_command_suggests_the_closest(tmp_path: Path) -> None:
    assert "did you mean 'train'" in error_line("trian", cwd=tmp_path)


def test_unknown_env_id_names_the_closest_ids_not_all(tmp_path: Path) -> None:
    line = error_line(
        "collect", "--env", "deskpilot/mock-clik-button-v0", "--episodes", "1", "--out", "out", cwd=tmp_path
    )
    assert "did you mean" in line and "'deskpilot/mock-click-button-v0'" in line
    assert "deskpilot/mock-suite" in line  # the suites are listed
    assert line.count("deskpilot/") < 12, line  # ... but not the 150 env ids


def test_view_refuses_an_unsupported_format(tmp_path: Path) -> None:
    line = error_line("view", "episode", "--out", "x.mp4", cwd=tmp_path)
    assert "x.mp4" in line and ".gif or .html" in line


def test_view_of_a_missing_episode(tmp_path: Path) -> None:
    assert "nowhere" in error_line("view", "nowhere", "--out", "x.gif", cwd=tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is X11's")
def test_record_without_a_display_says_one_is_needed(tmp_path: Path) -> None:
    line = error_line("record", "--task", "Click OK", "--out", "out", cwd=tmp_path)
    assert "display" in line and "DISPLAY" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(tmp_path: Path, where: str) -> None:
    args = ["view", "episode", "--out", "x.mp4"]
    done = deskpilot(*(["--debug", *args] if where == "before" else [*args, "--debug"]), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("ValueError: ")


def test_bugs_keep_their_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from deskpilot.scripts import view

    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(view, "run", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["view", "episode", "--out", "x.gif"])

    def bad_input(args: object) -> int:
        raise ValueError("first line\n  second line")

    monkeypatch.setattr(view, "run", bad_input)
    assert cli.main(["view", "episode", "--out", "x.gif"]) == 2
    assert capsys.readouterr().err == f"{ERROR}first line second line\n"


# ---------------------------------------------------------------- config: --set and --config

SET_COMMANDS = {"train": ["--data", "data", "--out", "run"], "demo": []}  # required flags besides --set


@pytest.mark.parametrize("command", SET_COMMANDS)
def test_the_set_example_in_the_help_works(command: str) -> None:
    from deskpilot.policies.config import PRESETS, get_config, override

    parser = cli.build_parser(command)
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    help_text = next(a.help for a in sub._actions if "--set" in a.option_strings)
    example = help_text.split("e.g. ", 1)[1].split()
    assert example[0] == "--set", help_text
    args = parser.parse_args([command, *SET_COMMANDS[command], *example])
    assert args.set == [a for a in example if a != "--set"] and args.set
    for name in PRESETS:
        override(get_config(name), args.set)
    # --set also repeats
    again = parser.parse_args([command, *SET_COMMANDS[command], "--set", "depth=1", "--set", "seed=2"])
    assert again.set == ["depth=1", "seed=2"]


def test_get_config_reads_a_runs_config_json(tmp_path: Path) -> None:
    from deskpilot.policies.config import CONFIG_FILE, get_config, override

    config = override(get_config("tiny"), ["model.width=48"])
    (tmp_path / CONFIG_FILE).write_text(json.dumps(config.to_json()))
    assert get_config(str(tmp_path / CONFIG_FILE)) == config
    assert get_config(tmp_path) == config  # the run folder itself
    with pytest.raises(ValueError, match=PRESET_NAMES):
        get_config("nope")
    (tmp_path / "other.json").write_text('{"name": "x"}')
    with pytest.raises(ValueError, match="other.json: not a deskpilot config.*no 'model' entry"):
        get_config(str(tmp_path / "other.json"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("model.nope=3", "no field 'nope' in model config"),
        ("model.widht=96", "did you mean width"),
        ("train.batch_size=many", "expected an int, got 'many'"),
        ("model.width=30", "divide width=30"),
    ],
)
def test_bad_set_names_the_setting(tmp_path: Path, dataset: Path, setting: str, expected: str) -> None:
    line = error_line("train", "--data", str(dataset), "--out", "run", "--set", setting, cwd=tmp_path)
    assert setting in line and expected in line


@pytest.mark.slow
def test_unknown_config_lists_the_presets(tmp_path: Path, dataset: Path) -> None:
    line = error_line("train", "--data", str(dataset), "--out", "run", "--config", "nope", cwd=tmp_path)
    assert "'nope'" in line and PRESET_NAMES in line


@pytest.mark.slow
def test_config_takes_a_runs_config_json(tmp_path: Path, dataset: Path) -> None:
    from deskpilot.policies.config import CONFIG_FILE, get_config

    run = tmp_path / "old-run"
    run.mkdir()
    (run / CONFIG_FILE).write_text(json.dumps(get_config("tiny").to_json()))
    for config in (run / CONFIG_FILE, run):
        line = error_line(
            "train", "--data", str(dataset), "--out", "run", "--config", str(config), cwd=tmp_path
        )
        assert "no finished episodes" in line  # the config was taken; the empty dataset stops it


# ---------------------------------------------------------------- missing and damaged folders


@pytest.mark.slow
def test_missing_data_folder(tmp_path: Path) -> None:
    line = error_line("train", "--data", "nowhere", "--out", "run", cwd=tmp_path)
    assert "--data nowhere: no such folder" in line and "deskpilot collect" in line


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--checkpoint", "nowhere", "--env", "deskpilot/mock-easy"],
        ["run", "--checkpoint", "nowhere", "--task", "Click OK"],
    ],
)
def test_missing_checkpoint_folder(tmp_path: Path, args: list[str]) -> None:
    line = error_line(*args, cwd=tmp_path)
    assert "nowhere: no such folder" in line and "expected a run folder" in line


@pytest.mark.slow
def test_eval_of_an_unknown_env_id(tmp_path: Path) -> None:
    line = error_line("eval", "--checkpoint", "run", "--env", "deskpilot/mock-clik-button-v0", cwd=tmp_path)
    assert "did you mean" in line and "'deskpilot/mock-click-button-v0'" in line


@pytest.mark.slow
@pytest.mark.parametrize("part", ["state", "meta"])
def test_damaged_checkpoint_names_its_folder(tmp_path: Path, part: str) -> None:
    import numpy as np

    from deskpilot.policies.checkpoint import Saved, save
    from deskpilot.policies.config import get_config

    # Arrays of another shape than the model's are fine here: every file of one part is garbage.
    run = tmp_path / "run"
    save(run, {"params": {"w": np.zeros(3, np.float32)}}, Saved(1, get_config("tiny"), {}, 0.0))
    step_dir = run / "checkpoints" / "1"
    damaged = [f for f in (step_dir / part).rglob("*") if f.is_file()]
    assert damaged
    for f in damaged:
        f.write_bytes(b"garbage")
    line = error_line("eval", "--checkpoint", str(run), "--env", "deskpilot/mock-easy", cwd=tmp_path)
    assert f"{step_dir}: damaged checkpoint" in line and f"({part}/)" in line and "expected" in line


def test_a_demo_task_option_names_what_was_expected(tmp_path: Path) -> None:
    done = deskpilot("demo", "--task-option", "start_ticked", cwd=tmp_path)  # argparse's own error
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith("argument --task-option: expected FAMILY.OPTION=SHARE, got 'start_ticked'"), last
    line = error_line("demo", "--task-option", "click-boxes.start_ticked=0.5", cwd=tmp_path)
    assert "task_options: unknown task family 'click-boxes'; known: " in line, line
    line = error_line("demo", "--task-option", "click-checkboxes.start_ticked=2", cwd=tmp_path)
    assert line.endswith(
        "task_options['click-checkboxes']['start_ticked']: expected a share in [0, 1], got 2.0"
    ), line
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_bench_against_needs_the_train_benchmark(tmp_path: Path) -> None:
    line = error_line("bench", "env", "--against", "HEAD", cwd=tmp_path)
    assert "--against compares train steps" in line and "'env'" in line
