"""API tokens and roles: anonymous < reader < editor < data_steward < statistics_office < admin.

Only the shielded statistics office ("Statistikstelle") and admins see values that statistical confidentiality
hides, import data and set confidentiality rules; editors and data stewards (integration office) see what the
public sees, plus unpublished definitions (docs/trust.md, roles).
Tokens are created by the CLI, shown once, stored only as SHA-256 hashes (they are 256-bit random
strings, so a slow password hash would add nothing), expire and can be revoked. Routes declare the
role they need with `Depends(require_role("data_steward"))`; writes are audited through `service.audit`.
"""

from __future__ import annotations

import getpass
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.engine import Connection

from service.errors import ProblemError

ROLES = ("anonymous", "reader", "editor", "data_steward", "statistics_office", "admin")
ROLE_LABELS_DE = {"reader": "Lesezugang", "editor": "Redaktion", "data_steward": "Datenpflege (Integrationsbüro)",
                  "statistics_office": "Statistikstelle", "admin": "Administration"}
TOKEN_PREFIX = "dm_"


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


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller, from `Authorization: Bearer <token>`; anonymous without a header."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    if not header:
        request.state.principal = ANONYMOUS
        return ANONYMOUS
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
            raise ProblemError(401, "Unauthorized", f"this needs a token with role {role!r} or higher",
                               headers={"WWW-Authenticate": "Bearer"})
        if not principal.has(role):
            raise ProblemError(403, "Forbidden", f"role {principal.role!r} may not do this; it needs {role!r}")
        return principal

    return check
