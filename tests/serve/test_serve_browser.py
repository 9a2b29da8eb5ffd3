"""The page in a real browser: headless Chromium from the system's packages, driven by Selenium through the
system chromedriver (nothing is downloaded at run time). It opens the page, types an instruction, presses
Run, waits for the episode to end, and checks the outcome, the frames, the words shown as text, a bad
instruction's message, and saves a screenshot.

`python tests/serve/test_serve_browser.py --policy RUN --out docs/img/serve.png` takes the README's screenshot.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="headless Chromium is not installed (Debian: apt-get install chromium chromium-driver; "
        "`make test` installs them where apt-get can)",
    ),
]


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def browser(width: int = 1240, height: int = 860):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, condition, timeout: float = 60.0, what: str = "") -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def run_episode(driver, url: str, instruction: str | None, group: str | None = None) -> None:
    """Open the page, pick `group`, type `instruction` (None: click the scene's first wording from the
    training grammar), press Run, wait for the outcome."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(url)
    text = lambda d, i: d.find_element(By.ID, i).text  # noqa: E731
    wait_for(driver, lambda d: text(d, "task") and int(text(d, "frames")) >= 1, what="the first scene")
    if group is not None:
        frames = int(text(driver, "frames"))
        Select(driver.find_element(By.ID, "group")).select_by_value(group)
        wait_for(driver, lambda d: int(text(d, "frames")) > frames, what="the new family's scene")
    if instruction is None:
        driver.find_elements(By.CSS_SELECTOR, "#examples button")[1].click()
    else:
        box = driver.find_element(By.ID, "instruction")
        box.clear()
        box.send_keys(instruction)
    driver.find_element(By.ID, "run").click()
    wait_for(driver, lambda d: text(d, "outcome") in ("success", "steps used up"), what="the episode's end")


def test_the_page_runs_an_episode_in_a_real_browser(tiny_policy, tmp_path):
    from selenium.webdriver.common.by import By

    from simplevla.serve.app import make_app

    instruction = "push the <b>red</b> circle to the left"
    with serving(make_app(tiny_policy, fps=40)) as url, browser() as driver:
        run_episode(driver, url, instruction, group="reach")
        text = lambda i: driver.find_element(By.ID, i).text  # noqa: E731
        steps = int(text("status").split()[1])
        assert text("status").endswith("ended") and 1 <= steps <= 40
        assert int(text("frames")) >= steps + 1  # the first scene and every step arrived
        assert text("used") == instruction and not driver.find_elements(By.CSS_SELECTOR, "#used b")
        assert text("understood") in ("yes", "no") and text("reading")
        colours = driver.execute_script(
            "const d = document.getElementById('scene').getContext('2d').getImageData(0, 0, 512, 512).data;"
            "const seen = new Set(); for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] * 65536 + "
            "d[i + 1] * 256 + d[i + 2]); return seen.size;"
        )
        assert colours >= 5, "the scene canvas is blank"
        assert driver.find_element(By.ID, "gif").get_attribute("href").endswith("/episode.gif")
        shot = tmp_path / "serve.png"
        driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 10_000

        example = driver.find_elements(By.CSS_SELECTOR, "#examples button")[1]
        example.click()
        assert example.text.startswith(driver.find_element(By.ID, "instruction").get_attribute("value"))

        driver.find_element(By.ID, "reset").click()
        wait_for(driver, lambda d: text("outcome") == "-", what="the reset")
        driver.find_element(By.ID, "instruction").clear()
        driver.find_element(By.ID, "step").click()
        wait_for(driver, lambda d: "the instruction is empty" in text("error"), what="the error message")
        driver.find_element(By.ID, "instruction").send_keys("touch the blue one")
        driver.find_element(By.ID, "step").click()  # the server kept running
        wait_for(driver, lambda d: text("status").startswith("step 1 of"), what="a step after the error")
        assert text("error") == ""


def main() -> None:
    """Serve a policy, run one episode in the browser, and save the page as a screenshot."""
    from simplevla.models import load_policy
    from simplevla.serve.app import make_app

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--policy", required=True)
    parser.add_argument("--out", default="docs/img/serve.png")
    parser.add_argument("--group", default="push_to_place")
    parser.add_argument(
        "--instruction", default=None, help="default: the scene's first training-grammar wording"
    )
    args = parser.parse_args()
    from selenium.webdriver.common.by import By

    with serving(make_app(load_policy(args.policy))) as url, browser() as driver:
        run_episode(driver, url, args.instruction, group=args.group)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(args.out)
        print(args.out, driver.find_element(By.ID, "outcome").text)


if __name__ == "__main__":
    main()
