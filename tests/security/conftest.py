"""The browser fixtures of tests/e2e (a live server, Debian's chromium through Playwright), for
the security checks that need a real browser (C23)."""

from tests.e2e.conftest import browser, live_server, page  # noqa: F401
