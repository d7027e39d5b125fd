"""The administrative service centre's desks, as the centre's clerk uses them: a resident's standing
verification is replaced only with a stated reason and stays in the history; the resident is then
found by the new document at the in-person voting desk and their ballot is recorded."""

from browser import Browser, account, community_path, resident, t

# Demo residents who have not voted this year (the demo's voters are residents 301–480), one per mode.
WALK_IN = {True: 551, False: 552}


def history_rows(browser: Browser):
    return browser.find_all("#history tbody tr")


def fill_verification(browser: Browser, email: str, document: str, reason: str) -> None:
    browser.fill("email", email)
    browser.fill("full_name", "Оксана Переїзна")
    # A date field's typing order follows the browser's locale; its value is ISO whatever the locale.
    browser.driver.execute_script("arguments[0].value = arguments[1]", browser.find("#birth_date"), "1985-05-05")
    browser.find("input[name=resident][value=yes]").click()
    browser.choose("document_type", value="id_card")
    browser.fill("document_number", document)
    browser.fill("reason", reason)


def test_desk_journey(browser: Browser):
    number = WALK_IN[browser.javascript]
    email = resident(number)
    document = f"ЦН{number:06d}"
    browser.sign_in(account("desk"))
    browser.open(community_path("/office"))
    browser.click_link(t("verify.title"))
    assert browser.heading() == t("verify.title")

    # The resident's history: the verification the demo recorded, standing.
    browser.fill("history-email", email)
    browser.submit(t("verify.find_submit"))
    assert len(history_rows(browser)) == 1
    browser.expect_text(t("verify.standing"), within=browser.find("#history"))

    # New details without a reason: refused at the reason field, and nothing changed.
    fill_verification(browser, email, document, reason="")
    browser.submit(t("verify.submit"))
    error = browser.find("#reason-error")
    assert error.text == t("verify.error.reason")
    reason_field = browser.find("#reason")
    assert reason_field.get_attribute("aria-invalid") == "true"
    assert "reason-error" in reason_field.get_attribute("aria-describedby").split()
    assert len(history_rows(browser)) == 1

    # With the reason: replaced, and the earlier verification stays in the history with it.
    reason = f"Нова ID-картка, мешканка {number}"
    fill_verification(browser, email, document, reason=reason)
    browser.submit(t("verify.submit"))
    browser.expect_flash("verify.replaced")
    rows = history_rows(browser)
    assert len(rows) == 2
    assert "Оксана Переїзна" in rows[0].text and t("verify.standing") in rows[0].text
    assert t("verify.replaced_on") in rows[1].text and reason in rows[1].text

    # At the in-person voting desk the same person is found by the new document.
    browser.open(community_path("/office"))
    browser.click_link(t("budget.desk_title"))
    browser.choose("document_type", value="id_card")
    browser.fill("document_number", document.lower())
    browser.submit(t("budget.find_voter"))
    voter = browser.find("main section.card")
    assert voter.find_element("css selector", "h2").text == "Оксана Переїзна"
    choice = voter.find_element("css selector", "input[type=checkbox][name^=project_]")
    title = choice.find_element("xpath", "..").text.split(" · ")[0].strip()
    choice.click()
    browser.submit(t("budget.record_ballot"), within=voter)
    browser.expect_flash("budget.ballot_recorded")

    # Looked up again, the ballot shows as cast and is not offered a second time.
    browser.choose("document_type", value="id_card")
    browser.fill("document_number", document)
    browser.submit(t("budget.find_voter"))
    voter = browser.find("main section.card")
    browser.expect_text(title, t("budget.you_voted"), within=voter)
