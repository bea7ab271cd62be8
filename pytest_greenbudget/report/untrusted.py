"""Text from a report file or from GitHub's API, made safe to print to a CI log.

A GitHub Actions runner reads every line a step prints and obeys the ones that start (after
blanks) with ``::`` as workflow commands (``::add-mask::``, ``::error::``, ...), and looks for
the older ``##[`` form anywhere in a line. So a test id or a JSON key holding a newline and
``::error ...`` would be obeyed in the job that holds the write token. ``printable`` is the one
function every such text passes through before it reaches stdout or stderr: control
characters (CR, LF and the rest, which also drive terminals) become visible ``\\xNN`` escapes,
so the text stays on its own line, and a leading ``::`` and any ``##[`` are defused. ``%`` is
left alone here: a runner decodes ``%0A`` only inside a workflow command, and those are built
by ``github.actions.command``, which escapes ``%``, CR, LF (and ``:``/``,`` in properties) the
way GitHub's toolkit does, on top of this. Pure: no pytest.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (NEL among them) and the Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LEADING_COMMAND = re.compile(r"^(\s*):(?=:)")


def printable(text: object) -> str:
    """``text`` on one line, with nothing a runner or a terminal would act on."""
    shown = _CONTROL.sub(_escape, str(text))
    return _LEADING_COMMAND.sub(r"\1%3A", shown).replace("##[", "#%23[")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
