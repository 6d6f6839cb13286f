"""Signing in and out in the browser: the person pastes the API token an admin gave them once, the service
answers with a session cookie (HttpOnly, SameSite=Strict, Secure on HTTPS) and from then on every page knows
them; `/konto` shows who is signed in and what they may do. The session lives in `web_session`
(service/auth.py); writes from pages carry the session's CSRF token.

Sign-in and sign-out are plain HTML forms (they work without JavaScript). Sign-in accepts only posts from this
service's own pages (Origin), so another site cannot sign a visitor into someone else's account.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from service.audit import record
from service.auth import (
    ROLE_LABELS_DE,
    SESSION_COOKIE,
    SESSION_HOURS,
    Principal,
    own_origin,
    csrf_token,
    current_principal,
    end_session,
    list_tokens,
    principal_for_session,
    session_id_of,
    start_session,
)
from web.templates import render

router = APIRouter(tags=["pages"])
Caller = Annotated[Principal, Depends(current_principal)]

# What each role may do in the browser, shown on /konto (docs/web.md "Signing in").
ROLE_ABILITIES_DE = {
    "reader": ["alle veröffentlichten Seiten lesen"],
    "editor": ["Notizen zu Gebieten schreiben und löschen (im Quartiersprofil)", "qualitative Befunde erfassen"],
    "data_steward": ["Berichte anlegen, schreiben und zur Prüfung einreichen",
                     "Ziele und qualitative Befunde erfassen", "unveröffentlichte Indikatoren und Indizes sehen"],
    "statistics_office": ["Daten importieren (mit Probelauf)", "Zahlen prüfen und Berichte freigeben",
                          "geheim gehaltene Werte sehen"],
    "admin": ["alles, auch Zugänge (Tokens) verwalten"],
}


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never another host, never '//host'): where to go after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or target.startswith(("/anmelden", "/abmelden")):
        return "/konto"
    return target


def _from_own_page(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") == own_origin(request)


def _signin_page(request: Request, status: int, next_path: str, message: str | None = None) -> HTMLResponse:
    return render("signin.html", request, status=status, page_title="Anmelden", next_path=next_path, session_hours=SESSION_HOURS,
                  message=message)


@router.get("/anmelden", response_class=HTMLResponse, summary="Sign in with an API token (page)")
def signin_form(request: Request, caller: Caller, next: str | None = None):
    if caller.role != "anonymous":
        return RedirectResponse(_safe_next(next), status_code=303)
    return _signin_page(request, 200, _safe_next(next))


@router.post("/anmelden", response_class=HTMLResponse, summary="Sign in: exchange an API token for a session cookie")
def signin(request: Request, token: Annotated[str, Form(max_length=200)] = "",
           next: Annotated[str, Form(max_length=2000)] = "/konto"):
    target = _safe_next(next)
    if not _from_own_page(request):
        return _signin_page(request, 403, target, "Die Anmeldung muss von dieser Seite aus geschehen.")
    with request.app.state.engine.begin() as conn:
        started = start_session(conn, token.strip()) if token.strip() else None
        if started is None:
            return _signin_page(request, 401, target, "Dieses Token ist unbekannt, abgelaufen oder widerrufen. "
                                "Bitte bei der Administration ein neues anfordern.")
        principal, session_id = started
        record(conn, principal, "session.start", "web_session", None)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/abmelden", summary="Sign out: end the browser session")
def signout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    session_id = session_id_of(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    if session_id is None or not hmac.compare_digest(csrf, csrf_token(session_id)) or not _from_own_page(request):
        return response  # nothing to end (or not this browser's own form): the cookie is dropped all the same
    with request.app.state.engine.begin() as conn:
        principal = principal_for_session(conn, session_id)
        if end_session(conn, session_id) and principal is not None:
            record(conn, principal, "session.end", "web_session", None)
    return response


def page_refusal(request: Request, caller: Principal, role: str, message: str = "") -> Response | None:
    """The answer to a visitor of a page that needs `role`: the sign-in (coming back here afterwards) for someone
    not signed in, a 403 page saying who may for a role below it; None when the caller may see the page."""
    if caller.role == "anonymous":
        return RedirectResponse(f"/anmelden?next={quote(request.url.path)}", status_code=303)
    if not caller.has(role):
        return render("error.html", request, status=403, page_title="Keine Berechtigung",
                      heading="Keine Berechtigung", message=message, choices=[("Konto", "/konto")])
    return None


@router.get("/konto", response_class=HTMLResponse, summary="Who is signed in and what they may do (page)")
def account(request: Request, caller: Caller):
    if (refused := page_refusal(request, caller, "reader")) is not None:
        return refused
    abilities = [item for role, items in ROLE_ABILITIES_DE.items() if caller.has(role) for item in items]
    return render("account.html", request, page_title="Konto", role_label=ROLE_LABELS_DE.get(caller.role, caller.role),
                  abilities=abilities, can_import=caller.has("statistics_office"), is_admin=caller.has("admin"))


@router.get("/konto/zugaenge", response_class=HTMLResponse, summary="Access tokens: list, create, revoke (admin page)")
def token_page(request: Request, caller: Caller):
    """The admin's page for the tokens (the JSON API is /api/admin/tokens; the form writes through it): who has
    which role until when, when each was last used; a new token is shown once, right after it is made."""
    refused = page_refusal(request, caller, "admin", "Zugänge verwalten kann nur die Administration.")
    if refused is not None:
        return refused
    with request.app.state.engine.connect() as conn:
        tokens = list_tokens(conn)
    return render("tokens.html", request, page_title="Zugänge", tokens=tokens, roles=ROLE_LABELS_DE)
