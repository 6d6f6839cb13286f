"""The report editor in Chromium: a section saved from the page, and a conflicting save answered with the
current text beside the writer's own (nothing lost)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, client_as, private_engine, serving


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_report_editor") as engine:
        yield engine


def test_a_writer_saves_a_section_and_sees_a_conflict_with_the_current_text(engine, browser):
    with client_as(engine, "data_steward", "kollegin") as colleague:
        report = colleague.post("/api/reports", json={"title": "Editor-Test", "period": "2020-12-31",
                                                      "sections": ["summary", "appendix"], "areas": ["01100101"]})
        assert report.status_code == 201, report.text
        report_id = report.json()["id"]
        with serving(engine) as base:
            context = browser.new_context(extra_http_headers=bearer(engine, "data_steward", "schreiber"))
            try:
                page = context.new_page()
                page.goto(f"{base}/reports/documents/{report_id}")
                form = page.locator('form.section-editor[data-kind="summary"]')
                form.locator("textarea[name=narrative]").fill("Erster Absatz aus dem Browser.")
                form.locator("button[type=submit]").click()
                status = form.locator(".status")
                status.filter(has_text="gespeichert").wait_for(timeout=15_000)
                # meanwhile the colleague saves the same section
                current = colleague.get(f"/api/reports/{report_id}").json()
                revision = next(s["revision"] for s in current["sections"] if s["kind"] == "summary")
                assert colleague.put(f"/api/reports/{report_id}/sections/summary",
                                     json={"narrative": "Text der Kollegin.", "revision": revision}).status_code == 200
                form.locator("textarea[name=narrative]").fill("Mein zweiter Stand.")
                form.locator("button[type=submit]").click()
                conflict = form.locator(".conflict")
                conflict.wait_for(state="visible", timeout=15_000)
                assert conflict.locator("textarea").input_value() == "Text der Kollegin."
                assert form.locator("textarea[name=narrative]").input_value() == "Mein zweiter Stand."  # kept
                assert "nicht gespeichert" in status.inner_text()
            finally:
                context.close()
