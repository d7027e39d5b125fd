"""E-consultation: a verified resident comments on a section of the open draft, supports another
resident's comment and answers the survey once."""

from browser import Browser, community_path, resident, t

# Residents who have not taken part in the demo's consultation (it used residents 1–40).
PARTICIPANT = {True: 521, False: 522}


def comment_count(section) -> int:
    return int(section.find_element("css selector", "h3 .badge").text.split()[0])


def test_consultation_journey(browser: Browser, run_tag: str):
    name = browser.sign_in(resident(PARTICIPANT[browser.javascript]))
    browser.open(community_path("/consultations"))
    card = browser.find("main ul.cards li.card")
    title = card.find_element("css selector", "h2").text
    browser.click_link(title, within=card)
    assert browser.heading() == title
    consultation_path = browser.path

    # A comment on the draft's second section, typed in the section's own form.
    section = browser.find_all("#discussion article.card")[1]
    section_id = section.get_attribute("id")
    before = comment_count(section)
    details = section.find_element("xpath", "./details")  # the section's own form, not a reply's
    summary = details.find_element("css selector", "summary")
    assert summary.text == t("consultation.comment_section")
    summary.click()
    text = f"Пропоную ставити світильники з датчиками руху у дворах ({run_tag})."
    field = details.find_element("css selector", "textarea")
    browser.wait_until(lambda _: field.is_displayed(), "the section's comment form did not open")
    field.send_keys(text)
    browser.submit(t("consultation.send"), within=details)

    browser.expect_flash("consultation.commented")
    assert browser.path.split("#")[0] == consultation_path
    section = browser.find(f"#{section_id}")
    assert comment_count(section) == before + 1
    comment = next(item for item in section.find_elements("css selector", "li.comment") if text in item.text)
    assert comment.find_element("css selector", ".meta strong").text == name

    # Support another resident's comment: its count goes up by one, and the button is gone.
    others = [item for item in browser.find_all("#discussion li.comment")
              if item.find_elements("css selector", "form[action$='/support']")]
    assert others, "no comment of someone else to support"
    other_id = others[0].get_attribute("id")
    supports_before = others[0].find_element("css selector", ".meta").text
    browser.submit(t("consultation.support"), within=others[0])
    browser.expect_flash("consultation.supported")
    other = browser.find(f"#{other_id}")
    count = lambda meta: int(meta.rsplit(t("consultation.supports") + ":", 1)[1].split()[0])
    assert count(other.find_element("css selector", ".meta").text) == count(supports_before) + 1
    # Supported once: the button gives way to "you support this".
    assert not other.find_elements("css selector", "form[action$='/support']")
    assert t("consultation.you_support") in other.text

    # The survey: one answer to every question, sent once.
    survey = browser.find("#survey form")
    for fieldset in survey.find_elements("css selector", "fieldset"):
        choices = fieldset.find_elements("css selector", "input[type=radio], input[type=checkbox]")
        if choices:
            choices[0].click()
            assert choices[0].is_selected()
        for textarea in fieldset.find_elements("css selector", "textarea"):
            textarea.send_keys(f"Більше світла біля шкіл ({run_tag}).")
    browser.submit(t("consultation.submit_answers"), within=survey)
    browser.expect_flash("consultation.submitted")
    survey = browser.find("#survey")
    browser.expect_text(t("consultation.you_submitted"), within=survey)
    assert not survey.find_elements("css selector", "form"), "the survey can be sent a second time"

    # Coming back later, the comment and the submission are still there.
    browser.open(consultation_path)
    browser.expect_text(text)
    browser.expect_text(t("consultation.you_submitted"), within=browser.find("#survey"))
