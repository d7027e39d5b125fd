"""Participatory budget: a verified resident votes in this year's open cycle for admitted projects
and gets a receipt code; a voter of last year's cycle finds their ballot on its results page."""

import re

from browser import RECEIPT_PATTERN, Browser, community_path, resident, t

# Residents who have not voted this year (the demo's voters are residents 301–480), one per mode.
VOTER = {True: 511, False: 512}
# Residents who voted in last year's cycle (the demo's voters there are residents 1–420).
LAST_YEAR_VOTER = {True: 1, False: 2}


def project_votes(card) -> int:
    # "3 голоси": the number, then the word in its plural form.
    return int(card.find_element("css selector", "p strong").text.split()[0])


def votes_left(section) -> int:
    line = next(p for p in section.find_elements("css selector", "p") if p.text.startswith(t("budget.votes_left")))
    return int(line.find_element("css selector", "strong").text)


def category_sections(browser: Browser):
    return [section for section in browser.find_all("main > section") if section.find_elements("css selector", "ul.cards")]


def test_budget_voting_journey(browser: Browser):
    browser.sign_in(resident(VOTER[browser.javascript]))
    browser.open(community_path("/budget"))
    phase = browser.find("main section p strong").text
    assert phase == t("budget.phase.voting"), phase
    sections = category_sections(browser)
    assert len(sections) >= 2, "the demo's open cycle has two categories"

    receipt = None
    voted = []
    for index in range(2):
        # One vote in each category, for an admitted project that still offers the vote button.
        section = category_sections(browser)[index]
        left = votes_left(section)
        card = next(card for card in section.find_elements("css selector", "li.card")
                    if t("budget.status.admitted") in card.text and card.find_elements("css selector", "form[action$='/vote']"))
        card_id = card.get_attribute("id")
        title = card.find_element("css selector", "h3").text
        before = project_votes(card)
        browser.submit(t("budget.vote"), within=card)

        browser.expect_flash("budget.voted")
        card = browser.find(f"#{card_id}")
        assert project_votes(card) == before + 1, f"{title}: votes did not go up by one"
        assert t("budget.you_voted") in card.text
        assert not card.find_elements("css selector", "form[action$='/vote']"), "a second vote is still offered"
        assert votes_left(category_sections(browser)[index]) == left - 1
        code = browser.find("main p.ok code.receipt").text
        assert RECEIPT_PATTERN.match(code), code
        assert receipt in (None, code), "the receipt code changed between votes of one voter"
        receipt = code
        voted.append((card_id, title))

    # The project's page shows the vote and the same receipt.
    card_id, title = voted[0]
    browser.click_link(title, within=browser.find(f"#{card_id}"))
    assert browser.heading() == title
    signing = browser.find("main section.signing")
    browser.expect_text(t("budget.you_voted"), receipt, within=signing)
    assert not signing.find_elements("css selector", "form"), "the vote button is offered after voting"


def test_budget_receipt_check(browser: Browser):
    """Last year's voter reads their receipt code on the results page and finds their ballot by it."""
    browser.sign_in(resident(LAST_YEAR_VOTER[browser.javascript]))
    browser.open(community_path("/budget"))
    other_cycles = browser.element_with_text("main section", t("budget.other_cycles"))
    last_year = other_cycles.find_element("css selector", "a")
    browser.click_link(last_year.text, within=other_cycles)
    browser.click_link(t("budget.results"))
    assert browser.heading().startswith(t("budget.results")), browser.heading()
    assert browser.find_all("main figure.vote-chart li svg.bar.won"), "no chart of the tally with its winners"
    verify = browser.find("#verify")
    code = verify.find_element("css selector", "code.receipt").text
    assert RECEIPT_PATTERN.match(code), code

    browser.fill("receipt-code", code)
    browser.submit(t("budget.check_receipt"), within=browser.find("#verify"))
    found = browser.find("#verify div.ok[role=status]")
    assert found.text.startswith(t("budget.receipt_counted")), found.text
    assert re.search(r"[0-9a-f]{64}", found.text), "no receipt hash shown"
    assert found.find_elements("css selector", "li a"), "the ballot lists no projects"

    # A code that is on no ballot is told apart.
    browser.fill("receipt-code", "0000-0000-0000-0000")
    browser.submit(t("budget.check_receipt"), within=browser.find("#verify"))
    assert browser.find("#verify .form-error").text == t("budget.receipt_not_found")
