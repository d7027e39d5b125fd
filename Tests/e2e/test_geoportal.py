"""Geoportal: a resident finds a street light on the map by its source id, sends feedback about it,
and the feedback becomes an accepted Open City report linked to the object, registered with the
department that keeps the register."""

from browser import Browser, account, community_path, t

# A different lamp in each mode, so each run's object starts without reports of this run.
LAMP = {True: "SL-2-40", False: "SL-4-80"}
REGISTER = "Вуличне освітлення"  # the demo's street lighting register (and Open City category)
DEPARTMENT = "Відділ вуличного освітлення"


def test_geoportal_feedback_journey(browser: Browser, run_tag: str):
    lamp = LAMP[browser.javascript]
    description = f"Світильник на опорі {lamp} розбитий ({run_tag})."

    browser.open(community_path("/map"))
    if browser.javascript:
        # The first register is drawn as vector points from OGC API – Features, even without tiles.
        browser.wait_for("#gis-map path.leaflet-interactive")
    else:
        assert not browser.find_all(".leaflet-container"), "a map was drawn with JavaScript off"
    browser.expect_text(REGISTER, within=browser.find("#layers"))

    browser.fill("q", lamp)
    browser.submit(t("gis.find"))
    result = browser.element_with_text("main section ul li", f"{REGISTER} · {lamp}")
    browser.click_link(f"{REGISTER} · {lamp}", within=result)
    object_path = browser.path
    assert browser.heading() == f"{REGISTER} · {lamp}"
    browser.expect_text(f"{t('gis.kept_by')}: {DEPARTMENT}", t("gis.no_reports"))

    # Feedback needs an account: the page offers sign-in, which comes back here.
    feedback = browser.find("#feedback")
    link = feedback.find_element("css selector", "a")
    assert link.text == t("report.sign_in_to_report"), link.text
    assert link.get_attribute("href").endswith(f"/signin?next={object_path}")
    browser.sign_in(account("citizen"), then=object_path)
    assert browser.path == object_path

    browser.choose("category", label=REGISTER)
    browser.fill("description", description)
    browser.submit(t("report.file"), within=browser.find("#feedback"))

    # The feedback is a report, accepted at once, about the object and with the register's department.
    browser.expect_flash("gis.feedback_sent")
    report_path = browser.path
    assert report_path.startswith(community_path("/reports/")), report_path
    report_id = report_path.rsplit("/", 1)[1]
    assert browser.find("main h1 + p strong").text == t("report.status.accepted")
    browser.expect_text(description, f"{t('report.about_object')} {REGISTER} · {lamp}")
    workflow = browser.element_with_text("main section", t("report.in_workflow"))
    reference = workflow.find_element("css selector", "a").text
    assert reference.startswith("ГП-"), reference
    browser.expect_text(DEPARTMENT, within=workflow)

    # The object's page lists the report.
    browser.click_link(f"{REGISTER} · {lamp}")
    assert browser.path == object_path
    reports = browser.element_with_text("main section", t("gis.reports"))
    browser.expect_text(f"#{report_id} · {REGISTER}", t("report.status.accepted"), within=reports)
    browser.expect_no_text(t("gis.no_reports"))

    # The department's head finds it in the office among geoportal feedback.
    browser.sign_in(account("head"))
    browser.open(community_path("/office?queue=department&kind=geo_feedback"))
    row = browser.element_with_text("main table tbody tr", reference)
    browser.expect_text(t("document.status.registered"), within=row)
