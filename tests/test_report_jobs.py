"""Report work as background jobs (issue 17): a report's PDF and a publication run beside the request that asked
for them, and anyone allowed may watch them step by step (service/jobs.py). The web processes of these tests run
no jobs (DM_RUN_JOBS=false); a test starts the runner itself, as `district-monitor jobs` would, so it decides
when a job may begin, and it holds the job at a known point by locking the table of findings, which only the
first step reads. Refused requests, a publication refused after it was queued, failing work and a runner that went away
or stopped are answered with a problem and lose nothing."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pypdf
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.jobs import JobContext, JobKind, JobResult, JobRunner, Step
from service.report_jobs import REPORT_JOBS
from tests.conftest import bearer, make_settings, private_engine, serving

PERIOD = "2020-12-31"
REPORT_STEPS = ["figures", "maps", "pages", "pdf"]


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_jobs") as engine:
        yield engine


@contextmanager
def web_process(engine: sa.Engine, role: str | None = None, name: str | None = None) -> Iterator[TestClient]:
    """A web process that queues jobs but runs none (DM_RUN_JOBS=false), as `role` or anonymous."""
    with TestClient(create_app(make_settings(run_jobs=False), engine=engine)) as client:
        if role:
            client.headers.update(bearer(engine, role, name))
        yield client


@pytest.fixture(scope="module")
def front(engine):
    with web_process(engine) as client:
        yield client


@contextmanager
def job_worker(engine: sa.Engine, kinds: dict | None = None) -> Iterator[JobRunner]:
    """`district-monitor jobs`: a runner beside the web processes, for as long as the block lasts."""
    runner = JobRunner(engine, make_settings(), kinds or REPORT_JOBS)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop(60)


@contextmanager
def findings_held(engine: sa.Engine) -> Iterator[sa.Connection]:
    """Hold the table of qualitative findings, which a report reads while it gathers its figures and which
    nothing else on the way reads (not the request that queues the job, not the page, not the progress): a
    report job that begins waits in its first step ("figures") until the block ends or the caller rolls back."""
    with engine.connect() as blocker:
        blocker.execute(sa.text("LOCK TABLE finding IN ACCESS EXCLUSIVE MODE"))
        try:
            yield blocker
        finally:
            blocker.rollback()


def wait_for(read: Callable[[], dict], condition: Callable[[dict], bool], what: str, timeout: float = 240) -> dict:
    """Read until `condition` holds (a bound, not a guess: a job that never gets there fails the test)."""
    deadline = time.monotonic() + timeout
    while True:
        current = read()
        if condition(current):
            return current
        assert time.monotonic() < deadline, f"never {what}: {current}"
        time.sleep(0.1)


def job_of(client: TestClient, url: str) -> Callable[[], dict]:
    def read() -> dict:
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return response.json()

    return read


def test_a_report_pdf_is_a_job_whose_steps_can_be_watched(engine, front):
    posted = front.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "lang": "de"})
    assert posted.status_code == 202, posted.text
    job = posted.json()
    url = job["links"]["self"]
    assert posted.headers["location"] == url
    assert job["state"] == "queued" and job["progress"] == 0 and job["step"] is None
    assert [s["code"] for s in job["steps"]] == REPORT_STEPS
    early = front.get(f"{url}/result")  # nobody runs jobs yet: it waits
    assert early.status_code == 409 and early.headers["content-type"] == "application/problem+json"
    assert early.json()["state"] == "queued"

    with findings_held(engine) as blocker, job_worker(engine):
        running = wait_for(job_of(front, url), lambda j: j["state"] == "running" and j["step"] is not None,
                           "began its first step")
        assert running["step"] == {"code": "figures", "number": 1, "label_de": "Zahlen zusammenstellen",
                                   "label_en": "Gathering the figures"}
        assert [s["state"] for s in running["steps"]] == ["running", "waiting", "waiting", "waiting"]
        assert running["progress"] == 0 and "result" not in running["links"]
        assert front.get(f"{url}/result").json()["state"] == "running"
        blocker.rollback()  # the figures may be gathered now
        seen = []
        done = wait_for(job_of(front, url), lambda j: seen.append(j["progress"]) or j["state"] in ("done", "failed"),
                        "finished")
    assert done["state"] == "done", done["error"]
    assert seen == sorted(seen) and done["progress"] == 1  # the bar never moves back
    assert [entry["step"] for entry in done["log"]] == REPORT_STEPS
    assert all(s["state"] == "done" for s in done["steps"])
    pdf = front.get(done["links"]["result"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="integrationsbericht_{PERIOD}.pdf"'
    assert len(pdf.content) == done["result"]["bytes"]
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) > 5 and "31.12.2020" in reader.pages[0].extract_text()

    again = front.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "lang": "de"}).json()
    assert again["id"] == job["id"] and again["state"] == "done"  # the same figures: the same PDF, at once
    with engine.begin() as conn:  # new data: a new PDF
        conn.execute(sa.text("UPDATE observation SET value = value + 1 WHERE indicator_code = 'S1'"))
    renewed = front.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "lang": "de"}).json()
    assert renewed["id"] != job["id"] and renewed["state"] == "queued"
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM job WHERE id = CAST(:id AS uuid)"), {"id": renewed["id"]})


def test_job_requests_are_checked_before_they_wait(engine, front):
    missing = front.post("/api/jobs", json={"kind": "report_pdf", "period": "1999-12-31"})
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    assert PERIOD in missing.json()["available"] and missing.json()["detail_de"]
    unknown = front.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "areas": ["99999999"]})
    assert unknown.status_code == 400 and unknown.json()["field"] == "areas"
    assert front.post("/api/jobs", json={"kind": "reindex", "period": PERIOD}).status_code == 400
    assert front.post("/api/jobs", content=b"{not json", headers={"content-type": "application/json"}
                      ).status_code == 400
    for path in ("/api/jobs/not-a-job", "/api/jobs/00000000-0000-4000-8000-000000000000",
                 "/api/jobs/00000000-0000-4000-8000-000000000000/result"):
        answer = front.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json", path
    with TestClient(create_app(make_settings(run_jobs=False, max_queued_jobs=1), engine=engine)) as small:
        first = small.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "areas": ["01100101"]})
        assert first.status_code == 202
        full = small.post("/api/jobs", json={"kind": "report_pdf", "period": PERIOD, "areas": ["01100102"]})
        assert full.status_code == 503 and full.headers["retry-after"] == "60" and full.json()["detail_de"]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM job WHERE state = 'queued'"))


def test_a_job_whose_runner_went_away_is_shown_as_interrupted(engine, front):
    request = {"kind": "report_pdf", "period": PERIOD, "lang": "en"}
    job = front.post("/api/jobs", json=request).json()
    with engine.begin() as conn:  # its runner was killed an hour ago: the row has not moved since
        conn.execute(sa.text("UPDATE job SET state = 'running', started_at = now() - interval '1 hour', "
                             "updated_at = now() - interval '1 hour' WHERE id = CAST(:id AS uuid)"), {"id": job["id"]})
    shown = front.get(job["links"]["self"]).json()
    assert shown["state"] == "failed" and shown["error"]["status"] == 503
    assert "interrupted" in shown["error"]["detail"] and "unterbrochen" in shown["error"]["detail_de"]
    assert front.get(f"{job['links']['self']}/result").status_code == 409
    fresh = front.post("/api/jobs", json=request).json()
    assert fresh["id"] != job["id"] and fresh["state"] == "queued"  # asked again: a new job, not the dead one
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM job WHERE id = CAST(:id AS uuid)"), {"id": fresh["id"]})
    def stored() -> dict:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT state, finished_at IS NOT NULL AS finished FROM job "
                                             "WHERE id = CAST(:id AS uuid)"), {"id": job["id"]}).mappings().one())

    with job_worker(engine):  # a runner tidies up when it first has nothing to do: the dead job ends as failed
        ended = wait_for(stored, lambda row: row["state"] == "failed", "ended by the runner's tidying")
    assert ended["finished"]


def test_a_publication_runs_as_a_job_and_is_refused_if_the_report_changed_meanwhile(engine):
    with web_process(engine, "data_steward", "integrationsbuero-j") as steward, \
            web_process(engine, "statistics_office", "statistikstelle-j") as statistics, \
            web_process(engine) as anonymous:
        report = steward.post("/api/reports", json={"title": "Bericht mit Auftrag", "period": PERIOD,
                                                    "sections": ["summary", "appendix"]}).json()
        transitions = f"/api/reports/{report['id']}/transitions"

        def approve() -> None:
            assert steward.post(transitions, json={"to": "review"}).status_code == 200
            assert statistics.post(transitions, json={"to": "approved"}).status_code == 200

        approve()
        queued = steward.post(transitions, json={"to": "published"}, headers={"Prefer": "respond-async"})
        assert queued.status_code == 202, queued.text
        assert queued.headers["preference-applied"] == "respond-async"
        url = queued.headers["location"]
        assert [s["code"] for s in queued.json()["steps"]] == [*REPORT_STEPS, "store"]
        assert anonymous.get(url).status_code == 404  # the job of a draft is the editors' business
        assert steward.post(transitions, json={"to": "draft"}).status_code == 200  # reopened while it waits
        with job_worker(engine):
            refused = wait_for(job_of(steward, url), lambda j: j["state"] in ("done", "failed"), "finished")
        assert refused["state"] == "failed" and refused["error"]["status"] == 409, refused
        assert refused["error"]["detail_de"]
        unchanged = steward.get(f"/api/reports/{report['id']}").json()
        assert unchanged["state"] == "draft" and unchanged["versions"] == []

        approve()
        url = steward.post(transitions, json={"to": "published"},
                           headers={"Prefer": "respond-async"}).headers["location"]
        with job_worker(engine):
            done = wait_for(job_of(steward, url), lambda j: j["state"] in ("done", "failed"), "finished")
        assert done["state"] == "done", done["error"]
        assert [entry["step"] for entry in done["log"]] == [*REPORT_STEPS, "store"]
        assert done["result"]["state"] == "published" and done["links"]["page"] == f"/reports/documents/{report['id']}"
        stored = anonymous.get(f"/reports/documents/{report['id']}/v1.pdf")
        assert stored.status_code == 200 and stored.content.startswith(b"%PDF")


def _wait_kind(started: threading.Event, release: threading.Event) -> JobKind:
    def run(context: JobContext) -> JobResult:
        context.step("one")
        started.set()
        release.wait(120)
        return JobResult(body={"finished": True})

    return JobKind("wait", lambda params: (Step("one", "eins", "one"),), run)


def _failing(context: JobContext) -> JobResult:
    context.step("one")
    raise RuntimeError("the work broke")


def test_a_failing_job_says_why_and_a_stopping_runner_marks_its_unfinished_job(engine):
    started, release = threading.Event(), threading.Event()
    kinds = {"wait": _wait_kind(started, release),
             "boom": JobKind("boom", lambda params: (Step("one", "eins", "one"),), _failing)}
    runner = JobRunner(engine, make_settings(), kinds)
    try:
        failing = runner.submit("boom", {}, "test")
        failed = wait_for(lambda: runner.get(failing["id"]), lambda j: j["state"] == "failed", "failed")
        assert failed["error"]["status"] == 500 and failing["id"] in failed["error"]["detail"]
        assert "the work broke" not in str(failed["error"])  # the cause goes to the log, not to the reader

        waiting = runner.submit("wait", {}, "test")  # the runner went on to the next job
        assert started.wait(120)
        runner.stop(0.1)  # the job does not finish within the grace
        stopped = runner.get(waiting["id"])
        assert stopped["state"] == "failed" and stopped["error"]["status"] == 503
    finally:
        release.set()
        runner.stop(60)
    assert runner.get(waiting["id"])["state"] == "failed"  # finishing late does not revive it


def test_a_person_sees_the_pdf_being_made_and_gets_it(engine, browser, artifacts):
    with serving(engine, run_jobs=False) as base:
        context = browser.new_context(locale="en-US", accept_downloads=True, viewport={"width": 390, "height": 844})
        try:
            page = context.new_page()
            page.goto(f"{base}/reports?lang=en")
            box = page.locator(f"#pdf-job-{PERIOD}")
            assert box.is_hidden()
            with findings_held(engine) as blocker:
                with page.expect_download(timeout=240_000) as download:
                    page.locator(f'a[data-report-pdf="{PERIOD}"]').click()
                    box.filter(has_text="waiting to start").wait_for(timeout=60_000)  # nobody runs jobs yet
                    with job_worker(engine):
                        box.filter(has_text="step 1 of 4: Gathering the figures").wait_for(timeout=60_000)
                        page.screenshot(path=str(artifacts / "report_job_progress_phone.png"))
                        blocker.rollback()
                        box.locator("a.job-result").wait_for(timeout=240_000)
            saved = download.value
            assert saved.suggested_filename == f"integrationsbericht_{PERIOD}.pdf"
            with open(saved.path(), "rb") as handle:
                assert handle.read(5) == b"%PDF-"
            assert "download the PDF" in box.inner_text() and box.get_attribute("data-state") == "done"
            page.reload()  # a second visit starts clean
            assert page.locator(f"#pdf-job-{PERIOD}").is_hidden()
        finally:
            context.close()


def test_a_steward_publishes_from_the_page_and_sees_the_steps(engine, browser, artifacts):
    with web_process(engine, "data_steward", "integrationsbuero-s") as steward, \
            web_process(engine, "statistics_office", "statistikstelle-s") as statistics:
        report = steward.post("/api/reports", json={"title": "Im Browser veröffentlicht", "period": PERIOD,
                                                    "sections": ["summary", "appendix"]}).json()
        transitions = f"/api/reports/{report['id']}/transitions"
        assert steward.post(transitions, json={"to": "review"}).status_code == 200
        assert statistics.post(transitions, json={"to": "approved"}).status_code == 200
    with serving(engine, run_jobs=False) as base:
        context = browser.new_context(extra_http_headers=bearer(engine, "data_steward", "integrationsbuero-s"))
        try:
            page = context.new_page()
            page.goto(f"{base}/reports/documents/{report['id']}")
            page.locator('button.transition[data-to="published"]').click()
            box = page.locator("#publish-job")
            box.filter(has_text="wartet auf den Beginn").wait_for(timeout=60_000)  # nobody runs jobs yet
            assert page.locator('button.transition[data-to="published"]').is_disabled()  # not twice
            with job_worker(engine):
                # done: the page reloads itself and shows the published state
                page.locator("#report-editor").filter(has_text="veröffentlicht").wait_for(timeout=240_000)
            assert page.locator("#publish-job").is_hidden()
            assert steward_view(engine, report["id"]) == ("published", 1)
        finally:
            context.close()


def steward_view(engine: sa.Engine, report_id: int) -> tuple[str, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(
            "SELECT r.state, (SELECT count(*) FROM report_version v WHERE v.report_id = r.id) FROM report r "
            "WHERE r.id = :id"), {"id": report_id}).one())


def test_the_command_line_writes_the_report_with_its_steps(pg_server, demo_template, tmp_path):
    from tests.test_cli import assert_one_clear_line, run_cli

    url = pg_server.create("dm_test_report_cli", template=demo_template)
    try:
        written = run_cli("report", "2020", "--out", str(tmp_path / "bericht.html"), "--lang", "en",
                          env={"DATABASE_URL": url}, timeout=300)
        assert written.returncode == 0, written.stderr
        html = (tmp_path / "bericht.html").read_text()
        assert "31 Dec 2020" in html or "31/12/2020" in html or "2020-12-31" in html
        assert "report written" in written.stderr and "3/3" in written.stderr  # the bar, drawn once off a terminal
        assert_one_clear_line(run_cli("report", "1990", env={"DATABASE_URL": url}), "1990", PERIOD)
        assert_one_clear_line(run_cli("report", PERIOD, "--out", str(tmp_path / "bericht.docx"),
                                      env={"DATABASE_URL": url}), ".pdf or .html")
    finally:
        pg_server.drop("dm_test_report_cli")
