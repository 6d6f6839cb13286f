"""Background jobs: work that takes seconds (a report's PDF, the publication of a report) runs beside the request
that asked for it, and anyone may watch its progress step by step (issue 17, docs/reports.md).

The queue is the table `job` (migration 0024). `submit` writes a queued row; the runner thread of each worker
process takes the oldest queued row (`FOR UPDATE SKIP LOCKED`, so two workers never take the same one), runs
its kind's function, which names each step as it starts it (`JobContext.step`), and keeps the result bytes or
the problem in the row. Progress is read from the row, so every worker answers for every job.

A job whose runner went away (the process was killed) stops moving: a queued or running job whose row has not
changed for `job_stale_after_s` is answered as failed ("interrupted") and is not handed out again for the same
work. A runner that shuts down in order marks its own unfinished jobs the same way at once.

Why not a task library (Celery, RQ, arq): they need a broker (Redis, RabbitMQ) that a municipality would have
to run beside PostgreSQL; this queue is one table in the database the service has anyway, and the jobs are few
and seconds long.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.responses import Response

from service.errors import ProblemError, domain_errors, domain_problem, problem_body
from service.http import json_response

log = logging.getLogger("district_monitor.jobs")
IDLE_POLL_S = 2.0  # a runner with nothing to do looks again after this long (jobs queued by another worker)
RUNNER_THREAD = "jobs"  # the name of each runner's thread
SWEEP_EVERY_S = 3600.0  # finished jobs past their keeping time are deleted at most this often


@dataclass(frozen=True)
class Step:
    """One step of a kind of job: its code, its label in German and English, and its share of the work
    (measured: bench/bench_report.py), so the progress bar moves with the time rather than the count."""

    code: str
    de: str
    en: str
    weight: float = 1.0


@dataclass
class JobResult:
    """What a job leaves: bytes to download (`content`, `media_type`, `filename`) and/or a JSON `body`."""

    content: bytes | None = None
    media_type: str | None = None
    filename: str | None = None
    body: dict | None = None


@dataclass
class JobContext:
    """What a job's function gets: the engine, the service's settings, its parameters and who asked; `step(code)`
    says which step starts now."""

    engine: Engine
    settings: Any
    params: dict
    created_by: str
    step: Callable[[str], None]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: `steps(params)` lists its steps in order, `run(context)` does the work; `drafts`: only
    readers who see drafts may read its jobs."""

    name: str
    steps: Callable[[dict], tuple[Step, ...]]
    run: Callable[[JobContext], JobResult]
    drafts: bool = False


@dataclass
class JobRunner:
    """The runner thread of one worker process and the submission of jobs (service.app starts and stops it)."""

    engine: Engine
    settings: Any
    kinds: dict[str, JobKind]
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._swept_at = -SWEEP_EVERY_S

    # --- asking for work ---------------------------------------------------------------------------------------

    def submit(self, kind: str, params: dict, created_by: str, *, same_as: str | None = None,
               reuse_done: bool = True) -> dict:
        """Queue a job of `kind` and return its row. `same_as`: jobs with this value give the same result; a
        queued or running one (and with `reuse_done` a finished one) is returned instead of a new job."""
        definition = self.kinds[kind]
        stale = self.settings.job_stale_after_s
        with self.engine.begin() as conn:
            if same_as is not None:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('job:' || :key))"), {"key": same_as})
                states = ["queued", "running", "done"] if reuse_done else ["queued", "running"]
                existing = conn.execute(sa.text(f"""
                    SELECT {JOB_COLUMNS} FROM job WHERE same_as = :key AND state = ANY(:states)
                      AND (state = 'done' OR updated_at > now() - make_interval(secs => :stale))
                    ORDER BY created_at DESC LIMIT 1"""),
                    {"key": same_as, "states": states, "stale": stale}).mappings().first()
                if existing is not None:
                    return dict(existing)
            waiting = conn.execute(sa.text("""SELECT count(*) FROM job WHERE state = 'queued'
                                              AND updated_at > now() - make_interval(secs => :stale)"""),
                                   {"stale": stale}).scalar_one()
            if waiting >= self.settings.max_queued_jobs:
                raise ProblemError(503, "Service Unavailable", f"{waiting} jobs are waiting; try again in a minute",
                                   headers={"Retry-After": "60"}, detail_de=f"{waiting} Aufträge warten bereits; "
                                   "bitte in einer Minute noch einmal versuchen.")
            row = conn.execute(sa.text(f"""
                INSERT INTO job (kind, params, same_as, steps, drafts, created_by)
                VALUES (:kind, CAST(:params AS jsonb), :same_as, :steps, :drafts, :by) RETURNING {JOB_COLUMNS}"""),
                {"kind": kind, "params": orjson.dumps(params).decode(), "same_as": same_as,
                 "steps": [s.code for s in definition.steps(params)], "drafts": definition.drafts,
                 "by": created_by}).mappings().one()
        if self.settings.run_jobs:
            self.start()  # an app started without its lifespan (a test client) has no runner yet
        self._wake.set()
        return dict(row)

    def get(self, job_id: str) -> dict | None:
        """The job's row (without its result bytes), or None."""
        try:
            uuid.UUID(job_id)
        except ValueError:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(f"SELECT {JOB_COLUMNS}, {STALE_SQL} AS stale FROM job WHERE id = :id"),
                               {"id": job_id, "stale_s": self.settings.job_stale_after_s}).mappings().first()
        return dict(row) if row is not None else None

    def result(self, job_id: str) -> tuple[bytes, str, str]:
        """The result bytes, media type and file name of a finished job."""
        with self.engine.connect() as conn:
            content, media_type, filename = conn.execute(sa.text(
                "SELECT result, result_type, result_name FROM job WHERE id = :id"), {"id": job_id}).one()
        return bytes(content), media_type, filename

    def steps_of(self, job: dict) -> tuple[Step, ...]:
        return self.kinds[job["kind"]].steps(job["params"])

    # --- the runner thread ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the runner thread (once; also on the first submission of an app started without its lifespan)."""
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._loop, name=RUNNER_THREAD, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; wait up to `timeout` for the running one, then mark what this runner did not finish
        as interrupted (a job that still finishes later stays so). Calling it again waits again."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.text("""
                        UPDATE job SET state = 'failed', finished_at = now(), updated_at = now(),
                               error = CAST(:error AS jsonb)
                        WHERE runner = :me AND state = 'running'"""),
                                 {"me": self.name, "error": orjson.dumps(INTERRUPTED).decode()})
            except sa.exc.SQLAlchemyError as exc:  # the database went first: readers will see the job go stale
                log.warning("could not mark the unfinished jobs of %s: %s", self.name, exc)

    def _loop(self) -> None:
        unreadable = False
        while not self._stopping.is_set():
            try:
                job = self._claim()
                unreadable = False
            except sa.exc.SQLAlchemyError as exc:  # said once per outage, not every two seconds
                if not unreadable:
                    log.warning("the job queue cannot be read (trying again every %s s): %s", IDLE_POLL_S, exc)
                unreadable = True
                job = None
            if job is None:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()
                continue
            self._run(job)

    def _claim(self) -> dict | None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.text(f"""
                UPDATE job SET state = 'running', runner = :me, started_at = now(), updated_at = now()
                WHERE id = (SELECT id FROM job WHERE state = 'queued' AND kind = ANY(:kinds)
                              AND updated_at > now() - make_interval(secs => :stale)
                            ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING {JOB_COLUMNS}"""),
                {"me": self.name, "kinds": list(self.kinds), "stale": self.settings.job_stale_after_s}
            ).mappings().first()
            if row is None and time.monotonic() - self._swept_at > SWEEP_EVERY_S:  # idle: tidy up
                self._swept_at = time.monotonic()
                # jobs whose worker went away end as interrupted (readers were told so already), then finished
                # jobs past their keeping time are forgotten
                conn.execute(sa.text(f"""
                    UPDATE job SET state = 'failed', finished_at = now(), error = CAST(:error AS jsonb)
                    WHERE {STALE_SQL}"""), {"stale_s": self.settings.job_stale_after_s,
                                            "error": orjson.dumps(INTERRUPTED).decode()})
                conn.execute(sa.text("DELETE FROM job WHERE finished_at < now() - make_interval(hours => :hours)"),
                             {"hours": self.settings.job_keep_hours})
        return dict(row) if row is not None else None

    def _step(self, job_id: str, code: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("""
                UPDATE job SET step = :code, updated_at = now(),
                       log = log || jsonb_build_array(jsonb_build_object('step', CAST(:code AS text), 'at', now()))
                WHERE id = :id AND state = 'running'"""), {"id": job_id, "code": code})

    def _run(self, job: dict) -> None:
        job_id = str(job["id"])
        context = JobContext(self.engine, self.settings, job["params"], job["created_by"],
                             lambda code: self._step(job_id, code))
        try:
            result = self.kinds[job["kind"]].run(context)
        except Exception as exc:  # noqa: BLE001 - whatever fails, the job says so and the runner goes on
            self._fail(job_id, exc)
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text("""
                UPDATE job SET state = 'done', finished_at = now(), updated_at = now(), step = NULL,
                       result = :content, result_type = :media_type, result_name = :filename,
                       result_json = CAST(:body AS jsonb)
                WHERE id = :id AND state = 'running'"""),
                {"id": job_id, "content": result.content, "media_type": result.media_type, "filename": result.filename,
                 "body": None if result.body is None else orjson.dumps(result.body).decode()})

    def _fail(self, job_id: str, exc: Exception) -> None:
        if isinstance(exc, ProblemError):
            error = problem_body(exc.status, exc.title, exc.detail, **exc.extra)
        elif any(cls in domain_errors() for cls in type(exc).__mro__):
            problem = domain_problem(exc)
            error = problem_body(problem.status, problem.title, problem.detail, **problem.extra)
        else:
            log.exception("job %s failed", job_id)
            error = problem_body(500, "Internal Server Error", f"the job failed unexpectedly; the service's log has "
                                 f"the cause (job {job_id})", detail_de="Der Auftrag ist unerwartet gescheitert; "
                                 f"die Ursache steht im Protokoll des Dienstes (Auftrag {job_id}).")
        with self.engine.begin() as conn:
            conn.execute(sa.text("""UPDATE job SET state = 'failed', finished_at = now(), updated_at = now(),
                                    error = CAST(:error AS jsonb) WHERE id = :id AND state = 'running'"""),
                         {"id": job_id, "error": orjson.dumps(error, default=str).decode()})


JOB_COLUMNS = ("id::text AS id, kind, params, state, steps, step, log, result_type, result_name, result_json, error, "
               "drafts, created_by, created_at, started_at, finished_at, updated_at, octet_length(result) AS size")
STALE_SQL = "(state IN ('queued', 'running') AND updated_at < now() - make_interval(secs => :stale_s))"
INTERRUPTED = problem_body(503, "Service Unavailable", "the job was interrupted (the service stopped); ask again",
                           detail_de="Der Auftrag wurde unterbrochen (der Dienst wurde beendet); bitte erneut "
                           "anstoßen.")


def job_view(runner: JobRunner, job: dict) -> dict:
    """The job as the API shows it: state, the steps with their labels and states, progress from 0 to 1 by the
    steps' weights, links; a job that stopped moving is shown as interrupted."""
    steps = runner.steps_of(job)
    state, error = job["state"], job["error"]
    if job.get("stale"):
        state, error = "failed", INTERRUPTED
    codes = [s.code for s in steps]
    current = codes.index(job["step"]) if state == "running" and job["step"] in codes else -1
    total = sum(s.weight for s in steps) or 1.0
    done_weight = total if state == "done" else sum(s.weight for s in steps[:max(current, 0)])
    links = {"self": f"/api/jobs/{job['id']}"}
    if state == "done" and job["result_type"]:
        links["result"] = f"/api/jobs/{job['id']}/result"
    if state == "done" and job["result_json"] and job["result_json"].get("links", {}).get("page"):
        links["page"] = job["result_json"]["links"]["page"]
    return {
        "id": job["id"], "kind": job["kind"], "state": state, "progress": round(done_weight / total, 3),
        "step": None if current < 0 else {"code": steps[current].code, "number": current + 1,
                                          "label_de": steps[current].de, "label_en": steps[current].en},
        "steps": [{"code": s.code, "label_de": s.de, "label_en": s.en,
                   "state": "done" if state == "done" or i < current else "running" if i == current else "waiting"}
                  for i, s in enumerate(steps)],
        "log": job["log"], "created_by": job["created_by"] if job["drafts"] else None,  # public jobs name nobody
        "created_at": job["created_at"],
        "started_at": job["started_at"], "finished_at": job["finished_at"],
        "result": None if state != "done" else {"media_type": job["result_type"], "filename": job["result_name"],
                                                "bytes": job["size"], **(job["result_json"] or {})},
        "error": error if state == "failed" else None, "links": links,
    }


def job_accepted(runner: JobRunner, job: dict) -> Response:
    """202 Accepted with the job and its address (Location), for a request whose work goes on in the background."""
    view = job_view(runner, job)
    return json_response(view, status=202, headers={"Location": view["links"]["self"], "Cache-Control": "no-store",
                                                    "Preference-Applied": "respond-async"})
