"""Kill every process of one browser session and remove its folder, even after its owner died.

Standard library only: ``browser.py`` imports ``reap`` from here, and also runs this file as a
script (a *guardian*) that blocks on its stdin pipe. The owner holds the pipe's write end; when the
owner exits for any reason (``close()``, an exception, Ctrl+C, SIGKILL) the kernel closes it, the
guardian reads EOF and reaps what the owner left behind.

A session's processes are found by a marker in their environment (``DESKPILOT_SESSION=<token>``),
which Xvfb, chromedriver and every Chromium child inherit; parent links are not enough, because
Chromium's helpers are re-parented to init when chromedriver dies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time

MARKER = "DESKPILOT_SESSION"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has exited: only its parent's wait is missing)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def session_pids(token: str) -> list[int]:
    """Pids of the live processes whose environment carries this session's marker."""
    needle = f"{MARKER}={token}".encode() + b"\0"
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read() + b"\0"
        except OSError:
            continue
        if b"\0" + needle in b"\0" + environ and _alive(int(name)):
            found.append(int(name))
    return found


def reap(token: str, folder: str | None, timeout: float = 5.0) -> list[int]:
    """SIGKILL the session's processes, wait until they are gone, remove ``folder``; return leftovers.

    A process that forks while being killed can appear, and write to the folder, after a scan,
    so the kill-and-remove pass repeats until a scan a moment after the last one finds nothing.
    """
    deadline = time.monotonic() + timeout
    quiet_scans = 0
    while quiet_scans < 2 and time.monotonic() < deadline:
        pids = session_pids(token)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        quiet_scans = 0 if pids or (folder and os.path.exists(folder)) else quiet_scans + 1
        time.sleep(0.01)  # polling interval while the kernel tears the processes down
    return session_pids(token)


def _guard() -> None:
    token, folder = sys.argv[1], sys.argv[2]
    # The guardian lives in its own session; ignore the terminal's signals anyway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while sys.stdin.buffer.read(4096):
        pass
    reap(token, folder)


if __name__ == "__main__":
    _guard()
