"""Petition: the citizen writes one, a moderator publishes it, a verified resident signs it; with
JavaScript on, the open page's count follows a signature made elsewhere without reloading."""

from browser import Browser, account, api_post, api_sign_in, community_path, resident, t

# Fresh verified residents, different in each mode so neither run finds a signature already there.
SIGNER = {True: 501, False: 502}
SIGNER_ELSEWHERE = 503


def petition_status(browser: Browser) -> str:
    return browser.find("main > p > strong").text


def signature_count(browser: Browser) -> int:
    return int(browser.find("main [data-live-count]").text)


def signers(browser: Browser) -> list[str]:
    return [item.text for item in browser.find_all("#signers ol.signers li")]


def test_petition_journey(browser: Browser, run_tag: str):
    title = f"Облаштувати велопарковку біля ЦНАП ({run_tag})"

    # The citizen writes the petition; it waits for moderation, visible only to its author and moderators.
    author = browser.sign_in(account("citizen"))
    browser.open(community_path("/petitions/new"))
    browser.fill("title", title)
    browser.fill("body", "Пропонуємо встановити велопарковку на двадцять місць біля центру надання адміністративних послуг.")
    browser.submit(t("petition.submit"))
    if browser.find_all("main input[name=confirm]"):
        # Similar open petitions are shown first; this one is about something else.
        browser.submit(t("petition.submit_anyway"))
    browser.expect_flash("petition.submitted")
    petition_path = browser.path
    assert browser.heading() == title
    assert petition_status(browser) == t("petition.status.moderation")

    # A moderator publishes it: collection starts with the author's signature.
    browser.sign_in(account("moderator"))
    browser.open(community_path("/moderation"))
    card = browser.element_with_text("main article.card", title)
    browser.submit(t("moderation.publish"), within=card)
    browser.expect_flash("petition.published")
    # It leaves the queue and is listed among the petitions collecting signatures.
    assert not [card for card in browser.find_all("main article.card") if title in card.text]
    browser.element_with_text("main ul li", title)
    browser.open(petition_path)
    assert petition_status(browser) == t("petition.status.collecting")
    assert signature_count(browser) == 1
    assert signers(browser)[0].startswith(author), signers(browser)

    # A verified resident opens it and signs.
    signer = browser.sign_in(resident(SIGNER[browser.javascript]), then=petition_path)
    assert browser.path == petition_path
    assert signature_count(browser) == 1
    expected = 1
    if browser.javascript:
        # Someone else signs through the API while the page is open: the count and the progress bar
        # follow without a reload (the very same element changes).
        counter = browser.find("main [data-live-count]")
        token = api_sign_in(resident(SIGNER_ELSEWHERE))
        petition_id = petition_path.rsplit("/", 1)[1]
        assert api_post(f"/api/v1/{community_path()[1:]}/petitions/{petition_id}/signatures", token)["signatures"] == 2
        browser.wait_until(lambda _: counter.text == "2", "the live count did not update to 2")
        browser.wait_until(lambda _: browser.find("main progress").get_attribute("value") == "2",
                           "the progress bar did not follow the count")
        expected = 2
    browser.expect_text(t("petition.sign_hint"))
    browser.submit(t("petition.sign"))
    browser.expect_flash("petition.signed")
    assert signature_count(browser) == expected + 1
    assert browser.find("main progress").get_attribute("value") == str(expected + 1)
    browser.expect_text(t("petition.you_signed"))
    assert not browser.find_all("main form[action$='/sign']"), "the sign button is still offered after signing"
    names = signers(browser)
    assert len(names) == expected + 1, names
    assert any(name.startswith(signer) for name in names), f"{signer} is not among the signers {names}"

    # Signing is public: the signer list shows the signature to anyone.
    browser.sign_out()
    browser.open(petition_path)
    assert signature_count(browser) == expected + 1
    assert any(name.startswith(signer) for name in signers(browser))
