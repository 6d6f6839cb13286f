"""Signing in in the browser (issue 18): a token becomes an HttpOnly session cookie, pages know the person,
writes from pages need the session's CSRF token and the own origin, and signed-in pages are never shared."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from service.auth import SESSION_COOKIE, create_token, revoke_token
from tests.conftest import private_engine, serving


@pytest.fixture(scope="module")
def site(pg_server, demo_template):
    with private_engine(pg_server, demo_template, prefix="dm_test_signin") as engine:
        with serving(engine) as url:
            yield engine, url


def token_for(engine, role: str, name: str) -> tuple[int, str]:
    with engine.begin() as conn:
        return create_token(conn, name, role, created_by="test")


def some_area(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL "
                                    "ORDER BY key LIMIT 1")).scalar_one()


@contextmanager
def signed_in(url: str, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
        answer = client.post("/anmelden", data={"token": token, "next": "/konto"})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/konto"
        cookie = answer.headers["set-cookie"].lower()
        assert f"{SESSION_COOKIE}=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        yield client


def csrf_of(client: httpx.Client, path: str = "/konto") -> str:
    page = client.get(path).text
    marker = '<meta name="csrf-token" content="'
    assert marker in page
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_a_wrong_token_is_refused_with_a_german_message(site):
    _engine, url = site
    answer = httpx.post(f"{url}/anmelden", data={"token": "dm_nonsense", "next": "/konto"})
    assert answer.status_code == 401
    assert "unbekannt, abgelaufen oder widerrufen" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_writes_with_a_session_need_the_csrf_token_and_the_own_origin(site):
    engine, url = site
    _id, token = token_for(engine, "editor", "Erika Redaktion")
    key = some_area(engine)
    note = {"level": "plr", "area_key": key, "title": "Begehung", "body": "Spielplatz saniert"}
    with signed_in(url, token) as client:
        assert client.post("/api/notes", json=note).status_code == 403  # no CSRF token
        assert client.post("/api/notes", json=note, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
        csrf = csrf_of(client)
        foreign = client.post("/api/notes", json=note, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "evil.example" in foreign.json()["detail"]
        written = client.post("/api/notes", json=note, headers={"X-CSRF-Token": csrf, "Origin": url})
        assert written.status_code == 201, written.text
        assert written.json()["author"] == "Erika Redaktion"


def test_signed_in_pages_are_private_and_revalidate_per_session(site):
    engine, url = site
    _id, token = token_for(engine, "editor", "Paul Privat")
    anonymous = httpx.get(f"{url}/konto", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/anmelden")
    public = httpx.get(f"{url}/areas")
    assert "public" in public.headers["cache-control"] and "Anmelden" in public.text
    with signed_in(url, token) as client:
        page = client.get("/areas")
        assert "private" in page.headers["cache-control"]
        assert "Cookie" in page.headers["vary"]
        assert page.headers["etag"] != public.headers["etag"]
        assert "Paul Privat" in page.text and '<meta name="csrf-token"' in page.text
        # the anonymous page's ETag does not revalidate the signed-in page (and the other way round)
        assert client.get("/areas", headers={"If-None-Match": public.headers["etag"]}).status_code == 200
        with signed_in(url, token) as second:  # another session of the same person: its own CSRF token
            assert csrf_of(second) != csrf_of(client)


def test_a_revoked_token_ends_its_sessions_and_sign_out_ends_the_session(site):
    engine, url = site
    token_id, token = token_for(engine, "editor", "Rita Widerruf")
    with signed_in(url, token) as client:
        assert client.get("/konto").status_code == 200
        with engine.begin() as conn:
            revoke_token(conn, token_id)
        assert client.get("/konto").status_code == 303  # anonymous again: back to the sign-in page
    _id, token = token_for(engine, "editor", "Otto Abmelden")
    with signed_in(url, token) as client:
        csrf = csrf_of(client)
        out = client.post("/abmelden", data={"csrf": csrf})
        assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
        session = client.cookies.get(SESSION_COOKIE)
        assert session is None or session == ""
    with engine.connect() as conn:
        ended = conn.execute(sa.text("SELECT count(*) FROM web_session s JOIN api_token t ON t.id = s.token_id "
                                     "WHERE t.name = 'Otto Abmelden' AND s.ended_at IS NOT NULL")).scalar_one()
    assert ended == 1


def test_sign_in_goes_only_to_pages_of_this_site_and_only_from_its_own_pages(site):
    engine, url = site
    _id, token = token_for(engine, "reader", "Lea Lesen")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil.example"):
        answer = httpx.post(f"{url}/anmelden", data={"token": token, "next": target}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/konto", target
    foreign = httpx.post(f"{url}/anmelden", data={"token": token, "next": "/konto"},
                         headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403 and SESSION_COOKIE not in foreign.headers.get("set-cookie", "")


@pytest.mark.browser
def test_an_editor_signs_in_writes_a_note_on_a_profile_and_signs_out(site, browser, artifacts):
    """As a neighbourhood manager would: open the profile, sign in from there, come back to it, write a note,
    reload and go back (the note and the session stay), look at it on a phone, sign out."""
    engine, url = site
    _id, token = token_for(engine, "editor", "Nora Quartiersmanagement")
    key = some_area(engine)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{url}/areas/plr/{key}")
    page.get_by_role("link", name="Anmelden", exact=True).first.click()
    page.wait_for_selector("#signin-token")
    page.fill("#signin-token", token)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("form.note-form")
    assert page.url.endswith(f"/areas/plr/{key}")  # back where they started
    assert page.locator("header.site .signed a[href='/konto']").inner_text() == "Nora Quartiersmanagement"
    page.fill("#note-title", "Neuer Nachbarschaftstreff")
    page.fill("#note-body", "Eröffnung im Frühjahr; <b>kein HTML</b>")
    page.get_by_role("button", name="Notiz speichern").click()
    page.wait_for_selector("article.note-card h3:text('Neuer Nachbarschaftstreff')")
    assert "<b>kein HTML</b>" in page.locator("article.note-card .body").first.inner_text()  # shown as text
    page.reload()
    page.wait_for_selector("article.note-card h3:text('Neuer Nachbarschaftstreff')")
    page.goto(f"{url}/areas")
    page.go_back()
    page.wait_for_selector("form.note-form")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("form.note-form").scroll_into_view_if_needed()
    box = page.locator("#note-body").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # the form fits the phone
    page.screenshot(path=str(artifacts / "signin-note-phone.png"))
    page.goto(f"{url}/konto")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_selector("header.site .signed a:text('Anmelden')")
    page.goto(f"{url}/areas/plr/{key}")
    assert page.locator("form.note-form").count() == 0
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize(("width", "period"), [(1280, "2031-12-31"), (390, "2032-12-31")], ids=["desktop", "phone"])
def test_the_statistics_office_checks_a_file_in_the_browser_then_imports_it(site, browser, tmp_path, width, period):
    """The import page as the statistics office uses it, at desktop and phone width: a faulty file is checked and
    refused with a table that names row, column, value and fix, nothing written; the corrected file passes the dry
    run and is imported."""
    engine, url = site
    _id, token = token_for(engine, "statistics_office", "Sven Statistik")
    with engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL "
                                    "ORDER BY key LIMIT 3")).scalars().all()
    bad = tmp_path / "einwohner_fehler.csv"
    bad.write_text(f"PLR_ID;Einwohner\n{keys[0]};1200\n99999999;300\n{keys[2]};viele\n", encoding="utf-8")
    good = tmp_path / "einwohner.csv"
    good.write_text("PLR_ID;Einwohner\n" + "".join(f"{k};{1000 + i}\n" for i, k in enumerate(keys)), encoding="utf-8")

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM observation o JOIN area a ON a.id = o.area_id "
                                        "WHERE o.period = CAST(:period AS date) AND o.superseded_at IS NULL "
                                        "AND a.level_code = 'plr'"), {"period": period}).scalar_one()

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/daten/import")
    page.fill("#signin-token", token)  # the page sends the visitor to sign in first, and back afterwards
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#import-form")
    page.select_option("#import-kind", "observations")
    page.select_option("#import-level", "plr")
    page.fill("#obs-key", "PLR_ID")
    page.fill("#obs-period", period)
    page.fill("#obs-columns", "Einwohner=EW")
    page.get_by_text("Weitere Optionen").click()
    page.fill("#import-more", "separator=;\nallow_future_periods=true")
    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    page.wait_for_selector("#import-report:not([hidden]) table.problems tbody tr")
    assert "nichts wurde geschrieben" in page.locator("#import-report-title").inner_text()
    rows = page.locator("table.problems tbody tr").all_inner_texts()
    assert any("99999999" in row for row in rows) and any("viele" in row for row in rows), rows
    assert page.locator("#import-apply").is_disabled()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"
    assert count() == 0
    page.set_input_files("#import-file", str(good))
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    page.wait_for_selector("#import-report-title:text('Probelauf ohne Fehler')")
    assert count() == 0  # a dry run writes nothing
    page.get_by_role("button", name="Importieren").click()
    page.wait_for_selector("#import-report-title:text('Importiert')")
    assert count() == 3
    context.close()


@pytest.mark.browser
def test_the_integration_office_creates_a_report_draft_from_the_reports_page(site, browser):
    engine, url = site
    _id, token = token_for(engine, "data_steward", "Ines Integration")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/anmelden?next=/reports")
    page.fill("#signin-token", token)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#new-report-name")
    page.fill("#new-report-name", "Integrationsbericht Probe")
    page.get_by_role("button", name="Entwurf anlegen").click()
    # creating a draft computes its figures (seconds; more on a loaded machine, the first time in a process more
    # still): wait for the page to show the draft, and say what the form said if it does not
    link = page.get_by_role("link", name="Integrationsbericht Probe")
    try:
        link.wait_for(timeout=120_000)
    except Exception as exc:
        raise AssertionError(page.locator("form[data-api='/api/reports'] [data-status]").all_inner_texts()) from exc
    link.click()
    page.wait_for_selector("h1")
    assert "/reports/documents/" in page.url
    context.close()


@pytest.mark.browser
def test_the_admin_creates_a_token_in_the_browser_sees_it_once_and_revokes_it(site, browser, artifacts):
    """The admin's task: a new access for a colleague, shown once; it works at once; revoked, it stops at once.
    Another role does not get the page."""
    engine, url = site
    _id, admin = token_for(engine, "admin", "Administration")
    _id, editor = token_for(engine, "editor", "Redaktion")
    with signed_in(url, editor) as client:
        assert client.get("/konto/zugaenge").status_code == 403
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{url}/anmelden?next=/konto")
    page.fill("#signin-token", admin)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Zugänge verwalten").click()
    page.wait_for_selector("form.token-form")
    page.fill("#token-name", "Kollegin Statistik")
    page.select_option("#token-role", "statistics_office")
    page.fill("#token-days", "30")
    page.get_by_role("button", name="Zugang anlegen").click()
    page.wait_for_selector("#new-token:not(:empty)")
    new = page.locator("#new-token").inner_text().strip()
    assert new.startswith("dm_")
    page.screenshot(path=str(artifacts / "tokens_page.png"))
    works = httpx.get(f"{url}/api/admin/disclosure", headers={"Authorization": f"Bearer {new}"})
    assert works.status_code == 200  # a statistics office token, usable at once
    page.reload()  # the token is not shown again; the list shows the access and its expiry
    assert page.locator("#new-token").inner_text() == ""
    row = page.locator("table.tokens tr", has_text="Kollegin Statistik")
    assert "Statistikstelle" in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Sperren").click()
    page.wait_for_selector("table.tokens tr:has-text('Kollegin Statistik') :text('gesperrt am')")
    refused = httpx.get(f"{url}/api/admin/disclosure", headers={"Authorization": f"Bearer {new}"})
    assert refused.status_code == 401
    context.close()


@pytest.mark.browser
def test_a_write_button_is_enabled_only_by_the_script_that_sends_it(site, browser):
    """Clicked before its script is there, a write form would submit natively (its fields as a GET of the page)
    and create nothing, and a delete button would do nothing. So those buttons come disabled and the script
    enables them once its handlers exist: without scripts they stay disabled, with them they are enabled by the
    time the document is loaded (deferred scripts run before DOMContentLoaded)."""
    engine, url = site
    _id, admin = token_for(engine, "admin", "Administration")
    token_for(engine, "reader", "Zum Sperren")  # a row with a delete button
    for scripts in (False, True):
        context = browser.new_context(java_script_enabled=scripts)
        page = context.new_page()
        page.goto(f"{url}/anmelden?next=/konto/zugaenge")
        page.fill("#signin-token", admin)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_selector("form.token-form")
        page.wait_for_load_state("domcontentloaded")
        buttons = page.locator("form[data-api] button[type=submit], button[data-api-delete]")
        assert buttons.count() >= 2
        assert [buttons.nth(i).is_enabled() for i in range(buttons.count())] == [scripts] * buttons.count()
        context.close()


@pytest.mark.browser
def test_the_data_steward_adds_an_indicator_and_edits_its_definition_in_the_browser(site, browser):
    """The catalogue as the integration office keeps it: a new indicator through the form, then its definition
    corrected and withdrawn from the public on its own page; readers see exactly what was decided."""
    engine, url = site
    _id, steward = token_for(engine, "data_steward", "Integrationsbüro")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{url}/anmelden?next=/api/indicators?f=html")
    page.fill("#signin-token", steward)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("details.new-definition")
    page.locator("details.new-definition summary").click()
    page.fill("#new-code", "EINB_QUOTE")
    page.fill("#new-name_de", "Einbürgerungsquote")
    page.fill("#new-name_en", "Naturalisation rate")
    page.select_option("#new-kind", "rate")
    page.select_option("#new-direction", "higher_is_better")
    page.fill("#new-description_de", "Einbürgerungen je 100 Ausländerinnen und Ausländer mit 8 Jahren Aufenthalt")
    page.get_by_role("button", name="Indikator anlegen").click()
    page.wait_for_selector("article#EINB_QUOTE")  # the page reloads and shows it
    created = httpx.get(f"{url}/api/indicators/EINB_QUOTE?f=json").json()
    assert (created["kind"], created["direction"], created["published"]) == ("rate", "higher_is_better", True)
    page.goto(f"{url}/api/indicators/EINB_QUOTE?f=html")
    page.fill("#edit-name_de", "Einbürgerungsquote (Ausschöpfung)")
    page.fill("#edit-source", "")  # emptied: removed
    page.select_option("#edit-published", "false")
    page.get_by_role("button", name="Definition speichern").click()
    page.wait_for_selector("h3:has-text('Einbürgerungsquote (Ausschöpfung)')")
    assert "nicht veröffentlicht" in page.locator("article#EINB_QUOTE h3").inner_text()
    anonymous = httpx.get(f"{url}/api/indicators?f=json").json()
    assert "EINB_QUOTE" not in {i["code"] for i in anonymous["indicators"]}  # unpublished: readers do not see it
    assert httpx.get(f"{url}/api/indicators/EINB_QUOTE?f=json").status_code == 404
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.locator("#edit-name_de").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # the form fits a phone
    context.close()
