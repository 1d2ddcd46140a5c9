"""WCAG 2.1 AA in a real browser: axe-core on every respondent page, plus what users notice.

The app is served for real on a loopback port and driven with Debian's headless Chromium.
axe-core is vendored in tests/vendor (never fetched at run time). Every page is checked in
both languages, with and without form errors, and any axe violation fails the test.

Screenshots for the README: VIKTIGT_UPDATE_SCREENSHOTS=1 pytest -m browser -k screenshot
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from survey.definitions import SurveyDefinition, load_directory
from tests.conftest import SURVEYS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
AXE_URL = "/__tests__/vendor/axe.min.js"  # served by the test server only, never by the app
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
LANGUAGES = ("sv", "en")
DEFINITIONS: dict[str, SurveyDefinition] = load_directory(SURVEYS)
SURVEY_IDS = sorted(DEFINITIONS)
SURVEY_LANGUAGES = [(survey, lang) for survey in SURVEY_IDS for lang in LANGUAGES]
# What each language shows: the title prefix of a page with errors and the summary heading.
ERROR_PREFIX = {"sv": "Fel: ", "en": "Error: "}
SUMMARY_TITLE = {"sv": "Något behöver rättas", "en": "Something needs to be corrected"}


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium (`make browser-deps`)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -e '.[dev]'"
    if not AXE.exists():
        return f"{AXE} is missing (see tests/vendor/README.md)"
    return None


if (_reason := _missing_requirement()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {_reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {_reason}", allow_module_level=True)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class _RunningTestApp:
    """The live server's WSGI app: passes each request to the app of the running test.

    It also serves the vendored axe-core from the loopback origin, so the browser caches
    the file and its compiled code instead of parsing 650 kB inline on every page.
    """

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.axe = AXE.read_bytes()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == AXE_URL:
            headers = [
                ("Content-Type", "text/javascript; charset=utf-8"),
                ("Cache-Control", "max-age=3600, immutable"),
            ]
            start_response("200 OK", headers)
            return [self.axe]
        if self.app is None:  # a late request after its test ended
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is running"]
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, _RunningTestApp]]:
    """A real HTTP server on 127.0.0.1 (a free port) in a background thread."""
    dispatcher = _RunningTestApp()
    http = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="viktigt-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", dispatcher
    http.shutdown()
    thread.join(timeout=10)
    http.server_close()


@pytest.fixture
def server(app: Flask, live_server: tuple[str, _RunningTestApp]) -> Iterator[str]:
    """The live server's base URL, serving this test's ``app`` (and its own database)."""
    base_url, dispatcher = live_server
    dispatcher.app = app
    yield base_url
    dispatcher.app = None


@pytest.fixture(scope="module")
def context(browser: Browser, live_server: tuple[str, _RunningTestApp]) -> Iterator[BrowserContext]:
    # Bypass the app's strict CSP so that injecting axe never depends on the app's policy.
    context = browser.new_context(base_url=live_server[0], bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture(scope="module")
def tab(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def page(context: BrowserContext, tab: Page, server: str) -> Page:
    """The module's tab with no cookies, so no language choice or session leaks between tests."""
    context.clear_cookies()
    return tab


# --- helpers ------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        AXE_TAGS,
    )
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            checks = node.get("any") or node.get("all") or node.get("none") or []
            detail = f": {checks[0]['message']}" if checks else ""
            lines.append(f"    {target}{detail}")
    return "\n".join(lines)


def assert_accessible(page: Page, label: str, lang: str) -> None:
    """The page is in ``lang`` and axe finds no violation at all."""
    assert page.get_attribute("html", "lang") == lang, f"{label}: html lang should be {lang}"
    violations = axe_violations(page)
    if violations:
        pytest.fail(
            f"axe found {len(violations)} violation(s) on {label} ({page.url}):\n"
            + describe_violations(violations),
            pytrace=False,
        )


def open_page(page: Page, path: str, lang: str, status: int = 200) -> None:
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{path}{separator}lang={lang}")
    assert response is not None and response.status == status, f"GET {path}"


def submit(page: Page, button: str, status: int) -> None:
    with page.expect_navigation() as navigation:
        page.click(button)
    response = navigation.value
    assert response is not None and response.status == status, page.url


def submit_survey(page: Page, status: int) -> None:
    submit(page, "#survey-form button[type=submit]:not([name])", status)


def likert_ids(survey_id: str) -> list[str]:
    return ["likert_" + s.id.replace("-", "_") for s in DEFINITIONS[survey_id].statements]


def enter_mistakes(page: Page, survey_id: str) -> list[str]:
    """Answers the server must refuse; returns the ids the error summary should link to.

    A free text one character too long, a tampered Likert radio value, a municipality that
    is not in the list and "none of these" ticked together with a service.
    """
    definition = DEFINITIONS[survey_id]
    page.fill("#free_text", "å" * (definition.questions.free_text.max_chars + 1))
    first_likert = likert_ids(survey_id)[0]
    page.evaluate(
        """([likert, exclusive]) => {
            const radio = document.getElementById(likert + "-0");
            radio.value = "99";
            radio.checked = true;
            const select = document.getElementById("municipality");
            select.options[select.options.length - 1].value = "atlantis";
            select.value = "atlantis";
            const boxes = [...document.querySelectorAll("input[name=services]")];
            boxes.find(box => box.value === exclusive).checked = true;
            boxes.find(box => box.value !== exclusive).checked = true;
        }""",
        [first_likert, definition.questions.services.exclusive[0]],
    )
    return [f"{first_likert}-0", "free_text", "municipality", "services-0"]


SUMMARY_JS = """() => {
    const main = document.querySelector("main");
    const summary = main.firstElementChild;
    const heading = document.querySelector("h1");
    const links = [...document.querySelectorAll(".error-summary a")].map(link => {
        const id = decodeURIComponent(link.hash.slice(1));
        const target = document.getElementById(id);
        const question = target && target.closest(".question");
        return {
            href: link.getAttribute("href"), id: id, exists: target !== null,
            text: link.textContent.trim(),
            marked: question ? question.classList.contains("has-error")
                             : target !== null && target.tagName === "FORM",
        };
    });
    return {
        title: document.title,
        first: summary && summary.className, role: summary && summary.getAttribute("role"),
        heading: (document.getElementById("error-summary-title") || {}).textContent,
        summaryTop: summary.getBoundingClientRect().top,
        headingTop: heading.getBoundingClientRect().top,
        viewport: window.innerHeight,
        links: links,
    };
}"""


def assert_error_summary(page: Page, lang: str, targets: list[str]) -> None:
    """The summary is the first thing in main, above the heading, and links to each field."""
    summary = page.evaluate(SUMMARY_JS)
    assert summary["title"].startswith(ERROR_PREFIX[lang]), summary["title"]
    assert summary["first"] == "error-summary", "the error summary is not at the top of main"
    assert summary["role"] == "alert"
    assert summary["heading"] == SUMMARY_TITLE[lang]
    assert summary["summaryTop"] < summary["headingTop"], "error summary below the heading"
    assert summary["summaryTop"] < summary["viewport"], "error summary not on screen on arrival"
    links = summary["links"]
    assert [link["id"] for link in links] == targets
    for link in links:
        assert link["href"] == f"#{link['id']}"
        assert link["exists"], f"error summary links to missing id {link['href']}"
        assert link["text"], f"empty error link {link['href']}"
        assert link["marked"], f"{link['href']} is not inside a question marked as wrong"


LIKERT_JS = """names => names.map(name => {
    const radios = [...document.querySelectorAll(`input[type=radio][name=${name}]`)];
    const fieldset = radios.length ? radios[0].closest("fieldset") : null;
    const legend = fieldset && fieldset.firstElementChild;
    return {
        name: name,
        radios: radios.length,
        legend: legend && legend.tagName === "LEGEND" ? legend.textContent.trim() : null,
        allInside: radios.every(radio => radio.closest("fieldset") === fieldset),
        labelled: radios.every(radio => radio.labels.length === 1
                                        && radio.labels[0].textContent.trim() !== ""),
    };
})"""


def assert_likert_items_are_fieldsets(page: Page, survey_id: str, lang: str) -> None:
    """Each statement is a fieldset whose legend is the statement and holds all its radios."""
    definition = DEFINITIONS[survey_id]
    items = page.evaluate(LIKERT_JS, likert_ids(survey_id))
    for statement, item in zip(definition.statements, items, strict=True):
        name = item["name"]
        assert item["radios"] == len(definition.scale.steps) + 1, f"{name}: radios"
        assert item["legend"] == statement.text.get(lang), f"{name}: no legend with the statement"
        assert item["allInside"], f"{name}: radios outside the statement's fieldset"
        assert item["labelled"], f"{name}: a radio without its own label"


# --- axe on every page --------------------------------------------------------------------

STATIC_PAGES = [
    ("start page", "/", 200),
    *[(f"information {survey}", f"/{survey}/", 200) for survey in SURVEY_IDS],
    ("accessibility statement", "/tillganglighet", 200),
    ("page not found", "/finns-inte/", 404),
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_have_no_violations(page: Page, lang: str):
    """Start, information, accessibility statement and 404 pages; reports every page at once."""
    failures = []
    for label, path, status in STATIC_PAGES:
        open_page(page, path, lang, status)
        try:
            assert_accessible(page, f"{label} ({lang})", lang)
        except (AssertionError, pytest.fail.Exception) as error:
            failures.append(str(error))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.mark.parametrize(("survey_id", "lang"), SURVEY_LANGUAGES)
def test_questionnaire_has_no_violations(page: Page, survey_id: str, lang: str):
    open_page(page, f"/{survey_id}/svar", lang)
    assert page.locator(".error-summary").count() == 0
    assert_likert_items_are_fieldsets(page, survey_id, lang)
    assert_accessible(page, f"questionnaire {survey_id} ({lang})", lang)


@pytest.mark.parametrize(("survey_id", "lang"), SURVEY_LANGUAGES)
def test_questionnaire_with_errors_has_no_violations(page: Page, survey_id: str, lang: str):
    open_page(page, f"/{survey_id}/svar", lang)
    targets = enter_mistakes(page, survey_id)
    submit_survey(page, 422)
    assert_error_summary(page, lang, targets)
    assert page.input_value("#free_text").startswith("ååå"), "typed text was lost"
    assert_likert_items_are_fieldsets(page, survey_id, lang)
    assert_accessible(page, f"questionnaire {survey_id} ({lang}) with errors", lang)


@pytest.mark.parametrize(("survey_id", "lang"), SURVEY_LANGUAGES)
def test_nothing_answered_then_thanks(page: Page, survey_id: str, lang: str):
    open_page(page, f"/{survey_id}/svar", lang)
    submit_survey(page, 422)
    assert_error_summary(page, lang, ["survey-form"])
    assert_accessible(page, f"questionnaire {survey_id} ({lang}) nothing answered", lang)

    # A real submission, still in the chosen language, ends on the thanks page.
    page.check(f"#{likert_ids(survey_id)[0]}-3")
    page.fill("#free_text", "Att jag får träffa samma läkare varje gång.")
    submit_survey(page, 200)
    assert page.url.endswith(f"/{survey_id}/tack")
    assert_accessible(page, f"thanks {survey_id} ({lang})", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_accessibility_statement_form(page: Page, lang: str):
    open_page(page, "/tillganglighet", lang)
    # maxlength stops a browser from typing more; older ones and scripts do not obey it.
    page.eval_on_selector("#page", "input => { input.value = '/' + 'x'.repeat(300); }")
    submit(page, "#report-form button[type=submit]", 422)
    assert_error_summary(page, lang, ["page", "description"])
    assert_accessible(page, f"accessibility statement ({lang}) with errors", lang)

    page.fill("#page", "/jonkoping-2030/svar")
    page.fill("#description", "Knappen syns inte med 400 % förstoring.")
    submit(page, "#report-form button[type=submit]", 200)
    assert page.locator(".panel-success[role=status]").is_visible()
    assert_accessible(page, f"accessibility statement ({lang}) after a report", lang)


# --- what users notice --------------------------------------------------------------------


def test_language_switch_keeps_what_was_typed(page: Page):
    """English -> Swedish -> English on the questionnaire: nothing typed or chosen is lost."""
    survey_id = "jonkoping-2030"
    definition = DEFINITIONS[survey_id]
    likert = f"#{likert_ids(survey_id)[1]}-4"
    text = "Kortare väntetider.\nAtt någon lyssnar på mig."
    open_page(page, f"/{survey_id}/svar", "en")
    assert page.inner_text("h1") == definition.title.get("en")
    page.fill("#free_text", text)
    page.check(likert)
    page.select_option("#municipality", index=2)
    municipality = page.input_value("#municipality")

    for language in ("sv", "en"):
        submit(page, "button[name=switch_language]", 200)
        assert page.get_attribute("html", "lang") == language
        assert page.inner_text("h1") == definition.title.get(language)
        assert page.input_value("#free_text") == text
        assert page.is_checked(likert)
        assert page.input_value("#municipality") == municipality
        assert page.locator(".error-summary").count() == 0, "switching language is no error"
        assert_accessible(page, f"questionnaire after switching to {language}", language)

    # The choice sticks: the next page is in English too (Swedish is the default).
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"


@pytest.mark.parametrize("path", ["/", "/jonkoping-2030/svar"])
def test_skip_link_is_first_and_visible_when_focused(page: Page, path: str):
    page.goto(path)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const element = document.activeElement;
            const box = element.getBoundingClientRect();
            const style = getComputedStyle(element);
            return {
                className: element.className, href: element.getAttribute("href"),
                text: element.textContent.trim(),
                inViewport: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
                    && box.right <= innerWidth && box.bottom <= innerHeight,
                outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
            };
        }"""
    )
    assert focused["className"] == "skip-link", f"first Tab stop is {focused}"
    assert focused["href"] == "#main"
    assert focused["text"] == "Gå till innehållet"
    assert focused["inViewport"], "skip link is focused but not on screen"
    assert focused["outline"], "skip link has no visible focus outline"

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


# --- phone size: screenshots for the README and what a phone user sees ---------------------

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, locale="sv-SE", **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_phone_screenshots(phone: Page, tmp_path: Path):
    """The Swedish questionnaire at phone size, also checked for sideways scrolling.

    Written to docs/screenshots only with VIKTIGT_UPDATE_SCREENSHOTS=1, else to tmp_path.
    """
    target = SCREENSHOTS if os.environ.get("VIKTIGT_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    survey_id = "jonkoping-2030"
    open_page(phone, f"/{survey_id}/svar", "sv")
    assert_fits_the_screen(phone)
    phone.screenshot(path=target / "survey-mobile.png", full_page=True, clip=top_part(phone))

    enter_mistakes(phone, survey_id)
    submit_survey(phone, 422)
    assert_fits_the_screen(phone)
    phone.screenshot(path=target / "survey-mobile-errors.png", full_page=True, clip=top_part(phone))
    for name in ("survey-mobile.png", "survey-mobile-errors.png"):
        assert (target / name).stat().st_size > 10_000

    # WCAG 1.4.10 Reflow: still no sideways scrolling at 320 CSS pixels.
    phone.set_viewport_size({"width": 320, "height": 640})
    assert_fits_the_screen(phone)


def assert_fits_the_screen(page: Page) -> None:
    """No sideways scrolling."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page is wider than the screen: {widths}"


def top_part(page: Page) -> dict[str, float]:
    """From the top of the page to the end of the first statement."""
    bottom = page.evaluate(
        "() => document.querySelector('#survey-form fieldset').getBoundingClientRect().bottom"
        " + window.scrollY"
    )
    return {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom + 24}


IN_VIEW_JS = """id => {
    const inView = element => {
        const box = element.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
    };
    const target = document.getElementById(id);
    const question = target.closest(".question");
    return {
        focused: document.activeElement === target,
        question: inView(question.querySelector("legend, .question-label")),
        message: inView(question.querySelector(".error-message")),
        field: inView(target),
    };
}"""


def test_error_links_show_the_question_on_a_phone(phone: Page):
    """Following a link in the summary lands on the field with its question and error in view."""
    survey_id = "jonkoping-2030"
    open_page(phone, f"/{survey_id}/svar", "sv")
    targets = enter_mistakes(phone, survey_id)
    submit_survey(phone, 422)
    for target in targets:
        phone.evaluate("() => window.scrollTo(0, 0)")
        phone.click(f'.error-summary a[href="#{target}"]')
        seen = phone.evaluate(IN_VIEW_JS, target)
        assert seen == {"focused": True, "question": True, "message": True, "field": True}, (
            f"after following the error link to #{target}: {seen}"
        )


def test_axe_check_catches_known_faults(page: Page):
    """Guards the checker itself: if axe were not running, every other test would pass."""
    open_page(page, "/", "sv")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
            '<img src="data:,"><input type="text" name="unlabelled">'
            + '<p style="color: #aaaaaa">Grå text som är svår att läsa.</p>')"""
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page, "a page with known faults", "sv")
    report = str(failure.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert f"- {rule} [" in report
    assert "\n    img: Element does not have an alt attribute" in report, report
