"""Tokens are hashed, expire and can be revoked; roles are ordered; only the statistics office (and admins) see
unsuppressed values."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from service.auth import Principal, create_token, current_principal, hash_token, require_role, revoke_token
from service.errors import install_error_handlers
from tests.conftest import make_settings


@pytest.fixture
def app_with_roles(fresh_engine):
    app = FastAPI()
    app.state.engine = fresh_engine
    app.state.settings = make_settings()
    install_error_handlers(app)

    @app.get("/whoami")
    def whoami(principal: Principal = Depends(current_principal)):
        return {"role": principal.role, "unsuppressed": principal.sees_unsuppressed}

    @app.post("/steward-only")
    def steward_only(principal: Principal = Depends(require_role("data_steward"))):
        return {"ok": principal.name}

    return TestClient(app)


def make_token(engine, role, **kwargs):
    with engine.begin() as conn:
        return create_token(conn, f"test-{role}", role, created_by="test", **kwargs)


def test_only_the_hash_of_a_token_is_stored(fresh_engine):
    _id, token = make_token(fresh_engine, "editor")
    with fresh_engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM api_token")).scalars().all()
    assert token not in stored and hash_token(token) in stored


def test_roles_are_ordered_and_checked(app_with_roles, fresh_engine):
    _id, editor = make_token(fresh_engine, "editor")
    _id, steward = make_token(fresh_engine, "data_steward")
    _id, office = make_token(fresh_engine, "statistics_office")
    assert app_with_roles.post("/steward-only").status_code == 401
    assert app_with_roles.post("/steward-only", headers={"Authorization": f"Bearer {editor}"}).status_code == 403
    assert app_with_roles.post("/steward-only", headers={"Authorization": f"Bearer {steward}"}).status_code == 200
    assert app_with_roles.post("/steward-only", headers={"Authorization": f"Bearer {office}"}).status_code == 200


@pytest.mark.parametrize("role, unsuppressed", [(None, False), ("reader", False), ("editor", False),
                                                 ("data_steward", False), ("statistics_office", True),
                                                 ("admin", True)])
def test_only_the_statistics_office_and_admins_see_unsuppressed_values(app_with_roles, fresh_engine, role,
                                                                        unsuppressed):
    headers = {"Authorization": f"Bearer {make_token(fresh_engine, role)[1]}"} if role else {}
    assert app_with_roles.get("/whoami", headers=headers).json() == {"role": role or "anonymous",
                                                                     "unsuppressed": unsuppressed}


def test_revoked_and_expired_tokens_are_refused(app_with_roles, fresh_engine):
    token_id, revoked = make_token(fresh_engine, "admin")
    with fresh_engine.begin() as conn:
        assert revoke_token(conn, token_id)
    expired_id, expired = make_token(fresh_engine, "admin")
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET expires_at = :t WHERE id = :id"),
                     {"t": datetime.now(timezone.utc) - timedelta(days=1), "id": expired_id})
    for token in (revoked, expired, "dm_made_up"):
        response = app_with_roles.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_tokens_made_and_revoked_on_the_command_line_are_audited(fresh_engine):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": fresh_engine.url.render_as_string(hide_password=False)}
    made = subprocess.run([sys.executable, "-m", "service", "tokens", "create", "--name", "qgis", "--role", "reader"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "Lesezugang" in made.stderr  # the role's German label
    token = made.stdout.strip().splitlines()[-1]
    with fresh_engine.connect() as conn:
        token_id = conn.execute(sa.text("SELECT id FROM api_token WHERE token_hash = :h"),
                                {"h": hash_token(token)}).scalar_one()
    revoked = subprocess.run([sys.executable, "-m", "service", "tokens", "revoke", str(token_id)],
                             capture_output=True, text=True, env=env, timeout=120)
    assert revoked.returncode == 0, revoked.stderr
    with fresh_engine.connect() as conn:
        entries = conn.execute(sa.text("""SELECT action, actor, role, before, after FROM audit_log
                                          WHERE target_type = 'api_token' AND target_id = :id ORDER BY id"""),
                               {"id": str(token_id)}).all()
    assert [e.action for e in entries] == ["create", "revoke"]
    assert all(e.actor.startswith("cli:") and e.role == "admin" for e in entries)
    assert entries[1].before["revoked_at"] is None and entries[1].after["revoked_at"] is not None
    assert token not in str(entries)
