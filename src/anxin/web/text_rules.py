"""The control-character rules of text input (issue 12 item 9), shared by the request
types (anxin.web.input_guard) and the 422 they answer (anxin.web.problems)."""

from __future__ import annotations

import re

# C0 controls and DEL; the long form keeps tab, LF and CR (letters have lines).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LONG_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
LONG_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
CONTROL_MESSAGE = "must not contain control characters"


def is_control_pattern(pattern: object) -> bool:
    return pattern in (TEXT_PATTERN, LONG_TEXT_PATTERN)
