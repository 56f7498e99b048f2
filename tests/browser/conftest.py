"""Fixtures for the browser tests: one headless Debian Chromium per session, a fresh page per test."""

import os

import pytest

# Playwright's sync API keeps an event loop on the main thread from the moment the session's browser starts
# until the session ends, so Django refuses ORM calls made there (factories, assertions, the database flush,
# and any test that runs after these) as "async-unsafe". Nothing here is really async: allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "browser_test_failed", False):
        from .helpers import screenshot

        screenshot(page, f"FAILED-{request.node.name}")
    context.close()


@pytest.fixture
def checks(page):
    from .helpers import PageChecks

    return PageChecks(page)
