from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from .text import clean_text


def _cleaning(field: forms.CharField) -> Callable[[Any], Any]:
    to_python = field.to_python
    multiline = isinstance(field.widget, forms.Textarea)

    def clean_control_characters(value: Any) -> Any:
        value = to_python(value)
        if isinstance(value, str):
            value = clean_text(value, multiline=multiline)
            if field.strip:
                value = value.strip()
        return value

    return clean_control_characters


class StyledForm(forms.Form):
    """Adds Tabler/Bootstrap classes to every widget, so templates stay generic, and keeps
    control characters out of every text field (see core.text.clean_text): pasted text
    often carries them, and one stored \x0b used to break every XLSX export. Cleaned
    rather than refused, since the person pasting cannot see them. Passwords are left
    exactly as typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.PasswordInput
            ):
                # self.fields holds this form's own copies, so this patches no other form.
                field.to_python = _cleaning(field)  # type: ignore[method-assign]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def add_action_error(self, exc: Any) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)
