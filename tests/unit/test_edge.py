"""What the edge and the form fields accept, without a request: ids, JSON, dates."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import wtforms
from wtforms.fields.core import UnboundField

import app
from app import fields
from app.edge import MAX_ID, Refused, check_json, parse_id


@pytest.mark.parametrize("value, expected", [
    (1, 1), ("7", 7), (" 7 ", 7), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID),
    (0, None), (-1, None), ("-1", None), (MAX_ID + 1, None), ("9" * 30, None),
    ("9" * 5000, None), ("abc", None), ("", None), (None, None), (True, None), (1.0, None),
    ("٣", None), ("²", None), ("1_000", None), ("0x10", None), ("+5", None),
])
def test_an_id_is_a_whole_number_a_row_can_have(value, expected):
    assert parse_id(value) == expected


def test_json_within_the_limits_passes_and_beyond_them_is_refused():
    check_json({"a": [[[["fine\ttext\n"]]]], "b": 1, "c": None})
    nested: list = []
    for _ in range(40):
        nested = [nested]
    with pytest.raises(Refused) as refused:
        check_json(nested)
    assert refused.value.error == "json_too_deep"
    for bad in ({"k\x00": 1}, {"a": {"b": ["x\x07"]}}, {"a": "\ud800"}, ["\x85"]):
        with pytest.raises(Refused) as refused:
            check_json(bad)
        assert refused.value.error == "invalid_characters"


def _form_classes() -> list[type]:
    classes = []
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if module.name.endswith(".forms"):
            found = importlib.import_module(module.name)
            classes += [v for v in vars(found).values()
                        if isinstance(v, type) and issubclass(v, wtforms.Form)]
    return classes


def _unbound(form_class: type) -> list[tuple[str, UnboundField]]:
    return [(name, value) for klass in form_class.__mro__ for name, value in vars(klass).items()
            if isinstance(value, UnboundField)]


def test_every_date_field_of_every_form_is_range_checked():
    dates = [(form, name, field.field_class) for form in _form_classes()
             for name, field in _unbound(form)
             if issubclass(field.field_class, wtforms.DateField)]
    assert len(dates) >= 6
    for form, name, field_class in dates:
        assert issubclass(field_class, fields.DateField), (form.__name__, name)


def test_no_select_of_rows_coerces_with_a_bare_int():
    for form in _form_classes():
        for name, field in _unbound(form):
            assert field.kwargs.get("coerce") is not int, (form.__name__, name)
