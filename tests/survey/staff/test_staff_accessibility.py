"""WCAG 2.1 AA on the staff pages: axe-core in Chromium, in Swedish and English (issue 4).

Every staff page is opened for real after logging in through the login pages (username,
password, then the code an authenticator app shows), clean and with form errors, and any
axe violation fails the test with a list of what is wrong on which page. The summary charts
are checked too: each is an image with a title, followed by its data table.

The browser, the live server and the axe helpers are those of the respondent pages' test
(tests/survey/test_accessibility.py); importing it also skips this module without Chromium,
or fails it when CI is set.

Screenshots of the summary page for the README:
VIKTIGT_UPDATE_SCREENSHOTS=1 pytest -m browser -k summary_screenshots
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from survey.staff import auth
from tests.survey import test_accessibility as respondent
from tests.survey.staff.conftest import CODE_URL, LOGIN_URL, StaffAccount, _fresh_code
from tests.survey.staff.test_summary import add_answers
from tests.survey.test_accessibility import (
    LANGUAGES,
    PHONE,
    SCREENSHOTS,
    assert_accessible,
    assert_fits_the_screen,
    enter_mistakes,
    open_page,
    submit,
    submit_survey,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

# The respondent test's fixtures, shared rather than copied: one Chromium and one live
# server for this module, passing each request to the running test's app.
browser = respondent.browser
live_server = respondent.live_server
server = respondent.server
context = respondent.context
tab = respondent.tab
page = respondent.page

Accounts = Callable[..., StaffAccount]

STAFF_SUBMIT = "#staff-form button[type=submit]"
START_URL = "/personal/"
SURVEY_ID = "jonkoping-2030"
SUMMARY = f"/personal/sammanstallning?survey={SURVEY_ID}"
REPORT = f"/personal/sammanstallning/rapport?survey={SURVEY_ID}"
WRONG_PASSWORD = "Fel lösenord helt och hållet"
DESKTOP = {"width": 1280, "height": 900}


# --- helpers ------------------------------------------------------------------------------


class Checks:
    """``with Checks(page, lang) as check: ... check("label")`` runs axe on the page shown.

    It fails once, at the end, listing the violations of every page. If the test fails
    first for another reason, the violations found so far are added to that failure.
    """

    def __init__(self, page: Page, lang: str) -> None:
        self.page, self.lang = page, lang
        self.failures: list[str] = []

    def __call__(self, label: str) -> None:
        try:
            assert_accessible(self.page, f"{label} ({self.lang})", self.lang)
        except (AssertionError, pytest.fail.Exception) as error:
            self.failures.append(str(error))

    def __enter__(self) -> Checks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.failures:
            return
        report = "\n\n".join(self.failures)
        if error is None:
            pytest.fail(report, pytrace=False)
        error.add_note(f"Before that, axe found:\n{report}")


def enter_password(page: Page, account: StaffAccount, lang: str) -> None:
    """Username and password on the login page; lands on the code page."""
    open_page(page, LOGIN_URL, lang)
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    submit(page, STAFF_SUBMIT, 200)
    assert page.url.endswith(CODE_URL), page.url


def enter_code(page: Page, app: Flask, account: StaffAccount) -> None:
    """The code the authenticator app shows now; lands on the staff start page."""
    if account.totp_secret is None:  # enrolment: the app reads the key shown on the page
        account.totp_secret = page.inner_text("code.totp-secret").replace(" ", "")
    page.fill("#code", _fresh_code(app, account))
    submit(page, STAFF_SUBMIT, 200)
    assert page.url.endswith(START_URL), page.url


def wrong_code(page: Page, account: StaffAccount) -> str:
    """Six digits that are the code of neither this step nor the neighbouring ones."""
    secret = account.totp_secret or page.inner_text("code.totp-secret").replace(" ", "")
    now = auth.totp_step(auth.utcnow())
    valid = {auth.totp_code(secret, step) for step in (now - 1, now, now + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def log_in_as(page: Page, app: Flask, account: StaffAccount, lang: str) -> None:
    """A new session for ``account``: password, then code, through the real pages."""
    page.context.clear_cookies()
    enter_password(page, account, lang)
    enter_code(page, app, account)


def seed_answers(app: Flask) -> None:
    """Coded answers in two months: share and Likert charts, a trend, quotes, hidden cells."""
    add_answers(
        app, 12, "Samma personal i hemtjänsten varje dag", ["samverkan_kontinuitet", "aldre"]
    )
    add_answers(
        app,
        8,
        "Kortare väntetid till BUP",
        ["forandrade_arbetssatt", "barn_unga"],
        age_group="16-19",
        today=date(2026, 9, 15),
    )
    add_answers(
        app,
        6,
        "Träffpunkter där man kan röra på sig",
        ["framja_halsa", "aldre"],
        today=date(2026, 9, 20),
    )
    # Three answers from Habo: hidden cells, and a strategy with too few answers for quotes.
    add_answers(
        app,
        3,
        "Mer personal på äldreboendet",
        ["starkta_forutsattningar", "aldre"],
        municipality="habo",
    )


CHARTS_JS = """() => [...document.querySelectorAll("main svg")].map(svg => {
    const box = svg.parentElement.closest(".chart");
    const next = box && box.nextElementSibling;
    const table = next && (next.matches("table.data") ? next
        : next.matches(".table-scroll") ? next.querySelector(":scope > table.data") : null);
    const title = svg.querySelector(":scope > title");
    const names = (svg.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    return {
        id: title && title.id ? title.id : svg.outerHTML.slice(0, 80),
        role: svg.getAttribute("role"),
        title: title ? title.textContent.trim() : "",
        labelledBy: names.length > 0 && names.every(name => document.getElementById(name)),
        after: table ? "a data table" : next ? next.outerHTML.slice(0, 80) : "nothing",
    };
})"""


def assert_charts_are_described(page: Page, label: str) -> None:
    """Each chart is role="img" with a <title>, and a data table follows it."""
    charts = page.evaluate(CHARTS_JS)
    assert len(charts) >= 5, f"{label}: expected share, Likert and trend charts, got {charts}"
    assert any(chart["id"] == "trend-t" for chart in charts), f"{label}: no trend chart"
    for chart in charts:
        where = f"{label}, chart {chart['id']}"
        assert chart["role"] == "img", f"{where}: role is {chart['role']!r}, not 'img'"
        assert chart["title"], f"{where}: no <title>"
        assert chart["labelledBy"], f"{where}: aria-labelledby names a missing element"
        assert chart["after"] == "a data table", f"{where}: followed by {chart['after']}"


def assert_summary_shows_everything(page: Page, label: str) -> None:
    """The seeded answers show up as tables, quotes, distinctive words and hidden cells."""
    for selector in ("table.data", ".quotes blockquote", ".terms li", ".hidden-cell"):
        assert page.locator(selector).count() > 0, f"{label}: nothing matches {selector}"


# --- axe on every staff page --------------------------------------------------------------
# Each role's start page is checked where that role logs in: researcher, admin, analyst and
# strategy group member below (one login fewer per role than a test of its own).


@pytest.mark.parametrize("lang", LANGUAGES)
def test_login_and_code_pages(page: Page, app: Flask, staff_user: Accounts, lang: str):
    """Login (clean, wrong password), enrolment with the QR code (clean, wrong code), the
    code step (clean, wrong code) and the start page it leads to."""
    with Checks(page, lang) as check:
        open_page(page, LOGIN_URL, lang)
        check("login page")
        account = staff_user("researcher")
        page.fill("#username", account.username)
        page.fill("#password", WRONG_PASSWORD)
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("login page with a wrong password")

        newcomer = staff_user("strategy_group", enrolled=False)
        enter_password(page, newcomer, lang)
        assert page.locator("img.qr-code").count() == 1, "the enrolment page shows no QR code"
        check("code page: enrolment with the QR code")
        page.fill("#code", wrong_code(page, newcomer))
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("code page: enrolment with a wrong code")

        page.context.clear_cookies()
        enter_password(page, account, lang)
        assert page.locator("img.qr-code").count() == 0
        check("code page")
        page.fill("#code", wrong_code(page, account))
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("code page with a wrong code")
        enter_code(page, app, account)
        check("start page (researcher)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_user_admin_and_password_pages(page: Page, app: Flask, staff_user: Accounts, lang: str):
    """The users list and its new-account form, the edit page, and the password page."""
    member = staff_user("strategy_group", ("aldre", "barn_unga"))
    staff_user("researcher", enrolled=False)
    with Checks(page, lang) as check:
        log_in_as(page, app, staff_user("admin"), lang)
        check("start page (admin)")
        open_page(page, "/personal/anvandare", lang)
        check("users list")
        page.fill("#username", "ny person")  # a space: not a valid username
        page.fill("#password", "kort")
        page.fill("#repeat", "annat")
        page.check("#target_groups-0")  # a target group but no role
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("users list with errors in the new account")

        open_page(page, f"/personal/anvandare/{member.id}", lang)
        check("user edit page")
        for box in page.locator("input[name=target_groups]").all():
            box.uncheck()  # a strategy group member needs a target group
        page.fill("#new_password", "kort")
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("user edit page with errors")

        open_page(page, "/personal/losenord", lang)
        page.fill("#current", WRONG_PASSWORD)
        page.fill("#new", "Ett nytt långt lösenord")
        page.fill("#repeat", "Ett annat långt lösenord")
        submit(page, STAFF_SUBMIT, 422)
        assert page.locator(".error-summary").count() == 1
        check("password page with errors")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_summary_and_report_pages(page: Page, app: Flask, staff_user: Accounts, lang: str):
    """An analyst's and a strategy group member's summary, a wrong date, and the report."""
    seed_answers(app)
    with Checks(page, lang) as check:
        log_in_as(page, app, staff_user("analyst"), lang)
        check("start page (analyst)")
        open_page(page, SUMMARY, lang)
        assert_summary_shows_everything(page, "summary (analyst)")
        assert_charts_are_described(page, "summary (analyst)")
        check("summary page (analyst)")

        open_page(page, f"{SUMMARY}&date_from=2026-13-45", lang)
        assert page.locator(".filters .error-message").count() == 1, "no error for a bad date"
        check("summary page with an invalid date")

        open_page(page, REPORT, lang)
        assert_charts_are_described(page, "report")
        check("report page")

        log_in_as(page, app, staff_user("strategy_group", ("aldre",)), lang)
        check("start page (strategy group member)")
        open_page(page, SUMMARY, lang)
        assert_summary_shows_everything(page, "summary (strategy group)")
        assert_charts_are_described(page, "summary (strategy group)")
        check("summary page (strategy group member)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_review_and_paper_pages(page: Page, app: Flask, staff_user: Accounts, lang: str):
    [answer] = add_answers(app, 1, "Samma läkare varje gång, tack", ["samverkan_kontinuitet"])
    log_in_as(page, app, staff_user("analyst"), lang)
    with Checks(page, lang) as check:
        open_page(page, "/personal/granska?alla=1", lang)
        assert page.locator(".review-list li").count() == 1
        check("review list")
        open_page(page, f"/personal/granska/{answer}", lang)
        check("review page")

        open_page(page, f"/personal/papper/{SURVEY_ID}", lang)
        check("paper entry page")
        enter_mistakes(page, SURVEY_ID)
        submit_survey(page, 422)
        assert page.locator(".error-summary").count() == 1
        check("paper entry page with errors")


def test_checks_report_every_page_with_a_violation(page: Page):
    """Guards the collector: a violation fails the test and names its page."""
    open_page(page, LOGIN_URL, "sv")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
            '<input type="text" name="unlabelled">')"""
    )
    with pytest.raises(pytest.fail.Exception) as failure, Checks(page, "sv") as check:
        check("login page with a fault")
    report = str(failure.value)
    assert "on login page with a fault (sv)" in report, report
    assert "\n- label [" in report, report


# --- screenshots --------------------------------------------------------------------------


def first_strategy(page: Page) -> dict[str, float]:
    """From the top of the page to the end of the first strategy: figures, a chart, tables."""
    bottom = page.evaluate(
        "() => document.querySelector('.strategy').getBoundingClientRect().bottom + window.scrollY"
    )
    return {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom + 16}


def test_summary_screenshots(
    browser: Browser, page: Page, server: str, app: Flask, staff_user: Accounts, tmp_path: Path
):
    """The analyst's summary at phone size and at desktop width, with no sideways scrolling,
    from the top to the end of the first strategy.

    Written to docs/screenshots only with VIKTIGT_UPDATE_SCREENSHOTS=1, else to tmp_path.
    """
    target = SCREENSHOTS if os.environ.get("VIKTIGT_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    seed_answers(app)
    phone = browser.new_context(base_url=server, locale="sv-SE", **PHONE)
    phone.set_default_timeout(15_000)
    try:
        tab = phone.new_page()
        log_in_as(tab, app, staff_user("analyst"), "sv")
        open_page(tab, SUMMARY, "sv")
        assert_fits_the_screen(tab)
        tab.screenshot(path=target / "summary-mobile.png", full_page=True, clip=first_strategy(tab))
        # WCAG 1.4.10 Reflow: still no sideways scrolling at 320 CSS pixels.
        tab.set_viewport_size({"width": 320, "height": 640})
        assert_fits_the_screen(tab)
        cookies = phone.cookies()
    finally:
        phone.close()

    page.context.add_cookies(cookies)  # the same session in the module's desktop browser
    shared_size = page.viewport_size
    assert shared_size is not None
    page.set_viewport_size(DESKTOP)
    try:
        open_page(page, SUMMARY, "sv")
        assert_fits_the_screen(page)
        page.screenshot(
            path=target / "summary-desktop.png", full_page=True, clip=first_strategy(page)
        )
    finally:
        page.set_viewport_size(shared_size)
    for name in ("summary-mobile.png", "summary-desktop.png"):
        assert (target / name).stat().st_size > 10_000
