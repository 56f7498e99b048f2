"""The browser fixtures (one Chromium, a page per test, page checks) for the security journeys."""

from tests.browser.conftest import browser, checks, page  # noqa: F401
