"""Jinja2 environment and page rendering; German labels first, English beside them."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from indicators.notation import DASH, format_day, format_moment, number_or_dash
from web.i18n import translator

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True)


def _page_language(context) -> str:
    return context.get("lang", "de")


@pass_context
def number_filter(context, value: float | None, decimals: int = 1) -> str:
    """`{{ x|number(2) }}`: the number in the page's notation (12.345,67 / 12,345.67), "–" for none."""
    return number_or_dash(value, decimals, _page_language(context))


@pass_context
def day_filter(context, value: date | str | None) -> str:
    """`{{ d|day }}`: 31.12.2020 / 31 Dec 2020; an ISO text is read as a date; "–" for none."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return format_day(value, _page_language(context))


@pass_context
def moment_filter(context, value: datetime | None) -> str:
    """`{{ t|moment }}`: 31.12.2020 14:05 / 31 Dec 2020 14:05."""
    return DASH if value is None else format_moment(value, _page_language(context))


environment.filters.update(number=number_filter, day=day_filter, moment=moment_filter)
# pages rendered outside `render` (print frames, panels) still have `_` and a language: German
environment.globals.update(_=translator("de"), lang="de")


def page_context(request: Request | None, **context) -> dict:
    """What every page's frame shows besides its own content: the data's publishers in the footer
    (`request.app.state.site_attribution()`, set by the service from the loaded manifests), the signed-in person
    in the header (`request.state.principal`, resolved by the service before the page is built) and, for a
    browser session, the CSRF token its writes send (`request.state.session_csrf`); the page language
    (`request.state.lang`, settled by the service) with `_` for the fixed texts and a link to the other one."""
    state = request.state if request is not None else None
    provider = getattr(request.app.state, "site_attribution", None) if request is not None else None
    context.setdefault("attribution", provider() if provider is not None else "")
    viewer = getattr(state, "principal", None)
    context.setdefault("viewer", viewer if viewer is not None and viewer.role != "anonymous" else None)
    context.setdefault("csrf_token", getattr(state, "session_csrf", None))
    context.setdefault("request", request)
    lang = getattr(state, "lang", "de") if state is not None else "de"
    context.setdefault("lang", lang)
    context.setdefault("_", translator(lang))
    if request is not None:  # the same page in the other language (the choice is then remembered)
        other = "en" if lang == "de" else "de"
        context.setdefault("other_language", {"lang": other, "label": "English" if other == "en" else "Deutsch",
                                              "href": str(request.url.include_query_params(lang=other))
                                              .removeprefix(str(request.base_url).rstrip("/"))})
    return context


def render(template: str, request: Request | None, status: int = 200, **context) -> HTMLResponse:
    """A page of the site, in its frame (`page_context`)."""
    html = environment.get_template(template).render(**page_context(request, **context))
    return HTMLResponse(html, status_code=status)
