from __future__ import annotations

from typing import Any

from django import forms


class StyledForm(forms.Form):
    """Adds Tabler/Bootstrap classes to every widget, so templates stay generic."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
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
