"""Editors' notes: read by everyone, written by editors (audited), stored as plain text and shown escaped."""

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from tests.conftest import make_settings

SCRIPT = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


@pytest.fixture
def writable(fresh_engine):
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        yield client, fresh_engine


def token(engine, role):
    with engine.begin() as conn:
        return create_token(conn, f"test-{role}", role, created_by="test")[1]


def note_payload(**changes):
    return {"level": "plr", "area_key": "01100101", "title": "Quartiersmanagement eröffnet",
            "body": "Neues Büro in der Stülerstraße seit März.", "kind": "event", "period": "2020-12-31", **changes}


def test_an_editor_writes_changes_and_deletes_a_note_and_each_step_is_audited(writable):
    client, engine = writable
    auth = {"Authorization": f"Bearer {token(engine, 'editor')}"}
    created = client.post("/api/notes", json=note_payload(), headers=auth)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["author"] == "test-editor" and note["kind"] == "event"
    assert created.headers["location"].endswith(f"/api/notes/{note['id']}")
    changed = client.put(f"/api/notes/{note['id']}", json={"title": "QM-Büro eröffnet"}, headers=auth)
    assert changed.status_code == 200 and changed.json()["title"] == "QM-Büro eröffnet"
    assert changed.json()["body"] == note_payload()["body"]
    listed = client.get("/api/notes", params={"level": "plr", "area_key": "01100101"}).json()
    assert [n["id"] for n in listed["notes"]] == [note["id"]]
    assert client.delete(f"/api/notes/{note['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/notes/{note['id']}").status_code == 404
    assert client.get("/api/notes", params={"area_key": "01100101"}).json()["count"] == 0
    with engine.connect() as conn:
        actions = conn.execute(sa.text(
            "SELECT action, actor FROM audit_log WHERE target_type = 'note' AND target_id = :id ORDER BY id"),
            {"id": str(note["id"])}).all()
    assert [a.action for a in actions] == ["create", "update", "delete"]
    assert {a.actor for a in actions} == {"test-editor"}


def test_writing_needs_an_editor_token(writable):
    client, engine = writable
    assert client.post("/api/notes", json=note_payload()).status_code == 401
    reader = {"Authorization": f"Bearer {token(engine, 'reader')}"}
    assert client.post("/api/notes", json=note_payload(), headers=reader).status_code == 403
    assert client.get("/api/notes").json()["count"] == 0


@pytest.mark.parametrize("payload, status", [
    (note_payload(area_key="99999999"), 400),
    (note_payload(level="nope"), 400),
    (note_payload(kind="rumour"), 400),
    (note_payload(title=""), 400),
    ({"level": "plr"}, 400),
])
def test_bad_notes_are_refused_with_a_problem(writable, payload, status):
    client, engine = writable
    auth = {"Authorization": f"Bearer {token(engine, 'editor')}"}
    response = client.post("/api/notes", json=payload, headers=auth)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_or_absurd_note_ids_are_404_or_400_never_500(writable):
    client, engine = writable
    auth = {"Authorization": f"Bearer {token(engine, 'editor')}"}
    assert client.get("/api/notes/424242").status_code == 404
    assert client.put("/api/notes/424242", json={"title": "x"}, headers=auth).status_code == 404
    assert client.get("/api/notes/99999999999999999999999").status_code == 400
    assert client.delete("/api/notes/0", headers=auth).status_code == 400


def test_markup_in_a_note_is_stored_as_sent_and_shown_as_text_in_a_real_browser(writable, browser):
    client, engine = writable
    auth = {"Authorization": f"Bearer {token(engine, 'editor')}"}
    note = client.post("/api/notes", json=note_payload(title=SCRIPT, body=SCRIPT), headers=auth).json()
    assert client.get(f"/api/notes/{note['id']}").json()["body"] == SCRIPT
    html = client.get("/areas/plr/01100101").text
    assert "&lt;script&gt;" in html and "<script>window.__pwned" not in html
    page = browser.new_page()
    page.set_content(html, wait_until="load")
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator(".note-card .body").first.inner_text() == SCRIPT
    page.close()


def test_a_nul_byte_in_a_note_is_refused_before_the_database(writable):
    client, engine = writable
    auth = {"Authorization": f"Bearer {token(engine, 'editor')}"}
    assert client.post("/api/notes", json=note_payload(body="a\u0000b"), headers=auth).status_code == 400
    assert client.get("/api/notes", params={"area_key": "0\u0000"}).status_code == 400
