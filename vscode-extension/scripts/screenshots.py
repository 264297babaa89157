"""Take the README's screenshots from a real VS Code: code-server + headless Chromium driven by selenium.

Starts the example endpoint (blue under debugpy, green beside it, traffic 90/10) in a private LOCALEP_HOME,
opens the workspace with this extension loaded, and saves PNGs into vscode-extension/media/. Everything it
starts is stopped afterwards. Needs .ci/code-server's install and `pip install selenium`.

    .venv/bin/python vscode-extension/scripts/screenshots.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from codeserver import CHROMIUM_FLAGS, EXTENSION, CodeServer, compile_extension  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ENDPOINT = "demo-regression"
MEDIA = EXTENSION / "media"


def localep(env: dict, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "localep"), *args], env=env, check=True)


def make_workspace(root: Path) -> Path:
    workspace = root / "numpy-regression"
    shutil.copytree(REPO / "examples" / "numpy-regression", workspace)
    for yml in workspace.glob("*.yml"):
        text = yml.read_text().replace("numpy-regression\n", f"{ENDPOINT}\n")
        yml.write_text(text)
    green = (workspace / "blue-deployment.yml").read_text().replace("name: blue\n", "name: green\n")
    (workspace / "green-deployment.yml").write_text(green)
    (workspace / ".vscode").mkdir()
    (workspace / ".vscode" / "settings.json").write_text(json.dumps({
        "localep.path": str(Path(sys.executable).parent / "localep"),
        "localep.refreshIntervalSeconds": 2,
    }))
    return workspace


def browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def palette(driver: WebDriver, text: str) -> None:
    ActionChains(driver).send_keys(Keys.F1).perform()
    box = WebDriverWait(driver, 20).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".quick-input-widget input")))
    box.send_keys(text)
    time.sleep(1.0)
    box.send_keys(Keys.ENTER)


def quick_input(driver: WebDriver, text: str, settle: float = 1.0) -> None:
    box = WebDriverWait(driver, 20).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".quick-input-widget input")))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text)
    time.sleep(settle)
    box.send_keys(Keys.ENTER)


def open_file(driver: WebDriver, name: str) -> None:
    palette(driver, "View: Close All Editors")
    time.sleep(0.5)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("p").key_up(Keys.CONTROL).perform()
    quick_input(driver, name)


def wait_for_text(driver: WebDriver, css: str, text: str, timeout: float = 60) -> None:
    WebDriverWait(driver, timeout).until(
        lambda d: any(text in element.text for element in d.find_elements(By.CSS_SELECTOR, css)))


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="localep-shots-"))
    env = {**os.environ, "LOCALEP_HOME": str(root / "home")}
    workspace = make_workspace(root)
    compile_extension()
    driver = None
    try:
        localep(env, "up", str(workspace / "blue-deployment.yml"), str(workspace / "green-deployment.yml"),
                "--detach")
        localep(env, "up", str(workspace / "blue-deployment.yml"), "--detach", "--debug")
        localep(env, "traffic", "set", ENDPOINT, "blue=90", "green=10")
        state = root / "code-server"
        state.mkdir()
        with CodeServer(state, env) as server:
            driver = browser()
            driver.set_window_size(1400, 900)
            driver.get(server.url(workspace, [("extensionDevelopmentPath", server.remote(EXTENSION))]))
            WebDriverWait(driver, 90).until(
                expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".monaco-workbench .activitybar")))
            time.sleep(3)
            palette(driver, "View: Show localep")
            wait_for_text(driver, ".monaco-list-row", "debug :")
            open_file(driver, "blue-deployment.yml")
            wait_for_text(driver, ".codelens-decoration", "Debug locally")
            time.sleep(1)
            driver.save_screenshot(str(MEDIA / "tree-and-codelens.png"))

            palette(driver, "localep: Invoke with Request File...")
            quick_input(driver, f"{ENDPOINT}/blue")
            time.sleep(1.5)
            quick_input(driver, "sample-request.json")
            wait_for_text(driver, ".tab", ".status.http", timeout=30)
            time.sleep(2)
            driver.save_screenshot(str(MEDIA / "invoke-answer.png"))

            palette(driver, "localep: Set Traffic Split...")
            quick_input(driver, ENDPOINT)
            WebDriverWait(driver, 20).until(
                lambda d: "now sends" in (d.find_element(By.CSS_SELECTOR, ".quick-input-widget input")
                                          .get_attribute("placeholder") or ""))
            time.sleep(1)
            driver.save_screenshot(str(MEDIA / "traffic-split.png"))
            driver.find_element(By.CSS_SELECTOR, ".quick-input-widget input").send_keys(Keys.ESCAPE)
    except BaseException:
        if driver is not None:
            driver.save_screenshot(str(root.parent / "localep-screenshot-failure.png"))
        raise
    finally:
        if driver is not None:
            driver.quit()
        subprocess.run([str(Path(sys.executable).parent / "localep"), "down", ENDPOINT], env=env, check=False)
        shutil.rmtree(root, ignore_errors=True)
    print("saved:", *sorted(path.name for path in MEDIA.glob("*.png")))


if __name__ == "__main__":
    main()
