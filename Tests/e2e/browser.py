"""Shared plumbing for the browser journeys: the Chromium driver, signing in and out, forms,
explicit waits, the translation catalogue and axe-core.

The pages are read in Ukrainian (the platform's default), and every label a test looks for is
taken from the same catalogue the server renders with, so a journey fails when a feature breaks,
not when a translation is reworded.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get("E2E_BASE_URL", "http://127.0.0.1:8091").rstrip("/")
COMMUNITY = "khmelnytskyi"
PASSWORD = "demo-password"
LANGUAGE = "uk"
WAIT_SECONDS = 15

CATALOGUE = json.loads((ROOT / "Sources/Hromada/Resources/catalogue.json").read_text(encoding="utf-8"))

# The two ways every journey runs.
JS_MODES = ["js-on", "js-off"]

# WCAG 2.0 and 2.1 A and AA rules (no best practices); violations of these with the listed impacts
# fail a page. axe-core is the one axe-playwright-python ships (Tests/e2e/requirements.txt pins it).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_VERSION = "4.12.1"
AXE_SOURCE = (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
AXE_FAILING_IMPACTS = {"serious", "critical"}

SESSION_COOKIE = "hromada_session"
# E-mail → the session cookie its first sign-in gave, shared by every browser of this run.
_SESSIONS: dict[str, dict] = {}

RECEIPT_PATTERN = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def t(key: str) -> str:
    """The Ukrainian text of a catalogue key, as the server renders it."""
    return CATALOGUE[key][LANGUAGE]


def account(role: str) -> str:
    """The e-mail of a demo account: admin, moderator, head, official, ecology, desk, citizen, newcomer."""
    return f"{role}@{COMMUNITY}.demo"


def resident(number: int) -> str:
    """One of the 600 verified demo residents."""
    return f"resident-demo-{number}@{COMMUNITY}.demo"


def community_path(path: str = "") -> str:
    return f"/{COMMUNITY}{path}"


def _replaced(element: WebElement):
    """A wait condition: `element` is gone because another page loaded. ChromeDriver reports a node of
    the previous document either as stale or, at times, with an 'unhandled inspector error'."""
    def condition(_driver) -> bool:
        try:
            element.is_enabled()
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True
    return condition


def make_driver(javascript: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1024", "--lang=uk-UA", "--disable-extensions"):
        options.add_argument(argument)
    prefs = {"intl.accept_languages": "uk-UA,uk"}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    service = Service(os.environ.get("E2E_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


class Browser:
    """One headless Chromium with the operations the journeys are written in."""

    def __init__(self, javascript: bool):
        self.javascript = javascript
        self.driver = make_driver(javascript)
        self.signed_in_as: str | None = None
        self.screen: dict | None = None  # the emulated screen (emulate_screen), None for the window

    def quit(self) -> None:
        self.driver.quit()

    def emulate_screen(self, metrics: dict | None) -> None:
        """Shows the next pages on a screen of `metrics` (Chrome DevTools' device metrics: width, height,
        deviceScaleFactor, mobile) with touch, or on the browser's own window when None."""
        self.screen = metrics
        if metrics is None:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        else:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})

    # -- navigation and reading ---------------------------------------------------------------

    def open(self, path: str) -> "Browser":
        self.driver.get(path if path.startswith("http") else BASE_URL + path)
        self._expect_no_error_page()
        return self

    @property
    def path(self) -> str:
        url = self.driver.current_url
        return url[len(BASE_URL):] if url.startswith(BASE_URL) else url

    def find(self, css: str, within: WebElement | None = None) -> WebElement:
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def main_text(self) -> str:
        return self.find("main").text

    def heading(self) -> str:
        return self.find("main h1").text

    def flash(self) -> str:
        flashes = self.find_all("main p.flash")
        return flashes[0].text if flashes else ""

    def expect_flash(self, key: str) -> None:
        assert self.flash() == t(key), f"expected the notice {t(key)!r} ({key}) on {self.path}, got {self.flash()!r}"

    def expect_text(self, *texts: str, within: WebElement | None = None) -> None:
        shown = within.text if within is not None else self.main_text()
        for text in texts:
            assert text in shown, f"{text!r} is not on {self.path}"

    def expect_no_text(self, *texts: str, within: WebElement | None = None) -> None:
        shown = within.text if within is not None else self.main_text()
        for text in texts:
            assert text not in shown, f"{text!r} should not be on {self.path}"

    def wait_until(self, condition, message: str, timeout: float = WAIT_SECONDS):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition)
        except TimeoutException:
            raise AssertionError(f"{message} (waited {timeout:.0f} s on {self.path})") from None

    def wait_for(self, css: str, timeout: float = WAIT_SECONDS) -> WebElement:
        return self.wait_until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} did not appear", timeout)

    def element_with_text(self, css: str, text: str) -> WebElement:
        """The first element matching `css` whose text contains `text`."""
        for element in self.find_all(css):
            if text in element.text:
                return element
        raise AssertionError(f"no {css} containing {text!r} on {self.path}")

    def _expect_no_error_page(self) -> None:
        # Error pages render error.mustache; a journey must never land on one by accident.
        codes = self.find_all("main .error-page")
        assert not codes, f"error page at {self.path}: {self.main_text()[:300]}"

    # -- forms ----------------------------------------------------------------------------------

    def fill(self, field_id: str, value: str, within: WebElement | None = None) -> None:
        field = self.find(f"#{field_id}", within)
        field.clear()
        field.send_keys(value)

    def choose(self, field_id: str, *, value: str | None = None, label: str | None = None) -> None:
        select = Select(self.find(f"#{field_id}"))
        if value is not None:
            select.select_by_value(value)
        else:
            select.select_by_visible_text(label)

    def button(self, label: str, within: WebElement | None = None) -> WebElement:
        for candidate in self.find_all("button", within):
            if candidate.text.strip() == label and candidate.is_displayed():
                return candidate
        raise AssertionError(f"no button {label!r} on {self.path}")

    def submit(self, button: WebElement | str, within: WebElement | None = None) -> None:
        """Clicks a submit button and waits for the next page to load."""
        if isinstance(button, str):
            button = self.button(button, within)
        page = self.find("html")
        button.click()
        self.wait_until(_replaced(page), "the form was not sent")
        self.wait_until(lambda d: d.execute_script("return document.readyState") == "complete", "the page did not load")
        self._expect_no_error_page()

    def click_link(self, text: str, within: WebElement | None = None) -> None:
        link = (within or self.driver).find_element(By.PARTIAL_LINK_TEXT, text)
        page = self.find("html")
        link.click()
        self.wait_until(_replaced(page), f"the link {text!r} did not open a page")
        self._expect_no_error_page()

    # -- accounts -------------------------------------------------------------------------------

    def sign_out(self) -> None:
        """Signs out with the header's button, which ends the session on the server."""
        forms = self.find_all("header form[action='/signout']")
        if not forms:
            self.open("/")
            forms = self.find_all("header form[action='/signout']")
        if forms:
            self.submit(self.find("button", forms[0]))
            assert self.find_all("header a[href='/signin']"), "still signed in after signing out"
        _SESSIONS.pop(self.signed_in_as, None)
        self.signed_in_as = None

    def sign_in(self, email: str, then: str | None = None) -> str:
        """Becomes `email` and returns the person's name from the header.

        The first time in a run this goes through the sign-in form; afterwards the session cookie that
        sign-in gave is reused (another person simply picks up their own device), because sign-in
        allows 50 attempts per address in 15 minutes and every journey here comes from 127.0.0.1.
        """
        self.driver.get(BASE_URL + "/healthz")
        self.driver.delete_all_cookies()
        cookie = _SESSIONS.get(email)
        if cookie is not None:
            self.driver.add_cookie(cookie)
            self.open(then or "/account")
            links = self.find_all("header nav.account a[href='/account']")
            if links:
                self.signed_in_as = email
                return links[0].text
            _SESSIONS.pop(email, None)  # the session ended; sign in again
            self.driver.delete_all_cookies()
        self.open("/signin" + (f"?next={then}" if then else ""))
        self.fill("email", email)
        self.fill("password", PASSWORD)
        self.submit(t("signin.submit"), within=self.find("main form"))
        errors = self.find_all("main .form-error")
        assert not errors, f"signing in as {email} failed: {errors[0].text}"
        links = self.find_all("header nav.account a[href='/account']")
        assert links and links[0].text, f"no account link in the header after signing in as {email}"
        session = self.driver.get_cookie(SESSION_COOKIE)
        assert session is not None, f"signing in as {email} set no {SESSION_COOKIE} cookie"
        _SESSIONS[email] = {key: session[key] for key in ("name", "value", "path", "httpOnly", "secure") if key in session}
        self.signed_in_as = email
        return links[0].text

    # -- accessibility --------------------------------------------------------------------------

    def accessibility_violations(self) -> list[dict]:
        """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the current page.

        axe-core is the copy inside axe-playwright-python (only its axe.min.js is used, injected here
        through Selenium), run on the whole document with exactly the rules of AXE_TAGS: an unknown tag
        or a rule that fails to run is an error, never a silent pass.
        """
        if not self.driver.execute_script("return typeof window.axe === 'object'"):
            self.driver.execute_script(AXE_SOURCE)
        outcome = self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
              .then(results => done({
                      version: axe.version, violations: results.violations,
                      broken: results.incomplete.filter(rule => rule.error)
                                                .map(rule => `${rule.id}: ${rule.error.message}`)}),
                    error => done({error: String(error)}));
            """, AXE_TAGS)
        assert "error" not in outcome, f"axe-core failed on {self.path}: {outcome.get('error')}"
        assert not outcome["broken"], f"axe-core rules failed to run on {self.path}: {outcome['broken']}"
        assert outcome["version"] == AXE_VERSION, f"axe-core {outcome['version']} ran, not {AXE_VERSION}"
        return [violation for violation in outcome["violations"] if violation.get("impact") in AXE_FAILING_IMPACTS]

    def overflowing_elements(self) -> list[str]:
        """On an emulated phone: the elements that stick out to the right of its screen, making the page
        scroll sideways (WCAG 1.4.10 Reflow, which axe-core does not check). A mobile browser widens its
        layout to fit them, so the page is measured against the screen's own width. Elements inside a
        map (Leaflet clips its tiles and panes) do not count."""
        if self.screen is None:
            return []
        return self.driver.execute_script(
            """
            const width = arguments[0];
            if (document.documentElement.scrollWidth <= width) return [];
            return [...document.body.querySelectorAll("*")]
              .filter(element => !element.closest(".leaflet-container") || element.matches(".leaflet-container"))
              .filter(element => element.getBoundingClientRect().right > width + 1)
              .map(element => `${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}`
                   + `${element.classList.length ? "." + [...element.classList].join(".") : ""}`
                   + ` (right edge at ${Math.round(element.getBoundingClientRect().right)} px)`)
              .slice(0, 8);
            """, self.screen["width"])

    @staticmethod
    def describe(violations: list[dict]) -> str:
        """The violations as lines: rule, impact, help, and up to five elements with what is wrong."""
        lines = []
        for violation in violations:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
            for node in violation["nodes"][:5]:
                summary = " / ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
                lines.append(f"    {' '.join(node['target'])}: {summary}")
        return "\n".join(lines)


def api_sign_in(email: str) -> str:
    """A bearer token for `email` from the JSON API (to act as a second person while a page is open)."""
    request = urllib.request.Request(
        f"{BASE_URL}/api/v1/session", method="POST",
        data=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def api_post(path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{BASE_URL}{path}", method="POST", data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
