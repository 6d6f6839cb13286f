"""API tokens and roles: anonymous < reader < editor < data_steward < statistics_office < admin.

Only the shielded statistics office ("Statistikstelle") and admins see values that statistical confidentiality
hides, import data and set confidentiality rules; editors and data stewards (integration office) see what the
public sees, plus unpublished definitions (docs/trust.md, roles).
A browser signs in once with its token (`/anmelden`) and then carries a session cookie instead (HttpOnly,
SameSite=Strict, only its SHA-256 stored in `web_session`); a write sent with that cookie must also carry the
session's CSRF token in `X-CSRF-Token` (pages put it in `<meta name="csrf-token">`). Tokens are created by the
CLI, shown once, stored only as SHA-256 hashes (they are 256-bit random
strings, so a slow password hash would add nothing), expire and can be revoked. Routes declare the
role they need with `Depends(require_role("data_steward"))`; writes are audited through `service.audit`.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.requests import Request  # what fastapi.Request is; fastapi itself takes 0.3 s to import

from service.errors import ProblemError

ROLES = ("anonymous", "reader", "editor", "data_steward", "statistics_office", "admin")
ROLE_LABELS_DE = {"reader": "Lesezugang", "editor": "Redaktion", "data_steward": "Datenpflege (Integrationsbüro)",
                  "statistics_office": "Statistikstelle", "admin": "Administration"}
TOKEN_PREFIX = "dm_"
SESSION_COOKIE = "dm_session"
SESSION_HOURS = 12
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    token_id: int | None = None

    def has(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def sees_unsuppressed(self) -> bool:
        """Only the statistics office (and admins) see values that statistical confidentiality hides."""
        return self.has("statistics_office")

    @property
    def sees_drafts(self) -> bool:
        """Editors and above see unpublished definitions (indicators, indices); their values stay as public."""
        return self.has("editor")


ANONYMOUS = Principal("anonymous", "anonymous")


def cli_principal() -> Principal:
    """Whoever runs `district-monitor` on the server: an admin, named by the operating-system user (audit log)."""
    return Principal(f"cli:{getpass.getuser()}", "admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, name: str, role: str, created_by: str, valid_days: int | None = 365) -> tuple[int, str]:
    """Create a token; returns (id, the token itself), which is never stored."""
    if role not in ROLES[1:]:
        raise ValueError(f"role must be one of {', '.join(ROLES[1:])}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(days=valid_days) if valid_days else None
    token_id = conn.execute(sa.text("""
        INSERT INTO api_token (name, role, token_hash, created_by, expires_at)
        VALUES (:name, :role, :hash, :by, :expires) RETURNING id"""),
        {"name": name, "role": role, "hash": hash_token(token), "by": created_by, "expires": expires}).scalar_one()
    return token_id, token


def revoke_token(conn: Connection, token_id: int) -> bool:
    return conn.execute(sa.text("UPDATE api_token SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
                        {"id": token_id}).rowcount == 1


def list_tokens(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT id, name, role, created_at, created_by, expires_at, revoked_at, last_used_at
        FROM api_token ORDER BY id"""))
    return [dict(r._mapping) for r in rows]


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The holder of a valid token, or None. Reads only, so it works on a read-only database too."""
    row = conn.execute(sa.text("""
        SELECT id, name, role FROM api_token
        WHERE token_hash = :hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"""),
        {"hash": hash_token(token)}).one_or_none()
    return None if row is None else Principal(row.name, row.role, row.id)


def note_token_use(engine, token_id: int) -> None:
    """Remember when a token was last used (at most once a minute); skipped when the database refuses writes."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("""
                UPDATE api_token SET last_used_at = now()
                WHERE id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"""),
                {"id": token_id})
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in ("25006", "53100"):
            raise


def carries_credentials(headers) -> bool:
    """Whether a request names a caller (a token header or a session cookie): such answers are private, never
    shared from the response cache, never read from a replica, and count against the caller's own budget."""
    return "authorization" in headers or f"{SESSION_COOKIE}=" in headers.get("cookie", "")


def csrf_token(session_id: str) -> str:
    """The CSRF token of a browser session: derived from the session id, which only that browser knows (the
    cookie is HttpOnly), so another site can neither read nor compute it."""
    return hashlib.sha256(f"csrf:{session_id}".encode()).hexdigest()


def start_session(conn: Connection, token: str) -> tuple[Principal, str] | None:
    """Sign a browser in with an API token: (principal, new session id), or None for an unknown token."""
    principal = principal_for_token(conn, token)
    if principal is None:
        return None
    session_id = secrets.token_urlsafe(32)
    conn.execute(sa.text("""
        INSERT INTO web_session (session_hash, token_id, expires_at)
        VALUES (:hash, :token, now() + make_interval(hours => :hours))"""),
        {"hash": hash_token(session_id), "token": principal.token_id, "hours": SESSION_HOURS})
    return principal, session_id


def end_session(conn: Connection, session_id: str) -> bool:
    return conn.execute(sa.text("UPDATE web_session SET ended_at = now() WHERE session_hash = :hash AND ended_at IS NULL"),
                        {"hash": hash_token(session_id)}).rowcount == 1


def principal_for_session(conn: Connection, session_id: str) -> Principal | None:
    """The holder of a live session whose token is still valid, or None (ended, expired, token revoked)."""
    row = conn.execute(sa.text("""
        SELECT t.id, t.name, t.role FROM web_session s JOIN api_token t ON t.id = s.token_id
        WHERE s.session_hash = :hash AND s.ended_at IS NULL AND s.expires_at > now()
          AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"""),
        {"hash": hash_token(session_id)}).one_or_none()
    return None if row is None else Principal(row.name, row.role, row.id)


def session_id_of(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if 20 <= len(value) <= 100 else None


def own_origin(request: Request) -> str:
    """scheme://host[:port] of this service as browsers see it (the public base URL, without its path)."""
    base = getattr(request.state, "public_base_url", None) or str(request.base_url)
    scheme, _, rest = base.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _session_principal(request: Request) -> Principal:
    """The caller of a request without Authorization header: the session cookie's holder, else anonymous. An
    unknown or ended session is anonymous (the page then offers to sign in again); a write with a session must
    carry the session's CSRF token and, if the browser names an origin, come from this service's origin."""
    session_id = session_id_of(request)
    if session_id is None:
        return ANONYMOUS
    with request.app.state.engine.connect() as conn:
        principal = principal_for_session(conn, session_id)
    if principal is None:
        return ANONYMOUS
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token(session_id)):
            raise ProblemError(403, "Forbidden", "a change sent with a browser session needs its CSRF token in the "
                               "header X-CSRF-Token (the page's <meta name='csrf-token'>); reload the page and try "
                               "again")
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") != own_origin(request):
            raise ProblemError(403, "Forbidden", f"a change with a browser session must come from this service's "
                               f"own pages, not from {origin!r}")
    request.state.session_csrf = csrf_token(session_id)
    return principal


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller, from `Authorization: Bearer <token>`, else from the browser session
    cookie; anonymous without either."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    if not header:
        principal = _session_principal(request)
        request.state.principal = principal
        return principal
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "Unauthorized", "use the header 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    engine = request.app.state.engine
    with engine.connect() as conn:
        principal = principal_for_token(conn, token.strip())
    if principal is None:
        raise ProblemError(401, "Unauthorized", "the token is unknown, expired or revoked; ask an admin for a new one",
                           headers={"WWW-Authenticate": "Bearer"})
    note_token_use(engine, principal.token_id)
    request.state.principal = principal
    return principal


def require_role(role: str):
    """Dependency factory: the caller must have at least `role`."""

    def check(request: Request) -> Principal:
        principal = current_principal(request)
        if principal.role == "anonymous":
            raise ProblemError(401, "Unauthorized", f"this needs a token with role {role!r} or higher (pages: sign "
                               "in at /anmelden)",
                               headers={"WWW-Authenticate": "Bearer"})
        if not principal.has(role):
            raise ProblemError(403, "Forbidden", f"role {principal.role!r} may not do this; it needs {role!r}")
        return principal

    return check
