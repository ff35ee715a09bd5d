"""Which characters text input may carry.

Control characters (other than tab and line breaks), lone surrogates and the two
non-characters U+FFFE/U+FFFF are invisible on screen, illegal in XML — hence in every
XLSX/DOCX export — and a NUL is refused by PostgreSQL. Every door refuses them: the forms
(core.forms.StyledForm) and the JSON API (api.errors.StrictParser).
"""

from __future__ import annotations

import re

# C0 controls except \t \n \r, DEL and the C1 controls, surrogates, U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def find_control_character(text: str) -> str | None:
    """The first forbidden character in `text`, or None."""
    match = _FORBIDDEN.search(text)
    return match.group() if match else None


# Characters that act as line breaks in pasted text (Word's manual line break is \x0b).
_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_TABS = re.compile("\t")


def clean_text(text: str, *, multiline: bool) -> str:
    """Text as a form should keep it: line breaks (including the vertical tab and form
    feed that Word puts into pasted text) become "\\n" in multi-line text and a space in a
    single-line field, a tab stays only in multi-line text, and every other forbidden
    character is dropped."""
    text = _BREAKS.sub("\n", text) if multiline else _TABS.sub(" ", _BREAKS.sub(" ", text))
    return _FORBIDDEN.sub("", text)
