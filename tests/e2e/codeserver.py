"""A real VS Code for tests: code-server (installed by .ci/code-server) and headless Chromium, offline.

Each runs in its own process group and is stopped as a group: extension hosts outlive the browser, and
Chromium forks renderers. See /work/shared/reference/vscode-in-ci.md for where the flags come from.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from localep.runtime.ports import free_port

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "vscode-extension"
CODE_SERVER_VERSION = "4.100.3"
DEFAULT_CODE_SERVER = Path(os.environ.get("LOCALEP_CACHE_DIR", "/var/cache/localep")) / \
    f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / ".bin" / "code-server"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--password-store=basic", "--window-size=1400,900",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
}


def missing_tools() -> List[str]:
    """What is not installed for a real VS Code run, as hints; empty when everything is there."""
    missing = []
    if not code_server_path().exists():
        missing.append(f"code-server {CODE_SERVER_VERSION} (run .ci/code-server)")
    if shutil.which("chromium") is None:
        missing.append("chromium (run .ci/code-server)")
    if shutil.which("chromedriver") is None:
        missing.append("chromedriver (run .ci/code-server)")
    if not (EXTENSION / "node_modules").is_dir():
        missing.append("the extension's node_modules (run npm ci in vscode-extension)")
    return missing


def code_server_path() -> Path:
    return Path(os.environ.get("LOCALEP_CODE_SERVER", DEFAULT_CODE_SERVER))


def compile_extension() -> None:
    subprocess.run(["npm", "run", "--silent", "compile"], cwd=EXTENSION, check=True, timeout=300)


def stop_group(process: Optional[subprocess.Popen], grace_s: float = 5.0) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever of it is left after `grace_s`."""
    if process is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            process.poll()  # reap the leader, or its zombie keeps the group alive
            if not _group_alive(process.pid):
                process.wait()
                return
            time.sleep(0.1)
    process.wait(timeout=grace_s)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


class CodeServer:
    """code-server on 127.0.0.1 with its own folders, and a headless Chromium opening it."""

    def __init__(self, state_dir: Path, env: Dict[str, str]):
        self.state_dir = state_dir
        self.port = free_port()
        self.env = {**env, "EXTENSIONS_GALLERY": json.dumps({"serviceUrl": "http://127.0.0.1:9/gallery"})}
        self.server: Optional[subprocess.Popen] = None
        self.browser: Optional[subprocess.Popen] = None
        self.driver: Optional[WebDriver] = None
        self.log = state_dir / "code-server.log"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CodeServer:
        config = self.state_dir / "config.yaml"
        config.write_text(f"bind-addr: 127.0.0.1:{self.port}\nauth: none\ncert: false\n")
        user_data = self.state_dir / "user-data"
        (user_data / "User").mkdir(parents=True, exist_ok=True)
        (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
        with open(self.log, "wb") as log:
            self.server = subprocess.Popen(
                [str(code_server_path()), "--config", str(config), "--user-data-dir", str(user_data),
                 "--extensions-dir", str(self.state_dir / "extensions"), "--disable-telemetry",
                 "--disable-update-check", "--disable-workspace-trust"],
                stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )
        try:
            self._wait_healthy(60.0)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.server is not None
            if self.server.poll() is not None:
                raise RuntimeError(f"code-server exited with {self.server.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.origin}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"code-server did not answer /healthz within {timeout_s:.0f} s:\n{self.log_tail()}")

    def url(self, folder: Path, payload: Sequence[Tuple[str, str]] = ()) -> str:
        query = {"folder": str(folder)}
        if payload:
            query["payload"] = json.dumps([list(pair) for pair in payload])
        return f"{self.origin}/?{urllib.parse.urlencode(query)}"

    def remote(self, path: Path) -> str:
        """A host path as the vscode-remote URI the workbench resolves on this server."""
        return f"vscode-remote://127.0.0.1:{self.port}{path}"

    def open_headless(self, url: str) -> None:
        """Chromium without a driver: enough for running an extension test suite."""
        profile = self.state_dir / "chromium"
        with open(self.state_dir / "chromium.log", "wb") as log:
            self.browser = subprocess.Popen(
                [shutil.which("chromium") or "chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "HOME": str(self.state_dir)},  # its crash reports stay in our folder
            )

    def open_driven(self, url: str) -> WebDriver:
        """Chromium under chromedriver (selenium), for tests that also take screenshots of the workbench."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={self.state_dir / 'chromium'}"]:
            options.add_argument(flag)
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver", log_output=str(self.state_dir / "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.get(url)
        return self.driver

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return "(no code-server log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, *exc_info: object) -> None:
        if self.driver is not None:
            self.driver.quit()
        stop_group(self.browser)
        stop_group(self.server)
