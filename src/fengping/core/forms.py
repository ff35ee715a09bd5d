from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
            _iso_dates(widget)
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def mark_required(self, *names: str) -> None:
        """Fields a rule requires though the form parses them as optional (the action
        refuses them empty with the rule's own words, e.g. the estimates a scheme
        requires of a risk factor): marked as required like the others."""
        for name in names:
            if name in self.fields:
                self.fields[name].rule_required = True  # type: ignore[attr-defined]
                self.fields[name].widget.attrs["aria-required"] = "true"

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self._errors:
            self._note_files()

    def _note_files(self) -> None:
        """A failed form comes back without the files that were chosen (no browser keeps
        them): each file field says so, naming the file, so nobody loses it unawares."""
        for name, field in self.fields.items():
            if not isinstance(field, forms.FileField):
                continue
            chosen = self.files.get(self.add_prefix(name)) if self.files else None
            if chosen is not None:
                field.choose_again = _(  # type: ignore[attr-defined]
                    "表单未保存，已选择的文件“%(f)s”没有上传，请重新选择该文件后再保存。"
                ) % {"f": getattr(chosen, "name", "")}

    def add_action_error(self, exc: Any) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)
        self._note_files()
        current = getattr(exc, "current", None)
        if current is not None and "version" in self.fields and self.is_bound:
            self._show_current(current)

    def _show_current(self, current: Any) -> None:
        """Lost the race (StaleVersion): keep the user's input, show under each field what
        is stored now, and take the current version, so submitting again is a deliberate
        overwrite of what they have now seen."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(current.version)
        self.data = data
        for name, field in self.fields.items():
            if name == "version" or not hasattr(current, name):
                continue
            stored = getattr(current, name)
            if hasattr(stored, "all") or isinstance(stored, list | dict):
                continue
            mine = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if stored != mine and stored not in (None, ""):
                note = _("他人保存的内容：%(v)s") % {"v": _display(field, stored)}
                # The bound field copied the help text when the form was cleaned.
                field.help_text = self[name].help_text = note


def _iso_dates(widget: forms.Widget) -> None:
    """A date input (``type="date"``) reads and shows ISO dates only: the locale's input
    format (``2026/12/02`` in Chinese) would show as an empty input, and the form would
    fail to save. Every date and date-time widget of every form gets the ISO format here,
    so no form has to remember it."""
    if isinstance(widget, forms.DateTimeInput):
        widget.format = "%Y-%m-%dT%H:%M"
        widget.input_type = "datetime-local"
        widget.attrs["type"] = "datetime-local"
    elif isinstance(widget, forms.DateInput):
        widget.format = "%Y-%m-%d"
        widget.input_type = "date"
        widget.attrs["type"] = "date"


def _display(field: forms.Field, value: Any) -> str:
    if hasattr(value, "pk"):
        return str(value)
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    return str(value)
