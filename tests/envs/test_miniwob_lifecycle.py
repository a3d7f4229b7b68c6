"""No Xvfb, chromedriver, Chromium or profile folder outlives a MiniWoB env; a crashed browser recovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob import env_id
from deskpilot.envs.miniwob._reaper import session_pids
from deskpilot.envs.miniwob.browser import BrowserCrashedError

pytestmark = [pytest.mark.browser, pytest.mark.display]
ROOT = Path(__file__).resolve().parents[2]

# The child makes an env on a private Xvfb, resets it, reports what it started, waits until the test
# has looked at those processes (a line on stdin), then ends as told.
CHILD = """
import gc, json, sys, time
import gymnasium as gym
import deskpilot.envs
env = gym.make("deskpilot/miniwob-click-test-v0")
env.reset(seed=0)
host = env.unwrapped._host
parts = [host.session, host.xvfb]
print(json.dumps([{"token": p.token, "folder": p.folder, "pids": p.pids()} for p in parts]), flush=True)
sys.stdin.readline()
how = sys.argv[1]
print("GO", flush=True)
if how == "close":
    env.close()
elif how == "gc":
    del env, host, parts
    gc.collect()
elif how == "hang":
    time.sleep(60)
print("END", flush=True)
"""


@pytest.fixture(autouse=True)
def _need_browser(need_browser: None) -> None:
    """Every test here drives Chromium."""


def _exe(pid: int) -> str | None:
    """The program ``pid`` runs, or None once it has exited (Chromium's helpers come and go)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return None


def _gone(token: str, folder: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while session_pids(token) or os.path.exists(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("how", ["close", "gc", "exit", "sigkill", "sigint"])
def test_nothing_outlives_the_env(how: str) -> None:
    mode = "hang" if how in ("sigkill", "sigint") else how
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and so
        # would the child, which then never sees the Ctrl+C this test sends.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        parts = json.loads(child.stdout.readline() or "null")
        assert parts is not None, child.stderr.read() if child.stderr else ""
        pids = [p for part in parts for p in part["pids"]]
        names = {_exe(p) for p in pids}
        assert {"Xvfb", "chromedriver"} <= names and any("chrom" in n for n in names - {"chromedriver"})
        assert all(os.path.isdir(part["folder"]) for part in parts)
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        # The signals go once the child has read the line and is on its way to its ending, not
        # while it may still be reading (a Ctrl+C sent then once went unanswered for 30 s, under load).
        assert child.stdout.readline().strip() == "GO"
        if how == "sigkill":
            child.send_signal(signal.SIGKILL)
        elif how == "sigint":
            child.send_signal(signal.SIGINT)
        elif how in ("close", "gc"):
            # Everything is gone before the child goes on, not merely when it exits.
            assert child.stdout.readline().strip() == "END"
            for part in parts:
                assert not session_pids(part["token"]) and not os.path.exists(part["folder"])
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            raise AssertionError(
                f"child still running 30 s after {how}: {child.communicate()[1][-3000:]}"
            ) from None
        for part in parts:
            left = session_pids(part["token"])
            assert _gone(part["token"], part["folder"]), f"left behind after {how}: {left}"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()


# A script as users write them: logging on (as the CLI has it, so urllib3's warnings would show)
# and JAX imported, which keeps modules alive into the interpreter's last teardown, where an env
# left open used to be finalised with its module's globals already None.
QUIET_CHILD = """
import logging, sys
logging.basicConfig(level=logging.WARNING)
import jax
import gymnasium as gym
import deskpilot.envs
env = gym.make("deskpilot/miniwob-click-test-v0")
env.reset(seed=0)
if sys.argv[1] == "close":
    env.close()
"""


@pytest.mark.parametrize("how", ["close", "exit"])
def test_a_run_prints_nothing_whether_it_closes_the_env_or_exits_with_it_open(how: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-c", QUIET_CHILD, how],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Neither "Retrying ... Connection refused" (WebDriver calls to the killed chromedriver) nor
    # "Exception ignored in: MiniWoBEnv.__del__": nothing at all.
    assert done.stderr == "", done.stderr


def test_crashed_browser_gives_a_clear_error_and_reset_recovers(xvfb: str) -> None:
    env = gym.make(env_id("click-test"), display=xvfb)
    try:
        env.reset(seed=0)
        session = env.unwrapped._host.session
        chromium = [p for p in session.pids() if _exe(p) not in ("chromedriver", None)]
        for pid in chromium:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrowserCrashedError, match="reset"):
            env.step(Action.click(0.5, 0.5))
        obs, info = env.reset(seed=0)
        assert env.unwrapped._host.session is not session and info["elements"]
        expert = env.unwrapped.make_expert()
        _, reward, terminated, _, info = env.step(expert.act(obs, info))
        assert terminated and reward == 1.0
        assert not session.pids() and not os.path.exists(session.folder)
    finally:
        env.close()


def test_bench_reports_every_figure() -> None:
    code = "from deskpilot.envs.miniwob.bench import bench_miniwob; import json; print(json.dumps(bench_miniwob(seconds=0.5)))"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    names = " ".join(name for name, _, _ in rows)
    assert all(word in names for word in ("start", "reset", "capture", "reward", "click", "episodes/s"))
    assert all(value > 0 for _, value, _ in rows)


def test_second_private_display_in_one_process_fails_loudly() -> None:
    code = (
        "import gymnasium as gym, deskpilot.envs\n"
        "from deskpilot.envs.miniwob.browser import BrowserError\n"
        "e = gym.make('deskpilot/miniwob-click-test-v0'); e.reset(seed=0); e.close()\n"
        "e = gym.make('deskpilot/miniwob-click-test-v0')\n"
        "try:\n    e.reset(seed=0)\nexcept BrowserError as err:\n    print('REFUSED', err)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "REFUSED" in done.stdout and "pyautogui cannot reconnect" in done.stdout, done.stderr
