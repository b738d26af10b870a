"""The fragment cache is bounded by what it holds in bytes, not characters: an Arabic page
takes about twice its length in UTF-8."""

from __future__ import annotations

from app.services.fragments import FragmentCache


def test_the_size_is_counted_in_utf8_bytes():
    cache = FragmentCache(max_bytes=1000)
    cache.put("ar", "ملف القضية")  # 10 characters, 19 bytes
    cache.put("en", "case file")
    assert cache.size == 19 + 9
    cache.put("ar", "قضية")  # replacing an entry counts only the new one
    assert cache.size == 8 + 9


def test_the_oldest_entries_go_when_the_bytes_run_out():
    cache = FragmentCache(max_bytes=100)
    cache.put("first", "ب" * 30)  # 60 bytes
    cache.put("second", "x" * 30)
    assert cache.get("first") is not None  # used: now the most recent
    cache.put("third", "ت" * 20)  # 40 bytes: 130 in all, the least recently used goes
    assert cache.get("second") is None
    assert cache.get("first") is not None and cache.get("third") is not None
    assert cache.size == 100
