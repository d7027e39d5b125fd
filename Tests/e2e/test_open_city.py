"""Open City: the citizen reports a broken street light with a photo, picking the point on the map
(JavaScript on) or typing its coordinates (off); a moderator accepts it, the lighting official takes
it and answers, and the report's public page follows every status."""

import random

from selenium.webdriver.common.action_chains import ActionChains

from browser import Browser, account, community_path, t
from images import tiny_png

CATEGORY = "Вуличне освітлення"  # the demo community's street lighting category
KHMELNYTSKYI = {"latitude": (49.35, 49.48), "longitude": (26.88, 27.10)}


def report_status(browser: Browser) -> str:
    return browser.find("main h1 + p strong, main h1 + p.form-error + p strong").text


def pick_category(browser: Browser, name: str) -> None:
    select = browser.find("#category")
    option = next(option for option in select.find_elements("css selector", "option") if option.text.startswith(name))
    option.click()


def test_open_city_journey(browser: Browser, run_tag: str, tmp_path):
    description = f"Не працює ліхтар над пішохідним переходом ({run_tag})."
    photo = tmp_path / "lamp.png"
    photo.write_bytes(tiny_png())

    browser.sign_in(account("citizen"))
    browser.open(community_path("/reports"))
    browser.click_link(t("report.new_title"))
    pick_category(browser, CATEGORY)
    if browser.javascript:
        # The picker map fills the coordinates where it is clicked.
        picker = browser.wait_for("fieldset[data-location-picker] .leaflet-container")
        ActionChains(browser.driver).move_to_element_with_offset(
            picker, random.randint(-150, 150), random.randint(-80, 80)).click().perform()
        browser.wait_until(lambda _: browser.find("#latitude").get_attribute("value"), "clicking the map set no point")
        latitude = float(browser.find("#latitude").get_attribute("value"))
        longitude = float(browser.find("#longitude").get_attribute("value"))
        assert KHMELNYTSKYI["latitude"][0] < latitude < KHMELNYTSKYI["latitude"][1], latitude
        assert KHMELNYTSKYI["longitude"][0] < longitude < KHMELNYTSKYI["longitude"][1], longitude
    else:
        assert not browser.find_all(".leaflet-container"), "a map was drawn with JavaScript off"
        latitude = round(49.40 + random.random() * 0.04, 6)
        longitude = round(26.95 + random.random() * 0.06, 6)
        browser.fill("latitude", str(latitude))
        browser.fill("longitude", str(longitude))
    browser.fill("address", "вул. Зарічанська, 12")
    browser.fill("description", description)
    browser.find("#photos").send_keys(str(photo))
    browser.submit(t("report.file"))
    if browser.find_all("main input[name=confirm]"):
        # An open report of the same kind is within 50 m; this is another light.
        browser.find("#photos").send_keys(str(photo))
        browser.submit(t("report.file_anyway"))

    browser.expect_flash("report.filed")
    report_path = browser.path
    report_id = report_path.rsplit("/", 1)[1]
    assert browser.heading() == f"#{report_id} · {CATEGORY}"
    assert report_status(browser) == t("report.status.new")
    browser.expect_text(description, "вул. Зарічанська, 12", f"{latitude:.6f}"[:7])
    photo_element = browser.find("main ul.photos img")
    assert browser.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", photo_element) == 4, \
        "the uploaded photo is not served"
    if browser.javascript:
        browser.wait_for("main .map.leaflet-container")

    # A moderator accepts it: it is registered with the street lighting department.
    browser.sign_in(account("moderator"))
    # From the report to its place in the queue (the queue is paged, the longest-waiting first).
    browser.open(report_path)
    browser.click_link(t("report.moderate_this"))
    card = browser.element_with_text("main article.card", description)
    browser.submit(t("report.accept"), within=card)
    browser.expect_flash("report.moderated")
    browser.open(report_path)
    assert report_status(browser) == t("report.status.accepted")
    workflow = browser.element_with_text("main section", t("report.in_workflow"))
    reference = workflow.find_element("css selector", "a").text
    assert reference.startswith("ВМ-"), reference

    # The lighting official takes it from the department's queue, then answers.
    browser.sign_in(account("official"))
    browser.open(community_path("/office?queue=department&kind=problem_report"))
    row = browser.element_with_text("main table tbody tr", reference)
    browser.click_link(reference, within=row)
    browser.submit(t("document.action.take"))
    browser.open(report_path)
    assert report_status(browser) == t("report.status.in_progress")

    browser.open(community_path("/office?queue=mine"))
    browser.click_link(reference, within=browser.element_with_text("main table tbody tr", reference))
    answer = f"Лампу замінено ({run_tag})."
    browser.choose("answer-outcome", value="resolved")
    browser.fill("answer-text", answer)
    browser.submit(t("document.action.answer"), within=browser.find("#answer-text").find_element("xpath", ".."))

    # Anyone sees the outcome on the report's page, with each step on its public timeline.
    browser.sign_out()
    browser.open(report_path)
    assert report_status(browser) == t("report.status.resolved")
    browser.expect_text(t("outcome.resolved"), answer, within=browser.find("main div.answer"))
    timeline = browser.find("#timeline ol.timeline").text
    for status in ("report.status.accepted", "report.status.in_progress", "report.status.resolved"):
        assert t(status) in timeline, f"{t(status)!r} is missing from the timeline"
    # And the list of reports shows the new status.
    browser.open(community_path("/reports?status=resolved"))
    row = browser.element_with_text("main table tbody tr", f"#{report_id}")
    browser.expect_text(t("report.status.resolved"), within=row)
