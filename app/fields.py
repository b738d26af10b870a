"""Form fields that only accept what the database and the calendars can hold, so an absurd value
is an error next to the field (422) instead of an exception further down (500).

- dates: 1900–2100. Python takes 0001–9999, but a date that far out breaks the Hijri display
  (Umm al-Qura tables end in 2077) and the holiday calendars, and no dispute needs it;
- ids picked from a list: 1..2**31-1 (PostgreSQL `integer`), see `app.edge.parse_id`;
- amounts: finite decimals (`NaN`, `Infinity` parse as Decimal and then break comparisons).
"""

from __future__ import annotations

from datetime import date

import wtforms
from wtforms.validators import ValidationError

from app.edge import parse_id
from app.i18n import lazy_gettext as _l

FIRST_DATE = date(1900, 1, 1)
# WTForms' own message for an unparsable decimal, translated by WTForms' catalogs.
NOT_A_DECIMAL = "Not a valid decimal value."
LAST_DATE = date(2100, 12, 31)


class DateField(wtforms.DateField):
    """A date between FIRST_DATE and LAST_DATE; every form uses this one."""

    def pre_validate(self, form) -> None:
        if self.data is not None and not FIRST_DATE <= self.data <= LAST_DATE:
            raise ValidationError(_l("Enter a date between %(first)s and %(last)s.",
                                     first=FIRST_DATE.year, last=LAST_DATE.year))


class DecimalField(wtforms.DecimalField):
    """A finite decimal: `NaN` and `Infinity` are "not a valid decimal value"."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext(NOT_A_DECIMAL))


def coerce_id(value: object) -> int:
    """`coerce` for a select of rows: a value that cannot be an id fails like a non-number
    ("Invalid Choice: could not coerce"), before the choices or the database are consulted."""
    number = parse_id(value)
    if number is None:
        raise ValueError(f"not an id: {value!r}")
    return number
