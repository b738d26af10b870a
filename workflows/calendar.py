"""Legal time limits counted in the addressee's calendar.

Sulh follows the WIPO Arbitration Rules, art. 4 (and the UDRP Rules, para. 4-5, which read the
same way): a period begins to run on the day after the notice is received; official holidays and
non-business days falling *within* the period count; but if the last day of the period is an
official holiday or a non-business day *at the addressee's residence or place of business*, the
period is extended to the first business day there. A procedure may instead count business days,
in which case the addressee's weekend and holidays are skipped while counting.

Three things make "a business day" date-effective and country-specific:

* the weekend: Saudi Arabia moved from Thu-Fri to Fri-Sat on 29 June 2013, the UAE from Fri-Sat
  to Sat-Sun on 1 January 2022, and others earlier. The ``holidays`` package models most of these
  per date (``HolidayBase.is_weekend``); :data:`_WEEKEND_CORRECTIONS` covers the ones it gets
  wrong or leaves out;
* public holidays, from ``holidays`` (Islamic ones are estimates until the moon is sighted, so an
  administrator can add, rename or remove a date with ``overrides``);
* days the institution itself is closed (``closures``).

The deadline ends at the end of the due day in the addressee's time zone and is stored in UTC.
This module is pure Python (no Flask, nothing from ``app``) so that it can be unit-tested and
used by the deadline sweep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from babel import Locale, UnknownLocaleError
from hijridate import Gregorian

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_LONG = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Where the holidays package (0.109) is wrong or silent about a weekend: (first day, first day no
# longer covered or None, weekend). Checked against contemporary reports; the package covers SA
# (Fri-Sat from 2013-06-28, a Friday, so equivalent to the decree's Saturday 29 June), AE from
# 2022, QA 2003, KW 2007, OM 2013, JO 2000, SD 2008 and DZ (but by year, not by day).
_WEEKEND_CORRECTIONS: dict[str, tuple[tuple[date, date | None, frozenset[int]], ...]] = {
    # UAE and Bahrain: Thu-Fri until the cabinet decisions effective 1 September 2006 (Friday-only
    # before ~1999 in the UAE is not modelled). The package has Fri-Sat for all years before 2022.
    "AE": ((date.min, date(2006, 9, 1), frozenset({THU, FRI})),),
    "BH": ((date.min, date(2006, 9, 1), frozenset({THU, FRI})),),
    # Algeria: decree 09-244 moved the weekend on 14 August 2009; the package switches on 1 Jan.
    "DZ": ((date(2009, 1, 1), date(2009, 8, 14), frozenset({THU, FRI})),),
    # Libya: Fri-Sat (Decision 489 of 2005, reaffirmed after 2011); the package has Sat-Sun.
    # Its Friday-only interludes are not modelled.
    "LY": ((date.min, None, frozenset({FRI, SAT})),),
}

_DEFAULT_WEEKEND = frozenset({SAT, SUN})

# IANA zone of each member state's capital (Indonesia: western zone, Jakarta).
_TIMEZONES = {
    "SA": "Asia/Riyadh", "AE": "Asia/Dubai", "EG": "Africa/Cairo", "JO": "Asia/Amman",
    "MA": "Africa/Casablanca", "TN": "Africa/Tunis", "DZ": "Africa/Algiers", "QA": "Asia/Qatar",
    "KW": "Asia/Kuwait", "BH": "Asia/Bahrain", "OM": "Asia/Muscat", "IQ": "Asia/Baghdad",
    "LB": "Asia/Beirut", "PK": "Asia/Karachi", "BD": "Asia/Dhaka", "MY": "Asia/Kuala_Lumpur",
    "ID": "Asia/Jakarta", "TR": "Europe/Istanbul", "IR": "Asia/Tehran", "AF": "Asia/Kabul",
    "MV": "Indian/Maldives", "BN": "Asia/Brunei", "LY": "Africa/Tripoli", "SD": "Africa/Khartoum",
}  # fmt: skip

# French transliterations (hijridate has en, ar, bn, tr only).
_HIJRI_MONTHS_FR = (
    "Mouharram", "Safar", "Rabia al-awal", "Rabia ath-thani", "Joumada al-oula",
    "Joumada ath-thania", "Rajab", "Chaabane", "Ramadan", "Chawwal", "Dhou al-qi'da",
    "Dhou al-hijja",
)  # fmt: skip

# A period never rolls further than this; reaching it means the calendar data is broken.
_MAX_ROLL = 366


@dataclass(frozen=True)
class SkippedDay:
    """A non-business day that lengthened (business counting) or moved (roll) a period."""

    date: date
    reason: str  # English, e.g. "weekend (Friday)", "public holiday: Eid al-Fitr"
    kind: str  # "weekend" | "holiday" | "closure"
    name: str = ""  # weekday or holiday name, so other languages can re-render the reason

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "date": self.date.isoformat()}


@dataclass(frozen=True)
class DueDate:
    """A computed time limit and how it was reached (stored with the deadline row)."""

    trigger: date
    days: int
    business: bool
    country: str
    tz: str
    nominal_end: date
    due_date: date
    due_at: datetime
    skipped: tuple[SkippedDay, ...]
    explanation: str
    trigger_label: str = "the trigger"
    subdiv: str | None = None  # state or province with its own weekend/holidays (MY-03...)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: dates as ISO strings, ``due_at`` as ISO 8601 with +00:00."""
        return {
            "trigger": self.trigger.isoformat(),
            "days": self.days,
            "business": self.business,
            "country": self.country,
            "tz": self.tz,
            "nominal_end": self.nominal_end.isoformat(),
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.isoformat(),
            "skipped": [s.as_dict() for s in self.skipped],
            "explanation": self.explanation,
            "trigger_label": self.trigger_label,
            "subdiv": self.subdiv,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DueDate:
        """Inverse of :meth:`as_dict`."""
        return cls(
            trigger=date.fromisoformat(data["trigger"]),
            days=data["days"],
            business=data["business"],
            country=data["country"],
            tz=data["tz"],
            nominal_end=date.fromisoformat(data["nominal_end"]),
            due_date=date.fromisoformat(data["due_date"]),
            due_at=datetime.fromisoformat(data["due_at"]),
            skipped=tuple(
                SkippedDay(date.fromisoformat(s["date"]), s["reason"], s["kind"], s.get("name", ""))
                for s in data["skipped"]
            ),
            explanation=data["explanation"],
            trigger_label=data.get("trigger_label", "the trigger"),
            subdiv=data.get("subdiv"),
        )


# --------------------------------------------------------------------------- country data


def default_timezone(country: str) -> str:
    """IANA zone of the member state's capital; "UTC" for anything else."""
    return _TIMEZONES.get(country.upper(), "UTC")


@lru_cache(maxsize=256)
def country_name(country: str, locale: str = "en") -> str:
    """Country name from CLDR (via babel); the code itself if unknown."""
    try:
        return str(Locale.parse(locale).territories.get(country.upper(), country.upper()))
    except (UnknownLocaleError, ValueError):
        return country.upper()


@dataclass(frozen=True)
class _Year:
    holidays: dict[date, str]
    weekend: frozenset[date]


@lru_cache(maxsize=1024)
def _year(country: str, year: int, subdiv: str | None = None) -> _Year:
    """Holidays and weekend dates of one country (or one of its states, e.g. Kelantan in
    Malaysia, whose weekend is Fri-Sat) and year, flattened to plain sets for speed.

    Countries the holidays package does not know get a Sat-Sun weekend and no holidays; an
    unknown subdivision falls back to the national calendar.
    """
    try:
        h = holidays.country_holidays(country, subdiv=subdiv, years=year, language="en_US")
    except NotImplementedError:
        if subdiv:
            return _year(country, year, None)
        h = None
    days = [date(year, 1, 1) + timedelta(n) for n in range(366)]
    days = [d for d in days if d.year == year]
    corrections = _WEEKEND_CORRECTIONS.get(country, ())
    weekend = set()
    for d in days:
        fixed = next((wk for lo, hi, wk in corrections if lo <= d and (hi is None or d < hi)), None)
        if fixed is not None:
            off = d.weekday() in fixed
        elif h is not None:
            off = h.is_weekend(d) and d not in h.weekend_workdays
        else:
            off = d.weekday() in _DEFAULT_WEEKEND
        if off:
            weekend.add(d)
    return _Year(dict(h.items()) if h is not None else {}, frozenset(weekend))


def subdivisions(country: str) -> tuple[str, ...]:
    """Codes of the states or provinces with their own calendar in the holidays package."""
    try:
        return tuple(holidays.country_holidays(country.upper()).subdivisions)
    except NotImplementedError:
        return ()


def _non_business(
    d: date,
    country: str,
    closures: frozenset[date] | set[date],
    overrides: Mapping[date, str | None] | None,
    subdiv: str | None = None,
) -> SkippedDay | None:
    # A holiday is named first even on a weekend: "Eid al-Fitr" explains more than "Friday".
    year = _year(country, d.year, subdiv or None)
    name = overrides[d] if overrides and d in overrides else year.holidays.get(d)
    if name:
        return SkippedDay(d, f"public holiday: {name}", "holiday", name)
    if d in year.weekend:
        weekday = _WEEKDAYS[d.weekday()]
        return SkippedDay(d, f"weekend ({weekday})", "weekend", weekday)
    if d in closures:
        return SkippedDay(d, "institution closure", "closure")
    return None


def is_business_day(
    d: date,
    country: str,
    *,
    closures: Iterable[date] = (),
    overrides: Mapping[date, str | None] | None = None,
    subdiv: str | None = None,
) -> tuple[bool, SkippedDay | None]:
    """Whether ``d`` is a business day for an addressee in ``country``, and if not, why."""
    skipped = _non_business(d, country.upper(), frozenset(closures), overrides, subdiv)
    return skipped is None, skipped


# --------------------------------------------------------------------------- the computation


@dataclass(frozen=True)
class Addressee:
    """Whose calendar governs a time limit: their country (and state), their clock, and the
    institution's closure days and confirmed holiday dates for that country."""

    country: str
    tz: str
    subdiv: str | None = None
    closures: frozenset[date] = frozenset()
    overrides: Mapping[date, str | None] | None = None

    def due(self, trigger: date, days: int, *, business: bool = False,
            trigger_label: str = "the trigger") -> DueDate:
        return compute_due(trigger, days, country=self.country, business=business, tz=self.tz,
                           closures=self.closures, overrides=self.overrides,
                           trigger_label=trigger_label, subdiv=self.subdiv)


def compute_due(
    trigger: date,
    days: int,
    *,
    country: str,
    business: bool = False,
    tz: str | None = None,
    closures: Iterable[date] = (),
    overrides: Mapping[date, str | None] | None = None,
    trigger_label: str = "the trigger",
    subdiv: str | None = None,
) -> DueDate:
    """Compute a time limit of ``days`` (calendar or business) days from ``trigger``.

    WIPO Arbitration Rules art. 4: counting starts the day after ``trigger``; a period ending on a
    non-business day of the addressee ends on their next business day instead (also for calendar
    days). ``overrides`` maps a date to a holiday name (add or rename) or to None (remove an
    estimated holiday that did not happen on that day).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    country = country.upper()
    tz = tz or default_timezone(country)
    zone = ZoneInfo(tz)
    closed = frozenset(closures)
    skipped: list[SkippedDay] = []

    if business:
        nominal, counted, idle = trigger, 0, 0
        while counted < days:
            nominal += timedelta(1)
            off = _non_business(nominal, country, closed, overrides, subdiv)
            if off is None:
                counted, idle = counted + 1, 0
            else:
                skipped.append(off)
                idle += 1
                if idle > _MAX_ROLL:
                    raise ValueError(f"no business day in {country} for a year after {nominal}")
    else:
        nominal = trigger + timedelta(days)

    due = nominal
    rolled: list[SkippedDay] = []
    while (off := _non_business(due, country, closed, overrides, subdiv)) is not None:
        rolled.append(off)
        if len(rolled) > _MAX_ROLL:
            raise ValueError(f"no business day in {country} for a year after {nominal}")
        due += timedelta(1)

    # The end of the due day is the instant before the next local midnight: writing 23:59:59.999999
    # directly would pick the earlier of two such instants on a night the clocks go back at 00:00.
    next_midnight = datetime.combine(due + timedelta(1), time.min, tzinfo=zone)
    due_at = next_midnight.astimezone(UTC) - timedelta(microseconds=1)

    result = DueDate(
        trigger=trigger,
        days=days,
        business=business,
        country=country,
        tz=tz,
        nominal_end=nominal,
        due_date=due,
        due_at=due_at,
        skipped=(*skipped, *rolled),
        explanation="",
        trigger_label=trigger_label,
        subdiv=subdiv or None,
    )
    return replace(result, explanation=explain(result))


# --------------------------------------------------------------------------- English wording


def _long(d: date) -> str:
    return f"{d.day} {_MONTHS_LONG[d.month - 1]} {d.year}"


def _short(d: date, year: bool = True) -> str:
    text = f"{_WEEKDAYS[d.weekday()][:3]} {d.day} {_MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if year else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _what(s: SkippedDay) -> str:
    if s.kind == "holiday":
        return f"a public holiday ({s.name})"
    if s.kind == "weekend":
        return "a weekend day"
    return "a day the institution is closed"


def explain(result: DueDate) -> str:
    """Plain-English account of how the due date was reached (stored with the deadline)."""
    where = country_name(result.country)
    unit = "business day" if result.business else "day"
    head = _plural(result.days, unit) + (f" in {where}" if result.business else "")
    head += f" from {result.trigger_label} on {_long(result.trigger)}"
    if result.business:
        counted = [s for s in result.skipped if s.date < result.nominal_end]
        if counted:
            kinds = Counter(s.kind for s in counted)
            parts = [
                _plural(kinds[k], label)
                for k, label in (
                    ("weekend", "weekend day"),
                    ("holiday", "public holiday"),
                    ("closure", "institution closure day"),
                )
                if kinds[k]
            ]
            head += f", not counting {' and '.join(parts)},"
    rolled = [s for s in result.skipped if s.date >= result.nominal_end]
    if result.due_date == result.nominal_end:
        return f"{head} end on {_short(result.due_date)}."
    text = f"{head} end on {_short(result.nominal_end, year=False)}, {_what(rolled[0])} in {where}"
    text += f", so the time limit ends on the next business day there, {_short(result.due_date)}"
    if any(s.kind != "weekend" for s in rolled[1:]):  # a weekend's second day needs no comment
        first, last = _short(rolled[1].date, year=False), _short(rolled[-1].date, year=False)
        if len(rolled) == 2:
            text += f" ({first} is also not a business day there)"
        else:
            text += f" ({first} to {last} are also not business days there)"
    return text + "."


# --------------------------------------------------------------------------- Hijri dates


def hijri_date(d: date) -> tuple[int, int, int]:
    """Umm al-Qura (year, month, day); hijridate covers 1924-08-01..2077-11-16 (OverflowError)."""
    h = Gregorian.fromdate(d).to_hijri()
    return h.year, h.month, h.day


def hijri_iso(d: date) -> str:
    y, m, day = hijri_date(d)
    return f"{y:04d}-{m:02d}-{day:02d}"


def format_hijri(d: date, locale: str = "en") -> str:
    """E.g. "1 Ramadan 1447 AH", "1 رمضان 1447 هـ", "1 Ramadan 1447 H" (Western digits).

    "—" outside the Umm al-Qura tables (1924-08-01..2077-11-16): forms take 1900-2100, and a
    date stored before that check must still leave its page readable."""
    try:
        h = Gregorian.fromdate(d).to_hijri()
    except OverflowError:
        return "—"
    lang = locale.replace("-", "_").split("_")[0].lower()
    if lang == "fr":
        return f"{h.day} {_HIJRI_MONTHS_FR[h.month - 1]} {h.year} H"
    known: Literal["en", "ar", "bn", "tr"] = (
        "ar" if lang == "ar" else "bn" if lang == "bn" else "tr" if lang == "tr" else "en")
    return f"{h.day} {h.month_name(known)} {h.year} {h.notation(known)}"
