"""Hand-checked time limits in the addressee's calendar (workflows.calendar).

Every expected date below was checked against a printed calendar (Python's calendar module,
Monday-first) and the holidays 0.109 output for that country and year, quoted in the comments.
Counting starts the day after the trigger (WIPO Arbitration Rules art. 4).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.calendar import (
    Addressee,
    DueDate,
    SkippedDay,
    compute_due,
    country_name,
    default_timezone,
    format_hijri,
    hijri_date,
    hijri_iso,
    is_business_day,
    subdivisions,
)

D = date

# (id, trigger, days, country, business, expected due date, expected skipped dates)
CASES = [
    # SA weekend Fri-Sat. Fri 1 May 2026 + 14 = Fri 15 May; Fri 15 and Sat 16 are weekend,
    # SA has no holiday in May before Arafah (26 May) -> Sun 17 May.
    ("SA-calendar-weekend-roll", D(2026, 5, 1), 14, "SA", False, D(2026, 5, 17),
     [D(2026, 5, 15), D(2026, 5, 16)]),
    # SA Eid al-Fitr 2026 per holidays: Thu 19 - Sun 22 Mar "Eid al-Fitr Holiday", Mon 23 and
    # Tue 24 "(observed)". Fri 6 Mar + 14 = Fri 20 Mar -> rolls over 20..24 -> Wed 25 Mar.
    ("SA-calendar-eid-al-fitr", D(2026, 3, 6), 14, "SA", False, D(2026, 3, 25),
     [D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23), D(2026, 3, 24)]),
    # SA Eid al-Adha 2026: Tue 26 Arafah, Wed 27 - Fri 29 Eid, Sat 30 weekend, Sun 31 observed.
    # From Wed 20 May: Thu 21 (1), Fri 22 + Sat 23 weekend, Sun 24 (2), Mon 25 (3),
    # 26..31 off, Mon 1 Jun (4), Tue 2 Jun (5).
    ("SA-business-eid-al-adha", D(2026, 5, 20), 5, "SA", True, D(2026, 6, 2),
     [D(2026, 5, 22), D(2026, 5, 23), D(2026, 5, 26), D(2026, 5, 27), D(2026, 5, 28),
      D(2026, 5, 29), D(2026, 5, 30), D(2026, 5, 31)]),
    # SA 2013 weekend change (effective Sat 29 June 2013): Thu 20 Jun + 7 = Thu 27 Jun, still a
    # Thu-Fri weekend day; Fri 28 weekend under both; Sat 29 weekend under the new rule; no SA
    # holidays in June/July 2013 -> Sun 30 Jun. Three weekend days in a row.
    ("SA-2013-changeover", D(2013, 6, 20), 7, "SA", False, D(2013, 6, 30),
     [D(2013, 6, 27), D(2013, 6, 28), D(2013, 6, 29)]),
    # Sat 15 Jun 2013 + 7 = Sat 22 Jun 2013, a working day before the change: no roll.
    ("SA-2013-old-saturday-works", D(2013, 6, 15), 7, "SA", False, D(2013, 6, 22), []),
    # AE: Sat-Sun weekend since 2022, so Fri 9 Jan 2026 (Sat 3 Jan + 6) is a business day.
    ("AE-friday-works-2026", D(2026, 1, 3), 6, "AE", False, D(2026, 1, 9), []),
    # AE: Sat 3 Jan + 7 = Sat 10 Jan 2026, weekend with Sun 11 -> Mon 12 Jan.
    ("AE-calendar-weekend-roll", D(2026, 1, 3), 7, "AE", False, D(2026, 1, 12),
     [D(2026, 1, 10), D(2026, 1, 11)]),
    # AE 2022 change and a year boundary: Fri 24 Dec 2021 + 7 = Fri 31 Dec 2021 (Fri-Sat weekend
    # then); Sat 1 Jan 2022 New Year's Day; Sun 2 Jan 2022 weekend under the new rule -> Mon 3 Jan.
    ("AE-2022-changeover", D(2021, 12, 24), 7, "AE", False, D(2022, 1, 3),
     [D(2021, 12, 31), D(2022, 1, 1), D(2022, 1, 2)]),
    # EG Fri-Sat, holidays: Sat 25 Apr Sinai Liberation Day, Fri 1 May Labor Day. From Thu 23 Apr:
    # Fri 24 wk, Sat 25 hol, Sun 26 (1) .. Thu 30 (5), Fri 1 May hol, Sat 2 wk, Sun 3 May (6).
    ("EG-business-holidays", D(2026, 4, 23), 6, "EG", True, D(2026, 5, 3),
     [D(2026, 4, 24), D(2026, 4, 25), D(2026, 5, 1), D(2026, 5, 2)]),
    # MA Sat-Sun, year boundary: Mon 22 Dec 2025 + 10 = Thu 1 Jan 2026, New Year's Day; Fri 2 Jan
    # is a business day (next MA holiday is 11 Jan) -> Fri 2 Jan 2026.
    ("MA-year-boundary-holiday", D(2025, 12, 22), 10, "MA", False, D(2026, 1, 2), [D(2026, 1, 1)]),
    # MA: Mon 20 Jul + 10 = Thu 30 Jul 2026, Throne Day -> Fri 31 Jul (Friday works in MA).
    ("MA-throne-day", D(2026, 7, 20), 10, "MA", False, D(2026, 7, 31), [D(2026, 7, 30)]),
    # PK Sat-Sun; Eid al-Fitr Fri 20 + Sat 21 Mar, Sun 22 wk, Mon 23 Pakistan Day.
    # From Thu 19 Mar: Tue 24 (1), Wed 25 (2), Thu 26 (3).
    ("PK-business-eid-pakistan-day", D(2026, 3, 19), 3, "PK", True, D(2026, 3, 26),
     [D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23)]),
    # PK across the year end: from Tue 23 Dec 2025: Wed 24 (1), Thu 25 Quaid-e-Azam Day, Fri 26
    # (2), Sat 27 + Sun 28 wk, Mon 29 (3), Tue 30 (4), Wed 31 (5), Thu 1 Jan (6, no PK public
    # holiday), Fri 2 Jan 2026 (7).
    ("PK-business-year-boundary", D(2025, 12, 23), 7, "PK", True, D(2026, 1, 2),
     [D(2025, 12, 25), D(2025, 12, 27), D(2025, 12, 28)]),
    # IR Friday-only weekend; Sat 21 Mar 2026 Eid al-Fitr + Nowruz, Sun 22 - Tue 24 holidays.
    # Wed 11 Mar + 10 = Sat 21 Mar -> Wed 25 Mar.
    ("IR-nowruz", D(2026, 3, 11), 10, "IR", False, D(2026, 3, 25),
     [D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23), D(2026, 3, 24)]),
    # IR: Thursday is a working day (only Friday is the weekend): Thu 8 + 7 = Thu 15 Jan 2026.
    ("IR-thursday-works", D(2026, 1, 8), 7, "IR", False, D(2026, 1, 15), []),
    # MY (federal, Sat-Sun): Fri 20 Mar additional Eid holiday, Sat 21, Sun 22 Eid, Mon 23 observed.
    # From Thu 19 Mar: Tue 24 (1), Wed 25 (2).
    ("MY-business-eid", D(2026, 3, 19), 2, "MY", True, D(2026, 3, 25),
     [D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23)]),
    # TR: Eid al-Adha Wed 27 - Sat 30 May 2026, Sun 31 wk. From Tue 26: Mon 1 (1), Tue 2 (2),
    # Wed 3 Jun (3).
    ("TR-business-kurban-bayrami", D(2026, 5, 26), 3, "TR", True, D(2026, 6, 3),
     [D(2026, 5, 27), D(2026, 5, 28), D(2026, 5, 29), D(2026, 5, 30), D(2026, 5, 31)]),
    # JO Fri-Sat, year boundary: Wed 10 Dec 2025 + 30 = Fri 9 Jan 2026, Sat 10 -> Sun 11 Jan.
    ("JO-year-boundary-weekend", D(2025, 12, 10), 30, "JO", False, D(2026, 1, 11),
     [D(2026, 1, 9), D(2026, 1, 10)]),
    # Unknown to the holidays package: Sat-Sun, no holidays. Fri 2 Jan 2026 + 1 = Sat 3 -> Mon 5.
    ("unknown-country-fallback", D(2026, 1, 2), 1, "XX", False, D(2026, 1, 5),
     [D(2026, 1, 3), D(2026, 1, 4)]),
    # QA Fri-Sat; Eid al-Fitr Fri 20 - Sun 22 Mar 2026. Sun 15 Mar + 5 = Fri 20 -> Mon 23 Mar.
    ("QA-eid-al-fitr", D(2026, 3, 15), 5, "QA", False, D(2026, 3, 23),
     [D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 22)]),
    # KW across the year end: Thu 25 Dec 2025 + 7 = Thu 1 Jan 2026, New Year's Day; Fri 2 and
    # Sat 3 weekend -> Sun 4 Jan 2026.
    ("KW-year-boundary", D(2025, 12, 25), 7, "KW", False, D(2026, 1, 4),
     [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)]),
    # BN rests on Friday and Sunday: Tue 6 Jan + 3 = Fri 9 Jan -> Sat 10 Jan (a working day).
    ("BN-saturday-works", D(2026, 1, 6), 3, "BN", False, D(2026, 1, 10), [D(2026, 1, 9)]),
    # AE Eid al-Adha 2026: Wed 27 Eid, Thu 28 + Fri 29 holidays, Sat 30 + Sun 31 weekend.
    # Wed 20 May + 7 = Wed 27 May -> Mon 1 Jun.
    ("AE-eid-al-adha", D(2026, 5, 20), 7, "AE", False, D(2026, 6, 1),
     [D(2026, 5, 27), D(2026, 5, 28), D(2026, 5, 29), D(2026, 5, 30), D(2026, 5, 31)]),
    # EG into 2027: Thu 24 Dec 2026 + 8 = Fri 1 Jan 2027 (weekend; not an EG holiday), Sat 2
    # -> Sun 3 Jan 2027.
    ("EG-year-boundary-2027", D(2026, 12, 24), 8, "EG", False, D(2027, 1, 3),
     [D(2027, 1, 1), D(2027, 1, 2)]),
    # ID Sat-Sun; Islamic New Year Tue 16 Jun 2026. Wed 10 Jun + 6 = Tue 16 -> Wed 17 Jun.
    ("ID-islamic-new-year", D(2026, 6, 10), 6, "ID", False, D(2026, 6, 17), [D(2026, 6, 16)]),
]  # fmt: skip


def test_malaysian_states_have_their_own_weekend():
    # Kelantan (MY-03) rests on Friday and Saturday, federal Malaysia on Saturday and Sunday.
    # From Wed 7 Jan 2026, 2 business days: Kelantan Thu 8, (Fri 9, Sat 10), Sun 11.
    kelantan = compute_due(D(2026, 1, 7), 2, country="MY", business=True, subdiv="03")
    federal = compute_due(D(2026, 1, 7), 2, country="MY", business=True)
    assert kelantan.due_date == D(2026, 1, 11) and federal.due_date == D(2026, 1, 9)
    assert is_business_day(D(2026, 1, 11), "MY", subdiv="03") == (True, None)
    assert not is_business_day(D(2026, 1, 11), "MY")[0]
    assert DueDate.from_dict(json.loads(json.dumps(kelantan.as_dict()))) == kelantan
    # An unknown state falls back to the national calendar.
    assert compute_due(D(2026, 1, 7), 2, country="MY", business=True,
                       subdiv="ZZ").due_date == D(2026, 1, 9)
    assert "03" in subdivisions("MY") and subdivisions("XX") == ()


def test_addressee_carries_the_corrections():
    who = Addressee("SA", "Asia/Riyadh", closures=frozenset({D(2026, 5, 17)}))
    assert who.due(D(2026, 5, 3), 14).due_date == D(2026, 5, 18)


@pytest.mark.parametrize(
    ("trigger", "days", "country", "business", "due", "skipped"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hand_checked_cases(trigger, days, country, business, due, skipped):
    result = compute_due(trigger, days, country=country, business=business)
    assert result.due_date == due
    assert [s.date for s in result.skipped] == skipped
    assert result.due_date >= trigger + timedelta(days)
    assert is_business_day(result.due_date, country) == (True, None)
    if not business:
        assert result.nominal_end == trigger + timedelta(days)


def test_brief_example_explanation():
    result = compute_due(D(2026, 5, 1), 14, country="sa", trigger_label="service")
    assert result.country == "SA"
    assert result.nominal_end == D(2026, 5, 15)
    assert result.explanation == (
        "14 days from service on 1 May 2026 end on Fri 15 May, a weekend day in Saudi Arabia, "
        "so the time limit ends on the next business day there, Sun 17 May 2026."
    )
    assert result.skipped[0] == SkippedDay(D(2026, 5, 15), "weekend (Friday)", "weekend", "Friday")


def test_explanation_names_the_holiday_and_the_days_after():
    result = compute_due(D(2026, 3, 6), 14, country="SA", trigger_label="service")
    text = result.explanation
    assert "Fri 20 Mar, a public holiday (Eid al-Fitr Holiday) in Saudi Arabia" in text
    assert "(Sat 21 Mar to Tue 24 Mar are also not business days there)" in text
    assert result.skipped[0].reason == "public holiday: Eid al-Fitr Holiday"
    assert result.skipped[0].kind == "holiday"


def test_business_explanation_counts_skipped_days():
    result = compute_due(D(2026, 5, 20), 5, country="SA", business=True, trigger_label="service")
    assert result.nominal_end == result.due_date == D(2026, 6, 2)
    assert result.explanation == (
        "5 business days in Saudi Arabia from service on 20 May 2026, not counting 3 weekend days "
        "and 5 public holidays, end on Tue 2 Jun 2026."
    )


def test_business_zero_days_rolls_from_trigger():
    # Sat 2 May 2026 is a weekend day in SA; with nothing to count the period ends on Sun 3 May.
    result = compute_due(D(2026, 5, 2), 0, country="SA", business=True)
    assert result.due_date == D(2026, 5, 3)


def test_negative_days_rejected():
    with pytest.raises(ValueError, match="days"):
        compute_due(D(2026, 5, 2), -1, country="SA")


@pytest.mark.parametrize("business", [False, True])
def test_a_calendar_without_business_days_fails_loudly(business):
    closed = [D(2026, 1, 1) + timedelta(n) for n in range(800)]
    with pytest.raises(ValueError, match="no business day"):
        compute_due(D(2025, 12, 31), 3, country="SA", business=business, closures=closed)


# --------------------------------------------------------------------------- weekends by date


@pytest.mark.parametrize(
    ("country", "day", "business"),
    [
        # SA: Thu-Fri until the 29 June 2013 decree, Fri-Sat after.
        ("SA", D(2013, 6, 20), False),  # Thursday before
        ("SA", D(2013, 6, 22), True),  # Saturday before
        ("SA", D(2013, 7, 4), True),  # Thursday after
        ("SA", D(2013, 7, 6), False),  # Saturday after
        # AE: Fri-Sat until 31 Dec 2021, Sat-Sun from 1 Jan 2022.
        ("AE", D(2021, 12, 24), False),  # Friday before
        ("AE", D(2021, 12, 26), True),  # Sunday before
        ("AE", D(2022, 1, 7), True),  # Friday after
        ("AE", D(2022, 1, 9), False),  # Sunday after
        # AE and BH: Thu-Fri until 1 Sep 2006 (not modelled by holidays 0.109; our table).
        ("AE", D(2006, 8, 31), False),  # Thursday before
        ("AE", D(2006, 8, 26), True),  # Saturday before
        ("AE", D(2006, 9, 7), True),  # Thursday after
        ("AE", D(2006, 9, 2), False),  # Saturday after
        ("BH", D(2006, 8, 31), False),
        ("BH", D(2006, 9, 7), True),
        # DZ: Fri-Sat from 14 Aug 2009 (holidays switches on 1 Jan 2009; our table corrects it).
        ("DZ", D(2009, 1, 15), False),  # Thursday in January 2009
        ("DZ", D(2009, 1, 17), True),  # Saturday in January 2009
        ("DZ", D(2009, 8, 13), False),  # last Thu-Fri weekend
        ("DZ", D(2009, 8, 15), False),  # first Saturday off
        ("DZ", D(2009, 8, 20), True),  # first working Thursday
        # LY: Fri-Sat (holidays 0.109 says Sat-Sun).
        ("LY", D(2026, 1, 9), False),  # Friday
        ("LY", D(2026, 1, 11), True),  # Sunday
        # BN: Friday and Sunday, Saturday works.
        ("BN", D(2026, 1, 9), False),
        ("BN", D(2026, 1, 10), True),
        ("BN", D(2026, 1, 11), False),
        # IR: Friday only.
        ("IR", D(2026, 1, 8), True),
        ("IR", D(2026, 1, 9), False),
    ],
)
def test_date_effective_weekend(country, day, business):
    ok, skipped = is_business_day(day, country)
    assert ok is business
    if not business:
        assert skipped.kind == "weekend"
        assert skipped.reason == f"weekend ({day.strftime('%A')})"


# --------------------------------------------------------------------------- overrides, closures


def test_override_moves_an_estimated_eid():
    # MA 2026 per holidays: Eid al-Adha (estimated) Wed 27 + Thu 28 May; Fri 29 works (Sat-Sun).
    estimated = is_business_day(D(2026, 5, 27), "MA")[1]
    assert estimated.reason == "public holiday: Eid al-Adha (estimated)"
    moved = {D(2026, 5, 27): None, D(2026, 5, 29): "Eid al-Adha"}  # sighted a day later

    # Sun 17 May + 10 = Wed 27 May: estimated Eid -> Fri 29; after the move Wed 27 is a workday.
    before = compute_due(D(2026, 5, 17), 10, country="MA")
    after = compute_due(D(2026, 5, 17), 10, country="MA", overrides=moved)
    assert before.due_date == D(2026, 5, 29)
    assert after.due_date == D(2026, 5, 27)

    # Mon 18 May + 10 = Thu 28 May: estimated -> Fri 29; moved: Thu 28, Fri 29, Sat, Sun -> Mon 1
    before = compute_due(D(2026, 5, 18), 10, country="MA")
    after = compute_due(D(2026, 5, 18), 10, country="MA", overrides=moved)
    assert before.due_date == D(2026, 5, 29)
    assert after.due_date == D(2026, 6, 1)
    assert after.skipped[1] == SkippedDay(
        D(2026, 5, 29), "public holiday: Eid al-Adha", "holiday", "Eid al-Adha"
    )


def test_override_renames_a_holiday():
    ok, skipped = is_business_day(
        D(2026, 3, 20), "SA", overrides={D(2026, 3, 20): "Eid al-Fitr (confirmed)"}
    )
    assert not ok
    assert skipped.reason == "public holiday: Eid al-Fitr (confirmed)"


def test_removed_holiday_on_a_weekend_is_still_a_weekend():
    ok, skipped = is_business_day(D(2026, 3, 20), "SA", overrides={D(2026, 3, 20): None})
    assert not ok
    assert skipped.kind == "weekend"


def test_closures():
    # SA: Sun 3 May + 14 = Sun 17 May, a business day; closed that day -> Mon 18 May.
    assert compute_due(D(2026, 5, 3), 14, country="SA").due_date == D(2026, 5, 17)
    closed = compute_due(D(2026, 5, 3), 14, country="SA", closures=[D(2026, 5, 17)])
    assert closed.due_date == D(2026, 5, 18)
    assert closed.skipped == (SkippedDay(D(2026, 5, 17), "institution closure", "closure"),)
    assert "a day the institution is closed" in closed.explanation
    # Business: Mon 4, Tue 5, Wed 6 -> Wed 6; Tue 5 closed -> Thu 7.
    assert compute_due(D(2026, 5, 3), 3, country="SA", business=True).due_date == D(2026, 5, 6)
    closed = compute_due(D(2026, 5, 3), 3, country="SA", business=True, closures={D(2026, 5, 5)})
    assert closed.due_date == D(2026, 5, 7)
    assert "not counting 1 institution closure day" in closed.explanation
    # A closure on a weekend day is reported as the weekend, not counted twice.
    assert is_business_day(D(2026, 5, 8), "SA", closures=[D(2026, 5, 8)])[1].kind == "weekend"


# --------------------------------------------------------------------------- time zones


def test_due_at_is_end_of_day_in_riyadh_in_utc():
    result = compute_due(D(2026, 5, 1), 14, country="SA")
    assert result.tz == "Asia/Riyadh"
    assert result.due_at == datetime(2026, 5, 17, 20, 59, 59, 999999, tzinfo=UTC)
    assert result.due_at.utcoffset() == timedelta(0)


def test_due_at_with_half_hour_offset_and_explicit_tz():
    # Tehran is UTC+03:30 (no DST since 2022); Thu 15 Jan 2026 ends 20:29:59.999999Z.
    assert compute_due(D(2026, 1, 8), 7, country="IR").due_at == datetime(
        2026, 1, 15, 20, 29, 59, 999999, tzinfo=UTC
    )
    # A Saudi party living in London: Saudi calendar, London clock (GMT in January).
    result = compute_due(D(2026, 1, 4), 7, country="SA", tz="Europe/London")
    assert result.due_at == datetime(2026, 1, 11, 23, 59, 59, 999999, tzinfo=UTC)


def test_due_at_on_a_night_the_clocks_go_back_at_midnight():
    # Beirut leaves summer time (UTC+3) at 00:00 on Sun 25 Oct 2026 -> 23:00 (UTC+2), so Sat 24 Oct
    # lasts until 22:00Z; a naive 23:59:59.999999+03:00 would cut an hour off the day.
    # Saturday is a weekend day in LB, so take an Iranian party living in Beirut (Saturday works
    # in IR; no IR holiday on 24 Oct 2026).
    result = compute_due(D(2026, 10, 23), 1, country="IR", tz="Asia/Beirut")
    assert result.due_date == D(2026, 10, 24)
    assert result.due_at == datetime(2026, 10, 24, 21, 59, 59, 999999, tzinfo=UTC)


def test_default_timezone_and_country_name():
    assert default_timezone("sa") == "Asia/Riyadh"
    assert default_timezone("MA") == "Africa/Casablanca"
    assert default_timezone("BN") == "Asia/Brunei"
    assert default_timezone("XX") == "UTC"
    assert country_name("AE") == "United Arab Emirates"
    assert country_name("SA", "ar") == "المملكة العربية السعودية"
    assert country_name("XX") == "XX"


# --------------------------------------------------------------------------- storage


def test_as_dict_is_json_and_round_trips():
    result = compute_due(
        D(2026, 3, 6), 14, country="SA", closures=[D(2026, 3, 25)], trigger_label="service"
    )
    data = json.loads(json.dumps(result.as_dict()))
    assert data["due_date"] == "2026-03-26"
    assert data["due_at"] == "2026-03-26T20:59:59.999999+00:00"
    assert data["skipped"][0] == {
        "date": "2026-03-20",
        "reason": "public holiday: Eid al-Fitr Holiday",
        "kind": "holiday",
        "name": "Eid al-Fitr Holiday",
    }
    assert data["skipped"][-1]["kind"] == "closure"
    assert DueDate.from_dict(data) == result


# --------------------------------------------------------------------------- Hijri


def test_hijri_conversion():
    # Umm al-Qura per hijridate: 1 Ramadan 1447 = 18 Feb 2026; 1 Shawwal 1447 = 20 Mar 2026
    # (Eid al-Fitr); 10 Dhu al-Hijjah 1447 = 27 May 2026 (Eid al-Adha);
    # 1 Muharram 1447 = 26 Jun 2025.
    assert hijri_date(D(2026, 2, 18)) == (1447, 9, 1)
    assert hijri_date(D(2026, 3, 20)) == (1447, 10, 1)
    assert hijri_date(D(2026, 5, 27)) == (1447, 12, 10)
    assert hijri_iso(D(2025, 6, 26)) == "1447-01-01"
    with pytest.raises(OverflowError):
        hijri_date(D(1900, 1, 1))


def test_format_hijri():
    assert format_hijri(D(2026, 2, 18)) == "1 Ramadan 1447 AH"
    assert format_hijri(D(2026, 2, 18), "ar") == "1 رمضان 1447 هـ"
    assert format_hijri(D(2026, 2, 18), "ar_SA") == "1 رمضان 1447 هـ"
    assert format_hijri(D(2026, 2, 18), "fr") == "1 Ramadan 1447 H"
    assert format_hijri(D(2026, 3, 20), "fr-FR") == "1 Chawwal 1447 H"
    assert format_hijri(D(2026, 5, 27), "en") == "10 Dhu al-Hijjah 1447 AH"
    assert format_hijri(D(2026, 5, 27), "ar") == "10 ذو الحجة 1447 هـ"
    assert format_hijri(D(2026, 5, 27), "de") == "10 Dhu al-Hijjah 1447 AH"  # English fallback


# --------------------------------------------------------------------------- properties

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is an optional dev tool
    given = None

if given is not None:
    _countries = st.sampled_from(["SA", "AE", "EG", "MA", "PK", "IR", "MY", "TR", "JO", "BN", "XX",
                                  "QA", "KW", "ID"])
    _triggers = st.dates(min_value=D(2005, 1, 1), max_value=D(2035, 12, 31))

    @settings(max_examples=300, deadline=None, database=None)
    @given(_triggers, st.integers(0, 60), _countries, st.booleans())
    def test_due_date_is_a_business_day_of_the_addressee(trigger, days, country, business):
        result = compute_due(trigger, days, country=country, business=business)
        assert is_business_day(result.due_date, country)[0]
        assert result.due_date >= trigger + timedelta(days)

    @settings(max_examples=200, deadline=None, database=None)
    @given(_triggers, st.integers(0, 40), _countries, st.booleans())
    def test_due_date_is_monotonic_in_days(trigger, days, country, business):
        shorter = compute_due(trigger, days, country=country, business=business)
        longer = compute_due(trigger, days + 1, country=country, business=business)
        assert longer.due_date >= shorter.due_date
        if business and days:  # zero business days from a weekend rolls to the first one
            assert longer.due_date > shorter.due_date

    @settings(max_examples=150, deadline=None, database=None)
    @given(_triggers, st.integers(0, 40), st.sampled_from(["01", "02", "03", "11", "14"]),
           st.booleans())
    def test_state_calendars_keep_the_properties(trigger, days, subdiv, business):
        result = compute_due(trigger, days, country="MY", business=business, subdiv=subdiv)
        assert is_business_day(result.due_date, "MY", subdiv=subdiv)[0]
        assert result.due_date >= trigger + timedelta(days)
        longer = compute_due(trigger, days + 1, country="MY", business=business, subdiv=subdiv)
        assert longer.due_date >= result.due_date
