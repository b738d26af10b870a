"""Infrastructure every area uses (storage, PDF, mail, jobs, connections, paging, access, locking);
it imports no area package (tests/unit/test_layout.py)."""
