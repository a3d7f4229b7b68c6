"""Start a private X server (Xvfb) and learn its display name without guessing a free number.

``Xvfb -displayfd FD`` picks a free display itself and writes its number to ``FD`` once it accepts
clients, so there is no race with other servers and no sleep: we wait on that pipe.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time

__all__ = ["XvfbError", "start_xvfb"]


class XvfbError(RuntimeError):
    """Xvfb is missing, or did not come up."""


def start_xvfb(
    size: tuple[int, int] = (800, 600),
    *,
    timeout: float = 10.0,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``Xvfb`` with one ``size`` = (width, height) screen; return the process and ``":N"``.

    ``new_session`` puts it in its own session, so a Ctrl+C in the terminal does not kill the server
    under a live env (its owner stops it). Raises ``XvfbError`` if Xvfb is not installed or does not
    report a display within ``timeout`` seconds (the process is killed then).
    """
    if shutil.which("Xvfb") is None:
        raise XvfbError("Xvfb is not installed: apt-get install xvfb")
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{size[0]}x{size[1]}x24",
                "-nolisten",
                "tcp",
                # Without -noreset the server resets when its last client disconnects, and a
                # client connecting during that reset is refused (a flaky "cannot connect").
                "-noreset",
            ],
            pass_fds=(write_fd,),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=new_session,
        )
    finally:
        os.close(write_fd)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        # Xvfb writes the display number and a newline once it accepts connections.
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                proc.kill()
                code = proc.wait()
                why = f"exited with code {code}" if ready else f"did not report a display within {timeout} s"
                raise XvfbError(f"Xvfb {why}")
            data += chunk
    finally:
        os.close(read_fd)
    return proc, f":{int(data.strip())}"
