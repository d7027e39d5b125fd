"""Fixtures for the journeys: a browser per test in each JavaScript mode, a tag that makes this
run's content unique, and screenshots with the page source of every failure in .run/e2e-failures/."""

import re
import time
import uuid

import pytest

from browser import JS_MODES, ROOT, Browser

FAILURES = ROOT / ".run" / "e2e-failures"


@pytest.fixture(params=JS_MODES)
def browser(request):
    """A fresh headless Chromium with JavaScript on or off (the test id says which)."""
    instance = Browser(javascript=request.param == "js-on")
    yield instance
    instance.quit()


@pytest.fixture
def run_tag(request) -> str:
    """Marks what a journey creates, so it is found again among the demo data."""
    mode = "js" if "js-on" in request.node.name else "nojs"
    return f"e2e-{mode}-{uuid.uuid4().hex[:6]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when == "teardown":
        return
    browsers = [value for value in item.funcargs.values() if isinstance(value, Browser)]
    if not browsers:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name) + time.strftime("-%H%M%S")
    saved = []
    for index, browser in enumerate(browsers):
        suffix = "" if len(browsers) == 1 else f"-{index}"
        screenshot = FAILURES / f"{stem}{suffix}.png"
        source = FAILURES / f"{stem}{suffix}.html"
        try:
            browser.driver.save_screenshot(str(screenshot))
            source.write_text(f"<!-- {browser.driver.current_url} -->\n" + browser.driver.page_source, encoding="utf-8")
            saved += [str(screenshot), str(source)]
        except Exception as error:  # the browser itself may be what failed
            saved.append(f"(could not save the page: {error})")
    lines = [f"{item.nodeid}: {path}" for path in saved]
    report.sections.append(("e2e failure artefacts", "\n".join(lines)))
    terminal = item.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line("")
        for line in lines:
            terminal.write_line(f"saved {line}")
