"""A visible Chromium (and, if asked, a private Xvfb) for MiniWoB++ pages, with a leak-proof lifecycle.

The browser is only a *stage*: WebDriver loads and resets the task page and reads its state, but it
never clicks or types (the env acts through the desktop executor, as a person would).

Lifecycle guarantees: every process a session starts (Xvfb, chromedriver, Chromium and its helpers)
carries a marker in its environment, and the session's temporary folder (Chromium's ``TMPDIR`` and
profile) is private. ``close()`` kills them all and removes the folder; a guardian process
(``_reaper.py``) does the same when the owning process dies without closing (SIGKILL included).

Chromium flags (measured on this setup): the window sits at (0, 0) with
size 500x320 and device scale factor 1, without the automation infobar, so the 160x210 task area
is screen pixels (0, 0)-(160, 210); password and autofill bubbles are off; ``--no-sandbox`` as root;
background networking, throttling of background windows and first-run UI are off.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from deskpilot.envs.desktop.xvfb import XvfbError, start_xvfb
from deskpilot.envs.miniwob import _reaper

__all__ = [
    "WINDOW_SIZE",
    "BrowserCrashedError",
    "BrowserError",
    "BrowserNotFoundError",
    "BrowserSession",
    "PrivateDisplay",
    "find_browser",
]

WINDOW_SIZE = (500, 320)  # (width, height) of the Chromium window, in screen pixels
SCREEN_SIZE = (640, 400)  # (width, height) of a private Xvfb screen: the window plus room to park the pointer
INSTALL_HINT = (
    "MiniWoB envs need Chromium and ChromeDriver: apt-get install chromium chromium-driver "
    "(or set MINIWOB_CHROME_BINARY and MINIWOB_CHROMEDRIVER to their paths), and pip install 'deskpilot[miniwob]'"
)

# Injected before any page script runs. Counts trusted input events so the env can wait until the
# page has received an action, keeps where the pointer last moved (reset waits until the page has
# seen it parked, so no hover shows), and marks elements that got a click listener (for
# info["elements"]).
PAGE_PRELUDE = """
window.__dp = {mouseup: 0, keyup: 0, wheel: 0};
window.__dpPointer = null;
const MODS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'AltGraph']);
for (const t of ['mouseup', 'keyup', 'wheel']) {
  window.addEventListener(t, function (e) {
    if (e.isTrusted && !(t === 'keyup' && MODS.has(e.key))) window.__dp[t]++;
  }, true);
}
window.addEventListener('mousemove', function (e) {
  if (e.isTrusted) window.__dpPointer = [e.clientX, e.clientY];
}, true);
(function () {
  const add = EventTarget.prototype.addEventListener;
  const kinds = new Set(['click', 'mousedown', 'mouseup', 'dblclick']);
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    if (kinds.has(type) && this instanceof Element) { this.__dpClick = true; }
    return add.call(this, type, fn, opts);
  };
})();
"""


class BrowserError(RuntimeError):
    """The browser or its display could not be started or used."""


class BrowserNotFoundError(BrowserError):
    """Chromium, ChromeDriver, selenium or miniwob is missing."""


class BrowserCrashedError(BrowserError):
    """The browser died or stopped answering mid-episode; the next ``reset`` starts a fresh one."""


def find_browser() -> tuple[str, str, Path]:
    """Return ``(chromium, chromedriver, miniwob task folder)`` or raise ``BrowserNotFoundError``."""
    chrome = (
        os.environ.get("MINIWOB_CHROME_BINARY")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    driver = os.environ.get("MINIWOB_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chrome), ("chromedriver", driver)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    html = task_folder()
    if html is None:
        missing.append("miniwob")
    if missing:
        raise BrowserNotFoundError(f"{INSTALL_HINT} (missing: {', '.join(missing)})")
    assert chrome and driver and html
    return chrome, driver, html


def task_folder() -> Path | None:
    """The folder of MiniWoB task pages shipped in the ``miniwob`` wheel, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "html" / "miniwob"
    return folder if folder.is_dir() else None


def _start_xvfb(env: dict[str, str], timeout: float = 10.0) -> tuple[subprocess.Popen[bytes], str]:
    """A private Xvfb for the browser, in its own session (Ctrl+C must not kill it under a live env)."""
    try:
        return start_xvfb(SCREEN_SIZE, timeout=timeout, env=env, new_session=True)
    except XvfbError as e:
        if shutil.which("Xvfb") is None:
            raise BrowserNotFoundError(
                "a private display needs Xvfb: apt-get install xvfb (or pass display=':N')"
            ) from None
        raise BrowserError(str(e)) from None


def _wait_until(predicate: Any, timeout: float, what: str, poll: float = 0.01) -> Any:
    """Return ``predicate()``'s first truthy value, or raise ``BrowserError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BrowserError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)  # polling interval of a condition wait


class _Guarded:
    """Processes marked with one session token, a private folder, and a guardian that reaps both."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(8)
        self.folder = tempfile.mkdtemp(prefix="deskpilot-miniwob-")
        self._closed = False
        self.env = {**os.environ, _reaper.MARKER: self.token, "TMPDIR": self.folder}
        guard_env = {k: v for k, v in os.environ.items() if k != _reaper.MARKER}
        self._guardian = subprocess.Popen(
            [sys.executable, "-S", _reaper.__file__, self.token, self.folder],
            stdin=subprocess.PIPE,
            env=guard_env,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        """Live processes of this session."""
        return _reaper.session_pids(self.token)

    def _reap(self) -> None:
        _reaper.reap(self.token, self.folder)
        if self._guardian.stdin is not None:
            self._guardian.stdin.close()  # the guardian finds nothing left and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._guardian.wait(timeout=5)

    def close(self) -> None:
        """Kill the session's processes and remove its folder; idempotent."""
        if not self._closed:
            self._closed = True
            self._reap()

    def __del__(self) -> None:
        # Also runs in the interpreter's final teardown, after module globals (``contextlib``
        # included) may have become None: builtins only. The guardian reaps whatever is left.
        try:  # noqa: SIM105
            self.close()
        except Exception:
            pass


class PrivateDisplay(_Guarded):
    """A private Xvfb (``display`` is its name), killed on ``close()`` or when its owner dies."""

    def __init__(self, start_timeout: float = 10.0) -> None:
        """Start the server; ``BrowserNotFoundError`` without Xvfb, ``BrowserError`` if it fails."""
        super().__init__()
        try:
            self._proc, self.display = _start_xvfb(self.env, start_timeout)
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        """Whether the server still runs."""
        return not self._closed and self._proc.poll() is None

    def close(self) -> None:
        """Stop the server; idempotent."""
        if not self._closed:
            self._closed = True
            self._reap()
            with contextlib.suppress(AttributeError):
                self._proc.wait()


class BrowserSession(_Guarded):
    """One Chromium window on an X display, started on construction.

    Attributes:
        display: the X display the window is on (``":N"``).
        driver: the selenium WebDriver (page loading and reading only).
    """

    def __init__(self, display: str, start_timeout: float = 30.0) -> None:
        """Start the browser.

        Args:
            display: the X display to open the window on (e.g. a ``PrivateDisplay``'s).
            start_timeout: seconds to wait for ChromeDriver and the first page.

        Raises:
            BrowserNotFoundError: Chromium, ChromeDriver, selenium or miniwob is missing.
            BrowserError: something failed to start (everything started so far is reaped).
        """
        chrome, chromedriver, self.task_folder = find_browser()
        super().__init__()
        self.driver: Any = None
        self.url: str | None = None
        self.display = display
        self.env["DISPLAY"] = display
        try:
            self._start_driver(chrome, chromedriver, self.env, start_timeout)
        except BaseException:
            self.close()
            raise

    def _start_driver(self, chrome: str, chromedriver: str, env: dict[str, str], timeout: float) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = chrome
        for arg in (
            "--app=data:text/html,<title>deskpilot</title>",
            "--window-position=0,0",
            f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
            "--force-device-scale-factor=1",
            f"--user-data-dir={self.folder}/profile",
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-timer-throttling",
            "--disable-backgrounding-occluded-windows",
            "--disable-renderer-backgrounding",
            "--disable-features=Translate,PasswordLeakDetection,AutofillServerCommunication,MediaRouter",
            "--password-store=basic",
            "--hide-scrollbars",
        ):
            options.add_argument(arg)
        options.add_experimental_option("excludeSwitches", ["enable-automation", "enable-logging"])
        options.add_experimental_option(
            "prefs",
            {
                "credentials_enable_service": False,
                "profile.password_manager_enabled": False,
                "autofill.profile_enabled": False,
                "autofill.credit_card_enabled": False,
            },
        )
        service = Service(
            executable_path=chromedriver,
            env=env,
            log_output=subprocess.DEVNULL,
            popen_kw={"start_new_session": True},
        )
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except Exception as e:
            raise BrowserError(f"Chromium did not start on display {env['DISPLAY']}: {e}") from e
        self.driver.implicitly_wait(0)  # a missing element must not block (MiniWoB sets 5 s)
        self.driver.set_script_timeout(timeout)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_PRELUDE})

    def load(self, task: str, timeout: float = 10.0) -> None:
        """Open ``task``'s page (``click-test``) and wait until MiniWoB shows its start cover."""
        page = self.task_folder / f"{task}.html"
        if not page.is_file():
            raise ValueError(f"task: no MiniWoB page {page.name} in {self.task_folder}")
        url = page.as_uri()
        self.call(self.driver.get, url)
        ready = "return typeof core !== 'undefined' && document.getElementById('sync-task-cover') !== null;"
        _wait_until(lambda: self.call(self.driver.execute_script, ready), timeout, f"the page {page.name}")
        self.url = url

    def call(self, fn: Any, *args: Any) -> Any:
        """Run a WebDriver call; a dead browser raises ``BrowserCrashedError``."""
        from selenium.common.exceptions import WebDriverException

        try:
            return fn(*args)
        except WebDriverException as e:
            if self.alive():
                raise BrowserError(f"WebDriver call failed: {e.msg or e}") from e
            raise BrowserCrashedError(
                "the browser crashed or was closed mid-episode; call reset() to start a fresh one"
            ) from e

    def script(self, source: str, *args: Any) -> Any:
        """``execute_script`` with crash detection."""
        return self.call(self.driver.execute_script, source, *args)

    def async_script(self, source: str, *args: Any) -> Any:
        """``execute_async_script`` with crash detection."""
        return self.call(self.driver.execute_async_script, source, *args)

    def alive(self) -> bool:
        """Whether the browser still answers (a cheap WebDriver round trip)."""
        if self._closed or self.driver is None:
            return False
        try:
            self.driver.execute_script("return 1;")
        except Exception:
            return False
        return True

    def window_id(self) -> str | None:
        """The X window id of the Chromium window, via xdotool (``None`` without xdotool)."""
        if shutil.which("xdotool") is None:
            return None
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--class", "chromium"],
            capture_output=True,
            text=True,
            env={**os.environ, "DISPLAY": self.display},
            check=False,
        )
        ids = found.stdout.split()
        return ids[-1] if ids else None

    def close(self) -> None:
        """Quit Chromium and remove its folder; idempotent."""
        if self._closed:
            return
        self._closed = True
        # Kill first, then free selenium's side without a word to the dead driver. A graceful
        # quit() first would wait on Chromium's own shutdown, bounded only by selenium's 120-s HTTP
        # timeout; the profile folder is deleted anyway, so there is nothing to shut down cleanly.
        self._reap()
        if self.driver is not None:
            _forget_driver(self.driver)


def _forget_driver(driver: Any) -> None:
    """Release selenium's handles on a driver whose processes are already dead.

    Not ``driver.quit()``: it sends WebDriver's DELETE session to the dead chromedriver, and
    urllib3 logs three "Retrying ... Connection refused" warnings before it gives up.
    """
    with contextlib.suppress(Exception):
        driver.service.stop()  # the process has exited: stop() only reaps it and closes its pipes
    with contextlib.suppress(Exception):
        driver.command_executor.close()  # the HTTP connection pool
