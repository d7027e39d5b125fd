"""Accounts: a visitor reads the public pages without being given a cookie (so caches in front may
share them), is offered sign-in instead of a petition's sign button, and signs up through the form,
whose CSRF token is bound to the visitor cookie that comes with the form itself."""

from browser import Browser, community_path, t

VISITOR_COOKIE = "hromada_visitor"


def cookie_names(browser: Browser) -> set[str]:
    return {cookie["name"] for cookie in browser.driver.get_cookies()}


def test_sign_up_journey(browser: Browser, run_tag: str):
    browser.open(community_path("/petitions"))
    petition = browser.find("main h2 a").get_attribute("href")
    browser.open(petition)
    assert not browser.find_all("main form[action$='/sign']"), "a visitor is offered a form they cannot send"
    link = browser.find("main section.signing a[href^='/signin']")
    assert link.text == t("petition.sign_in_to_sign"), link.text
    assert cookie_names(browser) == set(), f"public pages set cookies: {cookie_names(browser)}"

    # The sign-up form brings the visitor cookie its token is bound to.
    browser.open("/signup")
    assert VISITOR_COOKIE in cookie_names(browser), "the sign-up form set no visitor cookie"
    name = f"Нова Мешканка {run_tag}"
    browser.fill("full_name", name)
    browser.fill("email", f"{run_tag}@example.ua")
    browser.fill("password", "correct horse battery staple")
    browser.submit(t("signup.submit"), within=browser.find("main form"))
    browser.expect_flash("signup.confirm_sent")
    links = browser.find_all("header nav.account a[href='/account']")
    assert links and links[0].text == name, "not signed in after signing up"
