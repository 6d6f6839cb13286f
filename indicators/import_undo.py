"""Taking an import batch back (`district-monitor import undo BATCH`, `POST /api/imports/{id}/undo`).

An observation batch: its rows are removed and the values it superseded are current again. A boundary batch:
the boundary versions it created are removed (with the roll-ups and index runs computed on them), the
versions it closed are open again, and the outlines it corrected in place are restored from `area_change`.
Roll-ups and disclosure are recomputed in the same transaction, which the caller commits or rolls back as a
whole (with its audit record). The batch stays listed, marked undone.

Refused, with what to do instead: a batch undone already; a batch later batches built on (superseded its
values, changed its areas, attached values or child areas to them), since taking it back would leave theirs
without a base; kinds other than observations and boundaries (point, polygon and grid layers are replaced as
a whole by importing the previous file again). Must not know about HTTP or the command line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import valid_at
from indicators.refresh import batch_indicators, refresh_after_write

UNDOABLE = ("observations", "boundaries", "territorial_changes")  # the latter two end and begin areas


class BatchNotFound(LookupError):
    def __init__(self, batch_id: int):
        super().__init__(f"no import batch {batch_id}; see GET /api/imports or the import_batch table")


class UndoRefused(Exception):
    """The batch cannot be taken back; the message says why and what to do instead."""


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    kind: str
    file_name: str
    rows_removed: int = 0  # observations of the batch
    rows_restored: int = 0  # observations it had superseded, current again
    areas_removed: int = 0  # boundary versions it created
    areas_reopened: int = 0  # earlier versions it had ended
    areas_restored: int = 0  # outlines it had corrected in place
    index_runs_removed: tuple[int, ...] = ()  # runs computed on areas it created

    def as_dict(self) -> dict:
        return asdict(self)


def undo_batch(conn: Connection, batch_id: int, undone_by: str) -> UndoResult:
    """Take the batch back inside the caller's transaction. Raises BatchNotFound or UndoRefused."""
    batch = conn.execute(sa.text("""
        SELECT id, kind, file_name, options, undone_at, undone_by FROM import_batch WHERE id = :id FOR UPDATE"""),
        {"id": batch_id}).one_or_none()
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.undone_at is not None:
        raise UndoRefused(f"batch {batch_id} ({batch.file_name}) was undone already, on "
                          f"{batch.undone_at:%Y-%m-%d %H:%M} by {batch.undone_by}; import the file again to restore it")
    if batch.kind not in UNDOABLE:
        raise UndoRefused(f"batch {batch_id} is a {batch.kind} batch; only observation, boundary and territorial "
                          "change batches can be undone (point, polygon and grid layers: import the previous file "
                          "again; roll-ups follow the values they are computed from)")
    if batch.kind == "observations":
        written = batch_indicators(conn, batch_id)  # read before the rows go
        result = _undo_observations(conn, batch_id, batch.file_name)
    else:
        written = None  # other areas: every roll-up
        result = _undo_boundaries(conn, batch_id, batch.kind, batch.file_name, batch.options)
    refresh_after_write(conn, written)
    conn.execute(sa.text("UPDATE import_batch SET undone_at = now(), undone_by = :who WHERE id = :id"),
                 {"id": batch_id, "who": undone_by})
    return result


def _refuse_if_built_on(batch_id: int, later: list[int], what: str) -> None:
    if later:
        ids = ", ".join(str(b) for b in later)
        raise UndoRefused(f"batch {batch_id} cannot be undone: {what} (batch{'es' if len(later) > 1 else ''} {ids}); "
                          "undo those first, newest first")


def _undo_observations(conn: Connection, batch_id: int, file_name: str) -> UndoResult:
    params = {"id": batch_id}
    later = conn.execute(sa.text("""
        SELECT DISTINCT superseded_by_batch FROM observation
        WHERE import_batch_id = :id AND superseded_by_batch IS NOT NULL ORDER BY 1"""), params).scalars().all()
    _refuse_if_built_on(batch_id, list(later), "later imports replaced values it brought")
    removed = conn.execute(sa.text("DELETE FROM observation WHERE import_batch_id = :id"), params).rowcount
    restored = conn.execute(sa.text("""
        UPDATE observation SET superseded_at = NULL, superseded_by_batch = NULL
        WHERE superseded_by_batch = :id"""), params).rowcount
    return UndoResult(batch_id, "observations", file_name, rows_removed=removed, rows_restored=restored)


def _undo_boundaries(conn: Connection, batch_id: int, kind: str, file_name: str, options: dict) -> UndoResult:
    """A boundary batch, or a list of territorial changes (which ends and begins areas the same way, and adds
    the relations between them)."""
    changes = conn.execute(sa.text("SELECT change, area_id FROM area_change WHERE batch_id = :id ORDER BY area_id"),
                           {"id": batch_id}).all()
    if not changes and kind == "boundaries":
        raise UndoRefused(f"batch {batch_id} was imported before imports recorded what they changed (migration "
                          "0012); import the previous boundary file again instead")
    created = [area for change, area in changes if change == "created"]
    params = {"id": batch_id, "created": created, "level": options["level"]}
    _refuse_if_built_on(batch_id, _later_batches(conn, params, """
        SELECT c.batch_id FROM area_change c
        WHERE c.batch_id > :id AND c.area_id IN (
            SELECT area_id FROM area_change WHERE batch_id = :id AND change IN ('created', 'corrected'))"""),
        "later boundary imports changed its areas")
    _refuse_if_built_on(batch_id, _later_batches(conn, params, """
        SELECT o.import_batch_id FROM observation o JOIN import_batch b ON b.id = o.import_batch_id
        WHERE o.area_id = ANY (:created) AND b.kind <> 'rollup'"""), "values are attached to areas it created")
    _refuse_if_built_on(batch_id, _later_batches(conn, params, f"""
        SELECT c.import_batch_id FROM area c
        JOIN area_level l ON l.code = c.level_code AND l.parent_code = :level
        JOIN area p ON p.id = ANY (:created) AND p.key = c.parent_key
             AND {valid_at("p", "c.valid_from")}
        WHERE c.import_batch_id > :id"""), "later imports put child areas into areas it created")
    conn.execute(sa.text("""
        DELETE FROM observation o USING import_batch b
        WHERE b.id = o.import_batch_id AND b.kind = 'rollup' AND o.area_id = ANY (:created)"""), params)
    runs = conn.execute(sa.text("""
        DELETE FROM index_run WHERE id IN (SELECT run_id FROM index_result WHERE area_id = ANY (:created))
        RETURNING id"""), params).scalars().all()
    restored = conn.execute(sa.text("""
        UPDATE area a SET name = c.name, parent_key = c.parent_key, geom = c.geom, area_m2 = c.area_m2,
               attributes = c.attributes, import_batch_id = c.import_batch_id
        FROM area_change c WHERE c.batch_id = :id AND c.change = 'corrected' AND a.id = c.area_id"""),
        params).rowcount
    removed = conn.execute(sa.text("DELETE FROM area WHERE id = ANY (:created)"), params).rowcount
    reopened = conn.execute(sa.text("""
        UPDATE area SET valid_to = NULL
        WHERE id IN (SELECT area_id FROM area_change WHERE batch_id = :id AND change = 'closed')"""), params).rowcount
    conn.execute(sa.text("DELETE FROM area_change WHERE batch_id = :id"), params)
    conn.execute(sa.text("DELETE FROM area_succession WHERE import_batch_id = :id"), params)
    return UndoResult(batch_id, kind, file_name, areas_removed=removed, areas_reopened=reopened,
                      areas_restored=restored, index_runs_removed=tuple(sorted(runs)))


def _later_batches(conn: Connection, params: dict, query: str) -> list[int]:
    return list(conn.execute(sa.text(f"SELECT DISTINCT b FROM ({query}) later(b) ORDER BY 1"), params).scalars())
