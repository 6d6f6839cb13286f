"""Reports as documents with a life cycle: stored reports, their sections (Markdown narrative), states, the
history of transitions and the frozen versions. No HTTP and no rendering here: the web layer renders, this
module decides who may do what and keeps what was published unchanged.

States: draft -> review -> approved -> published (docs/reports.md has the table). The integration office
(role data_steward) writes and submits, the statistics office (statistics_office) checks the figures and
approves or returns, the integration office publishes an approved report. Publishing stores the figures, the
narrative, the rendered HTML and the PDF bytes as a version; a published version never changes. A new version
(published -> draft) starts from the published narrative and shows the data as they are then.

Concurrency: every section carries a revision; a save names the revision it started from, and a stale save is
refused with the current text (nothing is overwritten, nothing is lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

SECTION_KINDS = ("summary", "topics", "attention", "profiles", "measures", "appendix")
STATES = ("draft", "review", "approved", "published")
MAX_NARRATIVE = 50_000


@dataclass(frozen=True)
class Transition:
    action: str
    role: str  # the least role that may make it
    de: str
    en: str


# (from, to) -> the transition; anything else is refused. The roles are service.auth.ROLES (ordered).
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "review"): Transition("submit", "data_steward", "zur Prüfung vorlegen", "submit for review"),
    ("review", "approved"): Transition("approve", "statistics_office", "Zahlen prüfen und freigeben",
                                       "check the figures and approve"),
    ("review", "draft"): Transition("return", "statistics_office", "zur Überarbeitung zurückgeben",
                                    "return for revision"),
    ("approved", "draft"): Transition("reopen", "data_steward", "wieder öffnen (Freigabe entfällt)",
                                      "reopen (the approval lapses)"),
    ("approved", "published"): Transition("publish", "data_steward", "veröffentlichen (Zahlen werden eingefroren)",
                                          "publish (figures are frozen)"),
    ("published", "draft"): Transition("new_version", "data_steward", "neue Version beginnen",
                                       "start a new version"),
}
STATE_LABELS = {"draft": ("Entwurf", "draft"), "review": ("in Prüfung", "in review"),
                "approved": ("freigegeben", "approved"), "published": ("veröffentlicht", "published")}
SECTION_LABELS = {
    "summary": ("Zusammenfassung", "Summary"),
    "topics": ("Handlungsfelder", "Topics"),
    "attention": ("Gebiete mit besonderem Aufmerksamkeitsbedarf", "Areas requiring special attention"),
    "profiles": ("Gebietsprofile", "Area profiles"),
    "measures": ("Ziele und Maßnahmen", "Goals and measures"),
    "appendix": ("Anhang: Indikatoren und Quellen", "Appendix: indicators and sources"),
}


class Actor(Protocol):
    name: str
    role: str

    def has(self, role: str) -> bool: ...


class ReportError(Exception):
    """A refused request about a report: `status` (403, 404, 409, 422), messages in English and German, and
    extra members for the problem (e.g. the current text of a section after a stale save)."""

    def __init__(self, status: int, en: str, de: str, **extra: Any):
        super().__init__(en)
        self.status = status
        self.de = de
        self.extra = extra


REPORT_COLUMNS = ("id, title, period, level_code AS level, area_keys, sections, municipality, publisher, state, "
                  "version, revision, created_by, created_at, updated_at")


def create_report(conn: Connection, *, title: str, period: date, level: str, sections: list[str],
                  area_keys: list[str], municipality: str, publisher: str, author: str) -> dict:
    unknown = [s for s in sections if s not in SECTION_KINDS]
    if unknown or not sections or len(set(sections)) != len(sections):
        raise ReportError(422, f"sections must be distinct kinds out of {', '.join(SECTION_KINDS)}; got {sections}",
                          f"Abschnitte müssen verschiedene Arten aus {', '.join(SECTION_KINDS)} sein.",
                          field="sections")
    report_id = conn.execute(sa.text("""
        INSERT INTO report (title, period, level_code, area_keys, sections, municipality, publisher, created_by)
        VALUES (:title, :period, :level, :keys, :sections, :municipality, :publisher, :author) RETURNING id"""),
        {"title": title, "period": period, "level": level, "keys": area_keys, "sections": sections,
         "municipality": municipality, "publisher": publisher, "author": author}).scalar_one()
    for position, kind in enumerate(sections):
        conn.execute(sa.text("""INSERT INTO report_section (report_id, kind, position, updated_by)
                                VALUES (:id, :kind, :pos, :author)"""),
                     {"id": report_id, "kind": kind, "pos": position, "author": author})
    _log(conn, report_id, 1, None, "draft", author, "data_steward", "")
    return get_report(conn, report_id)


def _log(conn: Connection, report_id: int, version: int, before: str | None, after: str, actor: str, role: str,
         comment: str) -> None:
    conn.execute(sa.text("""
        INSERT INTO report_transition (report_id, version, from_state, to_state, actor, role, comment)
        VALUES (:id, :version, :before, :after, :actor, :role, :comment)"""),
        {"id": report_id, "version": version, "before": before, "after": after, "actor": actor, "role": role,
         "comment": comment})


def _row(conn: Connection, report_id: int, lock: bool = False) -> dict:
    row = conn.execute(sa.text(f"SELECT {REPORT_COLUMNS} FROM report WHERE id = :id" + (" FOR UPDATE" if lock else "")),
                       {"id": report_id}).mappings().one_or_none()
    if row is None:
        raise ReportError(404, f"there is no report {report_id}", f"Es gibt keinen Bericht {report_id}.")
    return dict(row)


def get_report(conn: Connection, report_id: int, *, sees_drafts: bool = True) -> dict:
    """The report with its sections (in template order), its history and its published versions (without
    their bytes). Callers who may not see drafts see only reports with a published version."""
    report = _row(conn, report_id)
    versions = [dict(r) for r in conn.execute(sa.text("""
        SELECT version, published_at, published_by, approved_by, length(pdf) AS pdf_bytes
        FROM report_version WHERE report_id = :id ORDER BY version"""), {"id": report_id}).mappings()]
    if not sees_drafts and not versions:
        raise ReportError(404, f"there is no report {report_id}", f"Es gibt keinen Bericht {report_id}.")
    report["sections"] = [dict(r) for r in conn.execute(sa.text("""
        SELECT kind, position, narrative, revision, updated_by, updated_at FROM report_section
        WHERE report_id = :id ORDER BY position"""), {"id": report_id}).mappings()]
    report["history"] = [dict(r) for r in conn.execute(sa.text("""
        SELECT version, from_state, to_state, actor, role, comment, at FROM report_transition
        WHERE report_id = :id ORDER BY id"""), {"id": report_id}).mappings()]
    report["versions"] = versions
    if not sees_drafts:  # the public sees the published narrative, not the working copy
        report["sections"] = [{**s, "narrative": ""} for s in report["sections"]]
        report["history"] = [h for h in report["history"] if h["to_state"] == "published"]
    return report


def list_reports(conn: Connection, *, sees_drafts: bool) -> list[dict]:
    rows = conn.execute(sa.text(f"""
        SELECT {REPORT_COLUMNS}, (SELECT max(version) FROM report_version v WHERE v.report_id = r.id) AS published
        FROM report r ORDER BY period DESC, id DESC""")).mappings()
    return [dict(r) for r in rows if sees_drafts or r["published"] is not None]


def save_section(conn: Connection, report_id: int, kind: str, narrative: str, revision: int, actor: Actor) -> dict:
    """Replace a section's narrative if the caller started from its current revision; else 409 with the current
    text. Only drafts change; a published report is changed by a new version."""
    report = _row(conn, report_id, lock=True)
    if report["state"] != "draft":
        raise _not_editable(report)
    current = conn.execute(sa.text("""
        SELECT kind, narrative, revision, updated_by, updated_at FROM report_section
        WHERE report_id = :id AND kind = :kind"""), {"id": report_id, "kind": kind}).mappings().one_or_none()
    if current is None:
        raise ReportError(404, f"report {report_id} has no section {kind!r}",
                          f"Bericht {report_id} hat keinen Abschnitt „{kind}“.", sections=report["sections"])
    if len(narrative) > MAX_NARRATIVE:
        raise ReportError(422, f"the narrative is longer than {MAX_NARRATIVE} characters",
                          f"Der Text ist länger als {MAX_NARRATIVE} Zeichen.", field="narrative")
    if current["revision"] != revision:
        raise ReportError(
            409, f"section {kind!r} was changed by {current['updated_by']} meanwhile (revision {current['revision']}, "
                 f"you started from {revision}); your text was not saved: merge it with the current text and save again",
            f"Der Abschnitt wurde inzwischen von {current['updated_by']} geändert (Stand {current['revision']}, Ihr "
            f"Stand {revision}). Ihr Text wurde nicht gespeichert: bitte mit dem aktuellen Text zusammenführen und "
            f"erneut speichern.", current={**dict(current), "updated_at": current["updated_at"].isoformat()})
    row = conn.execute(sa.text("""
        UPDATE report_section SET narrative = :text, revision = revision + 1, updated_by = :actor, updated_at = now()
        WHERE report_id = :id AND kind = :kind
        RETURNING kind, position, narrative, revision, updated_by, updated_at"""),
        {"text": narrative, "actor": actor.name, "id": report_id, "kind": kind}).mappings().one()
    conn.execute(sa.text("UPDATE report SET revision = revision + 1, updated_at = now() WHERE id = :id"),
                 {"id": report_id})
    return dict(row)


def _not_editable(report: dict) -> ReportError:
    state_de, state_en = STATE_LABELS[report["state"]]
    if report["state"] == "published":
        return ReportError(409, "the report is published and never changes; start a new version to change it",
                           "Der Bericht ist veröffentlicht und bleibt unverändert; für Änderungen eine neue Version "
                           "beginnen.", state=report["state"])
    return ReportError(409, f"the report is {state_en}; only a draft can be changed (return or reopen it first)",
                       f"Der Bericht ist {state_de}; nur ein Entwurf kann geändert werden (erst zurückgeben oder "
                       f"wieder öffnen).", state=report["state"])


def check_transition(report: dict, to: str, actor: Actor) -> Transition:
    """The transition from the report's state to `to`, if the actor may make it; else 403 or 409."""
    if to not in STATES:
        raise ReportError(422, f"unknown state {to!r}; states: {', '.join(STATES)}",
                          f"Unbekannter Zustand „{to}“.", field="to")
    transition = TRANSITIONS.get((report["state"], to))
    if transition is None:
        allowed = [t for (a, t) in TRANSITIONS if a == report["state"]]
        raise ReportError(409, f"a report in state {report['state']!r} cannot become {to!r}; possible: {allowed}",
                          f"Ein Bericht im Zustand „{STATE_LABELS[report['state']][0]}“ kann nicht "
                          f"„{STATE_LABELS[to][0]}“ werden.", state=report["state"], possible=allowed)
    if not actor.has(transition.role):
        raise ReportError(403, f"role {actor.role!r} may not {transition.en}; it needs {transition.role!r}",
                          f"Die Rolle „{actor.role}“ darf nicht {transition.de}; dazu braucht es "
                          f"„{transition.role}“.", needed=transition.role)
    return transition


def last_submitter(conn: Connection, report_id: int) -> str | None:
    return conn.execute(sa.text("""
        SELECT actor FROM report_transition WHERE report_id = :id AND to_state = 'review' ORDER BY id DESC LIMIT 1"""),
        {"id": report_id}).scalar_one_or_none()


@dataclass(frozen=True)
class Frozen:
    """What publication stores: the figures (the report's data as JSON), the rendered HTML and the PDF."""
    figures: Any
    html: str
    pdf: bytes


def transition(conn: Connection, report_id: int, to: str, actor: Actor, comment: str = "",
               expected_revision: int | None = None, frozen: Frozen | None = None) -> dict:
    """Move the report to `to` (locked, checked against the table); publishing needs `frozen` and stores it as the
    report's version. `expected_revision`: refused if the report changed since the caller read it."""
    report = _row(conn, report_id, lock=True)
    step = check_transition(report, to, actor)
    if expected_revision is not None and report["revision"] != expected_revision:
        raise ReportError(409, "the report changed meanwhile; reload it and try again",
                          "Der Bericht wurde inzwischen geändert; bitte neu laden und erneut versuchen.",
                          revision=report["revision"])
    if step.action == "approve" and last_submitter(conn, report_id) == actor.name:
        raise ReportError(403, "the figures are checked by someone else than who submitted the report (four eyes)",
                          "Die Zahlen prüft jemand anderes als die Person, die den Bericht vorgelegt hat "
                          "(Vier-Augen-Prinzip).")
    version = report["version"]
    if step.action == "publish":
        if frozen is None:
            raise ValueError("publishing needs the frozen figures, HTML and PDF")
        approver = conn.execute(sa.text("""
            SELECT actor FROM report_transition WHERE report_id = :id AND to_state = 'approved'
            ORDER BY id DESC LIMIT 1"""), {"id": report_id}).scalar_one_or_none()
        sections = [dict(r) for r in conn.execute(sa.text("""
            SELECT kind, position, narrative, revision FROM report_section WHERE report_id = :id ORDER BY position"""),
            {"id": report_id}).mappings()]
        conn.execute(sa.text("""
            INSERT INTO report_version (report_id, version, published_by, approved_by, figures, sections, html, pdf)
            VALUES (:id, :version, :by, :approver, CAST(:figures AS jsonb), CAST(:sections AS jsonb), :html, :pdf)"""),
            {"id": report_id, "version": version, "by": actor.name, "approver": approver,
             "figures": orjson.dumps(frozen.figures, option=orjson.OPT_NON_STR_KEYS).decode(),
             "sections": orjson.dumps(sections).decode(), "html": frozen.html, "pdf": frozen.pdf})
    if step.action == "new_version":
        version += 1
    conn.execute(sa.text("""
        UPDATE report SET state = :to, version = :version, revision = revision + 1, updated_at = now()
        WHERE id = :id"""), {"to": to, "version": version, "id": report_id})
    _log(conn, report_id, version, report["state"], to, actor.name, actor.role, comment)
    return get_report(conn, report_id)


def published_version(conn: Connection, report_id: int, version: int | None = None) -> dict:
    """A published version as stored (html, pdf, figures); the newest without `version`."""
    row = conn.execute(sa.text("""
        SELECT report_id, version, published_at, published_by, approved_by, figures, sections, html, pdf
        FROM report_version WHERE report_id = :id AND (CAST(:version AS integer) IS NULL OR version = :version)
        ORDER BY version DESC LIMIT 1"""), {"id": report_id, "version": version}).mappings().one_or_none()
    if row is None:
        raise ReportError(404, f"report {report_id} has no published version" + (f" {version}" if version else ""),
                          f"Bericht {report_id} hat keine veröffentlichte Version" + (f" {version}" if version else "")
                          + ".")
    return dict(row)
