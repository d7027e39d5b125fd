"""E-mail confirmation and password reset, as a new resident meets them: sign up, be refused a
signature until the e-mail's link is followed, confirm, get verified at the desk, sign; and forget the
password, reset it through the link the outbox holds, and find the other browser signed out.

Account mail belongs to no community, so no administrator's outbox page shows it: the journeys read
the link from the outbox table (`E2E_DATABASE_URL`, set by scripts/e2e.sh), as a mail relay would
pick it up."""

import os
import re
import subprocess
import uuid

from selenium.webdriver.common.by import By

from browser import BASE_URL, Browser, account, community_path, t, _replaced
from test_desk import fill_verification

PASSWORD = "a long enough password"


def sql(query: str, *parameters: str) -> str:
    """One value from the e2e database (psql variables keep the parameters out of the SQL text)."""
    command = ["psql", os.environ["E2E_DATABASE_URL"], "-tAX", "-v", "ON_ERROR_STOP=1"]
    for index, value in enumerate(parameters, 1):
        command += ["-v", f"p{index}={value}"]
    return subprocess.run(command, input=query, capture_output=True, text=True, check=True).stdout.strip()


def latest_link(email: str, path: str) -> str:
    body = sql("SELECT body FROM outbox_messages WHERE to_address = :'p1' AND position(:'p2' IN body) > 0 ORDER BY id DESC LIMIT 1",
               email, path + "?token=")
    match = re.search(re.escape(BASE_URL + path) + r"\?token=[A-Za-z0-9_-]+", body)
    assert match, f"no {path} link in the outbox for {email}"
    return match.group(0)


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}


def check_page(browser: Browser) -> None:
    """The page at hand on the desktop window and on a 390 px phone: no serious axe violation, no
    sideways scrolling (the same bar as test_accessibility, for pages only a mailed link reaches).
    axe runs as a script, so only the JavaScript-on journey checks."""
    if not browser.javascript:
        return
    for screen in (None, PHONE):
        browser.emulate_screen(screen)
        violations = browser.accessibility_violations()
        assert not violations, f"{browser.path}:\n{Browser.describe(violations)}"
        if screen:
            wider = browser.overflowing_elements()
            assert not wider, f"{browser.path} scrolls sideways at 390 px: {', '.join(wider)}"
    browser.emulate_screen(None)


def click_expecting_refusal(browser: Browser, label: str) -> None:
    """Clicks a submit button whose answer is an error page (Browser.submit refuses those)."""
    page = browser.find("html")
    browser.button(label).click()
    browser.wait_until(_replaced(page), "the form was not sent")


def sign_up(browser: Browser, email: str, name: str) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/signup?community=khmelnytskyi")
    browser.fill("full_name", name)
    browser.fill("email", email)
    browser.fill("password", PASSWORD)
    browser.submit(t("signup.submit"))
    browser.expect_flash("signup.confirm_sent")


def test_confirmation_journey(browser: Browser, run_tag: str):
    email = f"{run_tag}@example.ua"
    name = f"Нова Мешканка {run_tag}"
    petition = sql("SELECT min(id) FROM petitions WHERE status = 'collecting' AND community_id = "
                   "(SELECT id FROM communities WHERE slug = 'khmelnytskyi')")
    petition_path = community_path(f"/petitions/{petition}")
    sign_up(browser, email, name)

    # Reading works; signing is refused with the reason and the offer to send the link again.
    browser.open(petition_path)
    click_expecting_refusal(browser, t("petition.sign"))
    assert browser.heading() == t("error.email-unconfirmed.title")
    browser.expect_text(email)
    assert browser.find_all("main form[action='/email/confirm/resend']")
    check_page(browser)

    # The link opens a page; its button confirms.
    link = latest_link(email, "/email/confirm")
    browser.open(link)
    browser.expect_text(email)
    assert not browser.find_all("input[name=sign_in]"), "signed in here already: nothing to choose"
    check_page(browser)
    browser.submit(t("confirm.submit"))
    browser.expect_flash("confirm.done")
    browser.expect_no_text(t("account.email_unconfirmed"))

    # The same link again: a clear page, nothing changed.
    browser.driver.get(link)
    assert browser.heading() == t("link.used.title")
    check_page(browser)

    # Verified at the service centre's desk, the resident signs.
    desk = Browser(javascript=browser.javascript)
    try:
        desk.sign_in(account("desk"))
        desk.open(community_path("/office/verifications"))
        fill_verification(desk, email, f"ЕП{uuid.uuid4().int % 1_000_000:06d}", reason="")
        desk.submit(t("verify.submit"))
    finally:
        desk.quit()
    browser.open(petition_path)
    browser.submit(t("petition.sign"))
    browser.expect_flash("petition.signed")


def test_confirmation_in_another_browser_signs_in_only_when_chosen(browser: Browser, run_tag: str):
    email = f"{run_tag}@example.ua"
    sign_up(browser, email, f"Інший Браузер {run_tag}")
    browser.driver.delete_all_cookies()  # as a phone that never signed in would open it
    browser.open(latest_link(email, "/email/confirm"))
    box = browser.find("input[name=sign_in]")
    assert not box.is_selected()
    box.click()
    browser.submit(t("confirm.submit"))
    browser.expect_flash("confirm.done")
    assert browser.find_all("header nav.account a[href='/account']"), "ticked: signed in"


def test_password_reset_journey(browser: Browser, run_tag: str):
    email = f"{run_tag}@example.ua"
    sign_up(browser, email, f"Забудькувата {run_tag}")
    browser.open(latest_link(email, "/email/confirm"))
    browser.submit(t("confirm.submit"))

    # Another browser forgets the password: the answer names no account, the outbox holds the link.
    other = Browser(javascript=browser.javascript)
    try:
        other.open("/signin")
        other.click_link(t("signin.forgot"))
        other.fill("email", email)
        other.submit(t("reset.send"))
        other.expect_text(t("reset.sent_lead"))
        check_page(other)
        other.open(latest_link(email, "/password/reset"))
        other.fill("password", "short")
        click_expecting_refusal(other, t("reset.submit"))
        assert other.find("#password").get_attribute("aria-invalid") == "true"
        check_page(other)
        other.fill("password", "the new long password")
        other.submit(t("reset.submit"))
        other.expect_flash("reset.done")
        other.fill("email", email)
        other.fill("password", "the new long password")
        other.submit(t("signin.submit"), within=other.find("main form"))
        assert other.find_all("header nav.account a[href='/account']"), "the new password signs in"
    finally:
        other.quit()

    # The first browser's session has ended.
    browser.driver.get(BASE_URL + "/account")
    assert browser.find_all("header a[href='/signin']"), "the old session still works after the reset"
    assert sql("SELECT count(*) FROM outbox_messages WHERE to_address = :'p1' AND subject = :'p2'",
               email, t("mail.password_changed.subject")) == "1"
