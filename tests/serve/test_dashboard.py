"""The dashboard in a real browser (Debian's chromium, driven by Selenium): the server and the
default graph run, the page opens, the cursor moves, the latency table fills, and a screenshot
is saved (in ``$CORTEXLINK_ARTIFACTS``, default ``test-artifacts/``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from .helpers import bearer
from .live_server import LiveServer

pytestmark = pytest.mark.slow


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        why = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(why + "; .ci/run installs them")
        pytest.skip(why)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def _wait(predicate, timeout: float, what: str, browser):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    browser.save_screenshot(str(_artifacts() / "dashboard-failed.png"))
    said = browser.find_element("id", "message").text
    pytest.fail(f"timed out waiting for {what} (the page says {said!r}; dashboard-failed.png saved)")


def _artifacts() -> Path:
    out = Path(os.environ.get("CORTEXLINK_ARTIFACTS", "test-artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.timeout(180)
def test_dashboard_shows_the_running_default_graph(config, tokens, tmp_path):
    import httpx

    from cortexlink.nodes.default_graph import default_graph_text
    from cortexlink.serve import create_app

    # the default graph, light enough for a busy test machine (one array, 10 ms chunks, short calibration)
    document = yaml.safe_load(default_graph_text(calibration_s=2.0, rms_s=0.3, chunk_ms=10.0, n_arrays=1))
    browser = _browser()
    try:
        with LiveServer(create_app(config)) as url:
            r = httpx.post(
                f"{url}/graphs",
                json={"document": document, "duration_s": 60},
                headers=bearer(tokens["control"]),
                timeout=90,
            )
            assert r.status_code == 201, r.text
            browser.get(f"{url}/dashboard/#token={tokens['control']}")
            pos = browser.find_element("id", "cursor-pos")
            first = _wait(
                lambda: pos.text if pos.text not in ("", "-") else None, 60, "the cursor stream", browser
            )
            _wait(lambda: pos.text != first, 20, "the cursor to move", browser)
            table = (
                "return [...document.querySelectorAll('#latency tbody tr')]"
                ".map(r => [...r.cells].map(c => c.textContent));"
            )
            filled = lambda: [r for r in browser.execute_script(table) if any(c.isdigit() for c in r[2:5])]  # noqa: E731
            _wait(lambda: len(filled()) >= 5, 30, "latencies of every node in the table", browser)
            assert "token" not in browser.current_url  # the token left the address bar
            shot = _artifacts() / "dashboard.png"
            browser.save_screenshot(str(shot))
            assert shot.stat().st_size > 10_000
            browser.find_element("id", "estop").click()
            state = browser.find_element("id", "graph-state")
            _wait(lambda: "stopped" in state.text, 20, "the emergency stop", browser)
    finally:
        browser.quit()
