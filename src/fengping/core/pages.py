"""Rendering helpers shared by the apps' views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ActionError


def form_page(
    request: HttpRequest, form: Any, title: str, crumbs: list[Any], cancel_url: str, **extra: Any
) -> HttpResponse:
    """The generic form page (templates/core/form.html): title, breadcrumbs, the form,
    a cancel link; `extra` may add `intro` and `submit_label`."""
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "crumbs": crumbs, "cancel_url": cancel_url, **extra},
    )


Target = Any  # what django.shortcuts.redirect accepts: a URL, a URL name, a model
Then = Callable[[Any], Any] | Target
Message = str | Callable[[Any], str] | None


def _go(then: Then, result: Any) -> HttpResponse:
    target = then(result) if callable(then) else then
    if isinstance(target, HttpResponse):
        return target
    return redirect(target)


def _flash_success(request: HttpRequest, success: Message, result: Any) -> None:
    text = success(result) if callable(success) else success
    if text:
        messages.success(request, text)


def submit(
    request: HttpRequest,
    form: Any,
    act: Callable[[dict[str, Any]], Any],
    *,
    then: Then,
    success: Message = None,
) -> HttpResponse | None:
    """The POST → action → message → redirect step of a form page, written once.

    On a POST whose form is valid, `act(form.cleaned_data)` calls the one action. When
    the action refuses (`ActionError`, including a lost race), its message goes onto
    the form — on the field it names — and None is returned: the view renders the page
    again with everything the user typed. Otherwise `success` is flashed and the user
    is sent to `then` (a URL, a URL name, or a callable taking the action's result).

        if done := submit(request, form, lambda d: actions.do_x(request.user, obj, **d),
                          then=obj.get_absolute_url(), success=_("已保存")):
            return done
        return render(request, "app/x.html", {"form": form})
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = act(form.cleaned_data)
    except ActionError as exc:
        form.add_action_error(exc)
        return None
    _flash_success(request, success, result)
    return _go(then, result)


def _back(request: HttpRequest, then: Then) -> Target:
    if not callable(then):
        return then
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def run_action(
    request: HttpRequest,
    act: Callable[[], Any],
    *,
    then: Then,
    success: Message = None,
    back: Target | None = None,
    refused: Callable[[ActionError], HttpResponse] | None = None,
) -> HttpResponse:
    """A button's POST, written once: run the action; on success flash `success` and go
    to `then`; on refusal show the action's message — through `refused(exc)` when the
    page renders it itself, else flashed, going to `back` (default: `then` when it is
    not a callable, else the page of this site the request came from)."""
    try:
        result = act()
    except ActionError as exc:
        if refused is not None:
            return refused(exc)
        messages.error(request, exc.message)
        return redirect(back if back is not None else _back(request, then))
    _flash_success(request, success, result)
    return _go(then, result)
