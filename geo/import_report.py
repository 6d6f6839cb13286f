"""What every import returns: the problems found (with file, row, column, value and the fix) and the counts;
and the limits every import is held to.

Shared by boundary and observation imports so that the CLI and the HTTP API report problems the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MAX_PROBLEMS_LISTED = 1000
# An absolute path (optionally behind a GDAL /vsi.../ prefix); the last part is kept.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:/vsi[a-z0-9]+/)?(?:/[^\s'\"/]+)+/([^\s'\"/]+)")
# GDAL's advice to programmers, appended to "not recognized as being in a supported file format"
_GDAL_DRIVER_HINT = re.compile(r";?\s*It might help to specify the correct driver explicitly.*$")

GERMANY_EXTENT = (5.3, 46.8, 15.6, 55.6)  # Germany's bounding box (5.87-15.04 E, 47.27-55.06 N) and about 40 km


@dataclass(frozen=True)
class ImportLimits:
    """What a delivery may be: the region a first import's geometries must lie in (longitude/latitude), the
    size of a file and of a workbook. The service takes them from its settings (DM_IMPORT_EXTENT,
    DM_MAX_UPLOAD_BYTES, DM_MAX_XLSX_BYTES, DM_MAX_XLSX_ROWS); these defaults serve library callers (demo,
    benchmarks), whose files are not bounded in size."""

    extent: tuple[float, float, float, float] = GERMANY_EXTENT  # min lon, min lat, max lon, max lat
    max_xlsx_bytes: int = 100 << 20  # the workbook unpacked, read from its ZIP directory before parsing
    max_xlsx_rows: int = 100_000
    max_file_bytes: int | None = None  # the file as delivered (the service: its one upload limit)


def de_number(value: float, spec: str = ",") -> str:
    """A number as German texts write it, formatted by `spec` as in the English text and the marks exchanged:
    1.234.567 and 12,5 % where English has 1,234,567 and 12.5%."""
    text = f"{value:{spec}}".translate(_DE_DIGIT_MARKS)
    return text[:-1] + " %" if spec.endswith("%") else text


_DE_DIGIT_MARKS = str.maketrans(",.", ".,")


def refuse_oversized(size: int, limits: ImportLimits, report: ImportReport, fix: str, fix_de: str) -> bool:
    """Report a delivered file larger than the limits allow (True: refused), before anything reads it.
    `fix`/`fix_de`: what the user can do, in English and German."""
    if limits.max_file_bytes is None or size <= limits.max_file_bytes:
        return False
    report.error(f"the file has {size:,} bytes, more than the {limits.max_file_bytes:,} accepted", fix,
                 message_de=f"die Datei hat {de_number(size)} Bytes, mehr als die zulässigen "
                            f"{de_number(limits.max_file_bytes)}", fix_de=fix_de)
    return True


@dataclass(frozen=True)
class Problem:
    """One finding. `row` is the 1-based data row (header not counted) or feature number; None = whole file."""

    severity: Literal["error", "warning"]
    message: str
    fix: str
    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    keys: tuple[str, ...] = ()
    message_de: str | None = None  # German text of message and fix, where a check provides one
    fix_de: str | None = None

    def as_text(self, lang: str = "en") -> str:
        """One line: file, row, column, message, value and fix; `lang="de"` in German (the English text where a
        call site gave no German, which tests/test_import_german.py treats as a bug)."""
        words, message, fix = _WORDS.get(lang, _WORDS["en"]), self.message, self.fix
        if lang == "de":
            message, fix = self.message_de or self.message, self.fix_de or self.fix
        where = self.file + (f", {words['row']} {self.row}" if self.row is not None else "") + (
            f", {words['column']} {self.column!r}" if self.column else "")
        shown = f" ({words['value']} {self.value!r})" if self.value is not None else ""
        return f"{where}: {message}{shown}. {words['fix']}: {fix}"


_WORDS = {"en": {"row": "row", "column": "column", "value": "value", "fix": "Fix"},
          "de": {"row": "Zeile", "column": "Spalte", "value": "Wert", "fix": "Lösung"}}


@dataclass
class ImportReport:
    """The outcome of one import, dry run or not. `ok` is False when any error was found."""

    kind: str
    file: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_superseded: int = 0
    batch_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    problems_truncated: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, problem: Problem) -> None:
        if len(self.problems) >= MAX_PROBLEMS_LISTED:
            self.problems_truncated += 1
            return
        self.problems.append(problem)

    def error(self, message: str, fix: str, **where: Any) -> None:
        self.add(Problem("error", message, fix, self.file, **where))

    def warning(self, message: str, fix: str, **where: Any) -> None:
        self.add(Problem("warning", message, fix, self.file, **where))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["error_count"] = len(self.errors) + (self.problems_truncated if not self.ok else 0)
        data["warning_count"] = sum(1 for p in self.problems if p.severity == "warning")
        return data


def reader_message(exc: BaseException, path: Path, shown_as: str) -> str:
    """What a reading library (GDAL/pyogrio, pandas, openpyxl) said about a file, fit to show its user: the first
    line, the server's path of the file (an upload's temporary directory, a /vsizip/ source) replaced by the name
    the user knows it by, any other absolute path cut to its last part, GDAL's driver hint for programmers
    dropped."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else "no details"
    for server_path in (f"/vsizip/{path}", str(path)):
        text = text.replace(server_path, shown_as)
    return _GDAL_DRIVER_HINT.sub("", _ABSOLUTE_PATH.sub(r"\1", text)).strip()


BeforeCommit = Callable[[Connection, ImportReport], None]  # runs last inside an import's transaction (audit)


class ImportFailed(Exception):
    """Raised inside the import transaction so that it rolls back; carries the report."""

    def __init__(self, report: ImportReport):
        super().__init__(f"{report.file}: {len(report.errors)} error(s)")
        self.report = report


IMPORT_STATEMENT_TIMEOUT = "15min"  # an import is one long transaction; page views keep the short default


def begin_import(conn: Connection):
    """Begin the one transaction of an import, with a statement timeout fit for big files (CLI, HTTP, demo)."""
    tx = conn.begin()
    conn.execute(sa.text(f"SET LOCAL statement_timeout = '{IMPORT_STATEMENT_TIMEOUT}'"))
    return tx


def run_in_import_transaction(conn: Connection, report: ImportReport, work: Callable[[], None], *, dry_run: bool,
                              unchanged_note: str | None = None,
                              before_commit: BeforeCommit | None = None) -> ImportReport:
    """All or nothing: run `work` in the import's one transaction and commit only a successful, real import.

    `ImportFailed` (errors in the report) and any other exception roll back; so does a dry run, and, when
    `unchanged_note` is given, an import that wrote and superseded nothing (re-importing a file changes
    nothing, not even the list of batches). `before_commit(conn, report)` runs last inside the transaction.
    """
    tx = begin_import(conn)
    try:
        work()
    except ImportFailed:
        tx.rollback()
        report.batch_id = None
        return report
    except BaseException:
        tx.rollback()
        raise
    unchanged = unchanged_note is not None and report.rows_written == 0 and report.rows_superseded == 0
    if dry_run or unchanged:
        tx.rollback()
        report.batch_id = None
        if unchanged and not dry_run:
            report.notes.append(unchanged_note)
        return report
    try:
        if before_commit is not None:
            before_commit(conn, report)
    except BaseException:
        tx.rollback()
        raise
    tx.commit()
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_batch(conn: Connection, report: ImportReport, created_by: str, options: dict[str, Any]) -> int:
    """Insert the import_batch row for a successful (non-dry-run) import and return its id."""
    return conn.execute(
        sa.text("""
            INSERT INTO import_batch (kind, file_name, sha256, created_by, options)
            VALUES (:kind, :file, :sha, :who, CAST(:options AS jsonb)) RETURNING id"""),
        {"kind": report.kind, "file": report.file, "sha": report.sha256, "who": created_by,
         "options": _json(options)},
    ).scalar_one()


def finish_batch(conn: Connection, report: ImportReport) -> None:
    conn.execute(
        sa.text("""
            UPDATE import_batch SET rows_read = :read, rows_written = :written, rows_unchanged = :unchanged,
                   rows_superseded = :superseded, report = CAST(:report AS jsonb)
            WHERE id = :id"""),
        {"read": report.rows_read, "written": report.rows_written, "unchanged": report.rows_unchanged,
         "superseded": report.rows_superseded, "id": report.batch_id,
         "report": _json({"warnings": [asdict(p) for p in report.problems], "notes": report.notes})},
    )


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value, default=str).decode()


BATCH_COLUMNS = """id, kind, file_name, sha256, created_by, created_at, rows_read, rows_written, rows_unchanged,
                   rows_superseded, undone_at, undone_by"""


def list_batches(conn: Connection, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Import batches, newest first: file name, sha256, who, when and row counts."""
    rows = conn.execute(sa.text(f"""
        SELECT {BATCH_COLUMNS} FROM import_batch
        WHERE CAST(:kind AS text) IS NULL OR kind = :kind
        ORDER BY id DESC LIMIT :limit OFFSET :offset"""), {"kind": kind, "limit": limit, "offset": offset})
    return [dict(r._mapping) for r in rows]


def get_batch(conn: Connection, batch_id: int) -> dict | None:
    row = conn.execute(sa.text(f"SELECT {BATCH_COLUMNS}, options, report FROM import_batch WHERE id = :id"),
                       {"id": batch_id}).one_or_none()
    return None if row is None else dict(row._mapping)
