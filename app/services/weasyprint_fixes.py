"""A fix to WeasyPrint 70 that halves the line-layout work of right-to-left text.

``weasyprint.layout.inline.get_next_linebox`` lays a line out, then asks where the line would
go now that its height is known (floats may push it) and lays it out again unless its position
is unchanged. For left-to-right lines it compares the positions; for right-to-left ones it
compares ``position_x + line.width`` with ``original_position_x + original_width`` — but a
right-to-left line box's position *is* the right-hand cursor (``avoid_collisions`` returns the
right bound whatever the width), and ``original_width`` is 0 (or a min-content width) while
``line.width`` is the laid-out width. The two never match, so every Arabic line was shaped,
broken and laid out twice: 22 % of the CPU of a 10-page Arabic award (1.27 s → 0.99 s), with
identical output (page images compared pixel for pixel).

The fix compares positions for both directions, as for left-to-right lines. It is applied by
rewriting that one comparison in the function's source and recompiling it in its module (the
only caller, ``iter_line_boxes``, is in the same module). If the source does not contain the
expected code (another WeasyPrint version), nothing is changed: rendering stays correct, only
slower — ``tests/test_pdf_render.py`` fails then, to make whoever upgrades look again (and
drop this file once upstream fixes it).
"""

from __future__ import annotations

import inspect
import logging
import re
import textwrap

log = logging.getLogger(__name__)

_BUGGY = re.compile(
    r"condition = \(position_x \+ line\.width, position_y\) == \(\s*"
    r"original_position_x \+ original_width, original_position_y\)")
_FIXED = "condition = (position_x, position_y) == (original_position_x, original_position_y)"

_applied: bool | None = None


def apply() -> bool:
    """Install the fix (once); True if WeasyPrint now has it."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    from weasyprint.layout import inline

    func = inline.get_next_linebox
    try:
        lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError):  # no source (zipped or frozen install)
        log.info("WeasyPrint RTL line fix not applied: no source for get_next_linebox")
        return False
    source = textwrap.dedent("".join(lines))
    fixed, count = _BUGGY.subn(_FIXED, source)
    if count != 1:
        log.info("WeasyPrint RTL line fix not applied: get_next_linebox has changed")
        return False
    # Keep the original line numbers in tracebacks.
    code = compile("\n" * (first_line - 1) + fixed, inline.__file__, "exec")
    namespace: dict = {}
    exec(code, inline.__dict__, namespace)  # noqa: S102 - WeasyPrint's own code, one line fixed
    patched = namespace["get_next_linebox"]
    patched.__doc__ = func.__doc__
    patched.sulh_fixed = True
    inline.get_next_linebox = patched
    return True
