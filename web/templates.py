"""Jinja2 environment and page rendering; German labels first, English beside them."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from web.i18n import translator

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True)


def german_number(value: float | None, decimals: int = 1) -> str:
    """12345.678 -> '12.345,7' (German thousands dot and decimal comma)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


environment.filters["de"] = german_number
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
