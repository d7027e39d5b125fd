"""axe-core 4.x on every main page, with JavaScript on (maps drawn), on a desktop window and on a
phone's 390 px wide screen: no serious or critical violation of WCAG 2.0/2.1 A/AA, and on the phone
no sideways scrolling (WCAG 1.4.10, which axe does not test). Each page is opened as the person who
sees its forms."""

import itertools

import pytest

from browser import Browser, account, community_path, resident

ANONYMOUS, CITIZEN, RESIDENT, HEAD, MODERATOR, DESK, ADMIN = "anonymous", "citizen", "resident", "head", "moderator", "desk", "admin"
EMAILS = {CITIZEN: account("citizen"), RESIDENT: resident(531), HEAD: account("head"), MODERATOR: account("moderator"),
          DESK: account("desk"), ADMIN: account("admin")}

# (name, who, path, the link to follow from that page to reach the page checked, if any)
PAGES = [
    ("communities", ANONYMOUS, "/", None),
    ("community home", ANONYMOUS, community_path(), None),
    ("sign-in", ANONYMOUS, "/signin", None),
    ("sign-up", ANONYMOUS, "/signup?community=khmelnytskyi", None),
    ("forgotten password", ANONYMOUS, "/password/forgot", None),
    ("petitions", ANONYMOUS, community_path("/petitions"), None),
    ("petition", RESIDENT, community_path("/petitions"), "main ul.cards h2 a, main ul.cards h3 a, main table a"),
    ("petition with an answer", ANONYMOUS, community_path("/petitions?list=answered"), "main ul.cards h2 a, main ul.cards h3 a, main table a"),
    ("new petition", CITIZEN, community_path("/petitions/new"), None),
    ("consultations", ANONYMOUS, community_path("/consultations"), None),
    ("open consultation", RESIDENT, community_path("/consultations?list=open"), "main ul.cards h2 a"),
    ("consultation report", ANONYMOUS, community_path("/consultations?list=reported"), "main ul.cards h2 a"),
    ("Open City map and list", ANONYMOUS, community_path("/reports"), None),
    ("report", CITIZEN, community_path("/reports"), "main table tbody a"),
    ("new report", CITIZEN, community_path("/reports/new"), None),
    ("budget", RESIDENT, community_path("/budget"), None),
    ("budget project", RESIDENT, community_path("/budget"), "main li.card h3 a"),
    ("budget results", ANONYMOUS, community_path("/budget/cycles/1/results"), None),
    ("geoportal map", ANONYMOUS, community_path("/map"), None),
    ("geoportal search", ANONYMOUS, community_path("/map?q=SL-1-1"), None),
    ("geoportal object", CITIZEN, community_path("/map?q=SL-3-30"), "main section ul a"),
    ("appeals", CITIZEN, community_path("/appeals"), None),
    ("appeal", CITIZEN, community_path("/appeals"), "main table tbody a"),
    ("account", CITIZEN, "/account", None),
    ("office queue", HEAD, community_path("/office"), None),
    ("office document", HEAD, community_path("/office"), "main table tbody a"),
    ("verification desk", DESK, community_path("/office/verifications"), None),
    ("community limits", ADMIN, community_path("/admin/limits"), None),
    ("verification history", DESK, community_path("/office/verifications?email=citizen@khmelnytskyi.demo"), None),
    ("in-person voting desk", DESK, community_path("/office/budget"), None),
    ("moderation", MODERATOR, community_path("/moderation"), None),
    ("report moderation", MODERATOR, community_path("/moderation/reports"), None),
]

MAP_ELEMENTS = "[data-location-map], [data-location-picker], #gis-map, #reports-map"

# The window every page is checked in: the browser's own 1280 × 1024, and a phone (390 × 844 CSS
# pixels at 3× with touch, as on an iPhone 12-15), which is where most residents open the site.
VIEWPORTS = {
    "desktop": None,
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
}
CASES = [(viewport, *page) for page, viewport in itertools.product(PAGES, VIEWPORTS)]


@pytest.fixture(scope="module")
def browsers():
    """One Chromium with JavaScript per person, kept for the whole module."""
    opened: dict[str, Browser] = {}

    def browser_for(who: str) -> Browser:
        if who not in opened:
            opened[who] = Browser(javascript=True)
            if who != ANONYMOUS:
                opened[who].sign_in(EMAILS[who])
        return opened[who]

    yield browser_for
    for browser in opened.values():
        browser.quit()


@pytest.fixture
def page_browser(request, browsers) -> Browser:
    viewport, name, who, path, follow = request.param
    browser = browsers(who)
    browser.emulate_screen(VIEWPORTS[viewport])
    browser.open(path)
    if follow:
        link = browser.find(follow)
        browser.click_link(link.text)
    if browser.find_all(MAP_ELEMENTS):
        browser.wait_for(".leaflet-container")
    return browser


@pytest.mark.parametrize("page_browser", CASES, ids=[f"{case[1]}-{case[0]}" for case in CASES], indirect=True)
def test_page_has_no_serious_accessibility_violations(page_browser: Browser):
    violations = page_browser.accessibility_violations()
    assert not violations, f"{page_browser.path}:\n{Browser.describe(violations)}"
    wider = page_browser.overflowing_elements()
    assert not wider, f"{page_browser.path} scrolls sideways on a {page_browser.screen['width']} px screen: {', '.join(wider)}"
