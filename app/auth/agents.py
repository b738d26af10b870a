"""A browser's user-agent string summed up for the account's list of sessions ("Firefox on
Windows"): enough for a person to recognise their own devices. A few patterns, in the order
that matters (Edge and Opera also say "Chrome", Chrome also says "Safari"); anything else
is shown as an unknown browser rather than guessed."""

from __future__ import annotations

import re

from app.i18n import gettext as _

BROWSERS = (("Edge", r"Edg(?:e|A|iOS)?/"), ("Opera", r"OPR/|Opera"),
            ("Samsung Internet", r"SamsungBrowser/"), ("Firefox", r"Firefox/|FxiOS/"),
            ("Chrome", r"Chrome/|CriOS/"), ("Safari", r"Safari/"),
            ("curl", r"^curl/"), ("Python", r"python-requests|^Python"))
SYSTEMS = (("Android", r"Android"), ("iPhone", r"iPhone"), ("iPad", r"iPad"),
           ("Windows", r"Windows"), ("macOS", r"Mac OS X|Macintosh"), ("ChromeOS", r"CrOS"),
           ("Linux", r"Linux"))


def browser_summary(user_agent: str) -> str:
    browser = next((name for name, pattern in BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return str(browser or system)
    return _("Unknown browser")
