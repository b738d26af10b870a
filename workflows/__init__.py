"""Procedures as data and the engine that applies them. Plain Python: no Flask, no app imports."""
