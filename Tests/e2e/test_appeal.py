"""Appeal: the citizen writes to the council, the department head assigns it in the office, the
official answers, and the citizen reads the answer."""

from selenium.webdriver.support.ui import Select

from browser import Browser, account, community_path, t


def test_appeal_journey(browser: Browser, run_tag: str):
    subject = f"Не світить ліхтар у дворі ({run_tag})"
    answer = f"Ліхтар замінено, освітлення працює ({run_tag})."

    # The citizen writes the appeal on street lighting.
    browser.sign_in(account("citizen"))
    browser.open(community_path("/appeals"))
    browser.choose("topic", value="street_lighting")
    browser.fill("subject", subject)
    browser.fill("body", "Біля будинку не світить ліхтар уже тиждень, увечері зовсім темно.")
    browser.fill("address", "вул. Подільська, 10")
    browser.submit(t("appeal.submit"))

    browser.expect_flash("appeal.registered")
    appeal_path = browser.path
    assert appeal_path.startswith(community_path("/appeals/")), appeal_path
    title = browser.heading()
    assert title.startswith("ЗВ-") and title.endswith(subject), title
    reference = title.split(":")[0]
    status = browser.find("main dl.facts strong").text
    assert status == t("document.status.registered"), status
    browser.expect_text(t("appeal.topics.street_lighting"), "вул. Подільська, 10", t("document.awaiting"))

    # It is in the citizen's list of appeals.
    browser.open(community_path("/appeals"))
    row = browser.element_with_text("main table tbody tr", reference)
    browser.expect_text(subject, t("document.status.registered"), within=row)

    # The head of the street lighting department finds it in the department's queue and assigns it.
    head = browser.sign_in(account("head"))
    browser.open(community_path("/office?queue=department"))
    row = browser.element_with_text("main table tbody tr", reference)
    browser.expect_text(subject, t("document.status.registered"), within=row)
    browser.click_link(reference, within=row)
    assert browser.heading() == f"{reference}: {subject}"
    assignee = Select(browser.find("#assignee"))
    official = next(option.text for option in assignee.options if option.text != head)
    assignee.select_by_visible_text(official)
    browser.fill("assign-comment", "Прошу перевірити на місці.")
    browser.submit(t("document.action.assign"), within=browser.find("#assignee").find_element("xpath", ".."))
    facts = browser.find("main dl.facts").text
    assert t("document.status.assigned") in facts and official in facts, facts

    # The official sees it among their own documents and answers.
    assert browser.sign_in(account("official")) == official
    browser.open(community_path("/office?queue=mine"))
    row = browser.element_with_text("main table tbody tr", reference)
    browser.expect_text(t("document.status.assigned"), within=row)
    browser.click_link(reference, within=row)
    browser.choose("answer-outcome", value="supported")
    browser.fill("answer-text", answer)
    browser.submit(t("document.action.answer"), within=browser.find("#answer-text").find_element("xpath", ".."))
    assert t("document.status.answered") in browser.find("main dl.facts").text
    browser.expect_text(answer, within=browser.find("main section.answer"))

    # The citizen reads the answer on the appeal's page.
    browser.sign_in(account("citizen"))
    browser.open(appeal_path)
    assert browser.find("main dl.facts strong").text == t("document.status.answered")
    answer_section = browser.find("main section.answer")
    browser.expect_text(t("outcome.supported"), answer, within=answer_section)
    browser.expect_no_text(t("document.awaiting"))
    # Staff comments stay internal: the assignment note is not shown to the citizen.
    browser.expect_no_text("Прошу перевірити на місці.")
