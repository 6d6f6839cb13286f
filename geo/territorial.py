"""Territorial changes (Gebietsänderungen): which boundary versions of a level became which, on which day.

The statistical offices publish each year's changes as a list (Destatis, "Gebietsänderungen": kind of change,
old key and name, new key and name, day of effect). This import reads such a list for one level, as a table
with one row per pair of a predecessor and a successor:

    effective;change;from_key;to_key;to_name;to_parent_key;share
    2021-07-01;merger;16056;16063;Wartburgkreis;;
    2021-07-01;merger;16063;16063;Wartburgkreis;;

`change` is one of merger (several areas become one), split (one becomes several), key_change (the same
territory under a new key, e.g. a Gemeinde moved to another Kreis) and transfer (a part of one area goes to
another); the German words of the offices' lists are understood too (Eingliederung, Zusammenschluss,
Auflösung, Schlüsseländerung, Umgliederung). `to_name`, `to_parent_key` (default: the predecessor's) and
`share` (the part of the predecessor that went to this successor, for documentation) are optional.

A predecessor is the version of `from_key` valid on the day before `effective`; it ends on `effective`. A
successor is the version of `to_key` that begins on `effective`: imported before as a boundary file (needed for
splits and transfers, whose new outlines no list can give), or made here for mergers and key changes as the
union of its predecessors' outlines (an exact union in PostGIS, nothing simplified). Everything the import does to
areas is kept in `area_change` like a boundary import's, so the batch can be undone, and the relations in
`area_succession`. One transaction; a dry run or any error leaves the database as it was.

By hand: no library reads the offices' change lists or models successions of boundary versions.
Must not know about indicators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (
    BeforeCommit,
    ImportFailed,
    ImportReport,
    de_number,
    file_sha256,
    finish_batch,
    record_batch,
    run_in_import_transaction,
)
from geo.levels import get_level
from geo.text_tables import read_text_table
from geo.versions import level_valid_at

CHANGES = ("merger", "split", "key_change", "transfer")
CHANGE_WORDS = {  # the offices' German words (lower case, without "Gemeinde"/"Kreis") -> the change
    "merger": "merger", "zusammenschluss": "merger", "eingliederung": "merger", "auflösung": "merger",
    "fusion": "merger", "split": "split", "aufteilung": "split", "teilung": "split",
    "key_change": "key_change", "schlüsseländerung": "key_change", "umschlüsselung": "key_change",
    "transfer": "transfer", "umgliederung": "transfer", "gebietsteilaustausch": "transfer",
}
CHANGE_LABELS = {  # German, English: as the profile says it
    "merger": ("Zusammenschluss", "merger"), "split": ("Aufteilung", "split"),
    "key_change": ("Schlüsseländerung", "key change"), "transfer": ("Umgliederung", "transfer of territory"),
}
REQUIRED = ("effective", "change", "from_key", "to_key")
OPTIONAL = ("to_name", "to_parent_key", "share")
MAX_ROWS_LISTED = 50

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TerritorialChangeOptions:
    level: str
    separator: str | None = None  # default: the one the header line uses most
    encoding: str | None = None  # default: UTF-8, else cp1252


def import_territorial_changes(conn: Connection, path: Path, options: TerritorialChangeOptions, *,
                               dry_run: bool = False, created_by: str = "cli", display_name: str | None = None,
                               progress: Progress | None = None,
                               before_commit: BeforeCommit | None = None) -> ImportReport:
    """Validate and (unless dry_run or on error) apply one list of territorial changes of a level."""
    report = ImportReport(kind="territorial_changes", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    table = _read(path, options, report)
    if table is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(table)
    step("read", 1, 3)

    def work() -> None:
        if get_level(conn, options.level) is None:
            known = list(conn.execute(sa.text("SELECT code FROM area_level ORDER BY rank")).scalars())
            report.error(f"unknown area level {options.level!r}", f"use one of {known}", column="level",
                         message_de=f"unbekannte Gebietsebene {options.level!r}", fix_de=f"eine von {known} angeben")
            raise ImportFailed(report)
        rows = _validate(conn, table, options, report)
        if not report.ok:
            raise ImportFailed(report)
        step("validated", 2, 3)
        report.batch_id = record_batch(conn, report, created_by, asdict(options))
        _apply(conn, rows, options, report)
        if not report.ok:
            raise ImportFailed(report)
        finish_batch(conn, report)
        step("stored", 3, 3)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every change is already stored",
                                     before_commit=before_commit)


# -- reading and checking ----------------------------------------------------------------------------------
def _read(path: Path, options: TerritorialChangeOptions, report: ImportReport) -> pd.DataFrame | None:
    found = read_text_table(path, report, separator=options.separator, encoding=options.encoding,
                            fix="save it as CSV with one header row: " + ";".join(REQUIRED + OPTIONAL),
                            fix_de="als CSV mit einer Kopfzeile speichern: " + ";".join(REQUIRED + OPTIONAL))
    if found is None:
        return None
    table = found[0]
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    unknown = [c for c in table.columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        what = (f"missing columns {missing}" if missing else "") + ("; " if missing and unknown else "") + (
            f"unknown columns {unknown}" if unknown else "")
        report.error(f"the table's header does not fit: {what}",
                     f"name the columns {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})", row=1,
                     message_de=f"die Kopfzeile passt nicht: {what}",
                     fix_de=f"die Spalten {', '.join(REQUIRED)} nennen (und wahlweise {', '.join(OPTIONAL)})")
        return None
    for column in OPTIONAL:
        if column not in table.columns:
            table[column] = ""
    table = table.apply(lambda column: column.str.strip())
    table["line"] = range(1, len(table) + 1)  # data rows, as every import counts them
    return table


def _parse_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", text)
    try:
        return date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(text)
    except ValueError:
        return None


def _validate(conn: Connection, table: pd.DataFrame, options: TerritorialChangeOptions,
              report: ImportReport) -> pd.DataFrame:
    """The rows with their predecessor (area row valid the day before the change) and successor (row beginning on
    it, if imported); problems in the report."""
    rows = []
    for row in table.itertuples(index=False):
        effective = _parse_date(row.effective)
        if effective is None:
            report.error("not a date", "write the day of the change as YYYY-MM-DD or DD.MM.YYYY", row=row.line,
                         column="effective", value=row.effective[:40], message_de="kein Datum",
                         fix_de="den Tag der Änderung als JJJJ-MM-TT oder TT.MM.JJJJ schreiben")
        change = CHANGE_WORDS.get(row.change.lower().removeprefix("gemeinde").removeprefix("kreis").strip())
        if change is None:
            report.error(f"unknown change {row.change[:40]!r}", f"use one of {', '.join(CHANGES)}", row=row.line,
                         column="change", value=row.change[:40], message_de=f"unbekannte Änderung {row.change[:40]!r}",
                         fix_de=f"eine von {', '.join(CHANGES)} angeben (oder Eingliederung, Zusammenschluss, "
                                f"Aufteilung, Schlüsseländerung, Umgliederung)")
        share = None
        if row.share:
            share = pd.to_numeric(row.share.replace(",", "."), errors="coerce")
            if not (share > 0 and share <= 1):
                report.error("the share must be a number above 0 and at most 1", "write e.g. 0.35 or leave it empty",
                             row=row.line, column="share", value=row.share[:40],
                             message_de="der Anteil muss eine Zahl über 0 und höchstens 1 sein",
                             fix_de="z. B. 0,35 schreiben oder leer lassen")
        for column in ("from_key", "to_key"):
            if not getattr(row, column):
                report.error("the key is empty", f"fill {column} in every row", row=row.line, column=column,
                             message_de="der Schlüssel ist leer", fix_de=f"{column} in jeder Zeile füllen")
        rows.append({"line": row.line, "effective": effective, "change": change, "from_key": row.from_key,
                     "to_key": row.to_key, "to_name": row.to_name or None, "to_parent_key": row.to_parent_key or None,
                     "share": None if share is None or pd.isna(share) else float(share)})
    if not report.ok:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    twice = frame.duplicated(["effective", "from_key", "to_key"], keep="first")
    for row in frame[twice].itertuples(index=False):
        report.error(f"the change {row.from_key} -> {row.to_key} on {row.effective} is listed twice",
                     "keep one row per pair of keys", row=row.line, column="to_key", value=row.to_key,
                     message_de=f"die Änderung {row.from_key} -> {row.to_key} am {row.effective:%d.%m.%Y} steht "
                                "zweimal in der Liste", fix_de="je Schlüsselpaar eine Zeile behalten")
    frame["predecessor_id"] = [_version_id(conn, options.level, key, day - timedelta(days=1))
                               for key, day in zip(frame["from_key"], frame["effective"])]
    frame["successor_id"] = [_starting_id(conn, options.level, key, day)
                             for key, day in zip(frame["to_key"], frame["effective"])]
    for row in frame[frame["predecessor_id"].isna()].head(MAX_ROWS_LISTED).itertuples(index=False):
        before = row.effective - timedelta(days=1)
        zeros = _with_lost_zeros(conn, options.level, row.from_key)
        report.error(f"no area {row.from_key} of level {options.level!r} is valid on {before} (the day before the "
                     f"change)" + (f"; did you mean {zeros}?" if zeros else ""),
                     "write the key as text with its leading zeros, or import the boundaries valid before the change "
                     "first", row=row.line, column="from_key", value=row.from_key, keys=(row.from_key,),
                     message_de=f"kein Gebiet {row.from_key} der Ebene {options.level!r} ist am {before:%d.%m.%Y} "
                                "(dem Tag vor der Änderung) gültig" + (f"; gemeint ist wohl {zeros}" if zeros else ""),
                     fix_de="den Schlüssel als Text mit führenden Nullen schreiben oder zuerst die vor der Änderung "
                            "gültigen Gebietsgrenzen importieren")
    for (day, change), group in frame.groupby(["effective", "change"], sort=False):
        _check_shape(conn, options.level, change, group, report)
    return frame


def _check_shape(conn: Connection, level: str, change: str, group: pd.DataFrame, report: ImportReport) -> None:
    """Each kind of change has its shape: a merger several predecessors per successor, a split several successors
    per predecessor, a key change one to one; splits and transfers need the successors' outlines imported."""
    if change == "merger":
        for to_key, parts in group.groupby("to_key"):
            if len(parts) < 2:
                _shape_error(report, parts.iloc[0], f"a merger into {to_key} needs at least two predecessors "
                             f"(the areas merged, and {to_key} itself if it keeps its key)",
                             f"eine Zusammenlegung zu {to_key} braucht mindestens zwei Vorgänger (die eingegliederten "
                             f"Gebiete und {to_key} selbst, wenn es seinen Schlüssel behält)")
    elif change == "split":
        for from_key, parts in group.groupby("from_key"):
            if len(parts) < 2:
                _shape_error(report, parts.iloc[0], f"a split of {from_key} needs at least two successors",
                             f"eine Aufteilung von {from_key} braucht mindestens zwei Nachfolger")
    elif change == "key_change":
        for column in ("from_key", "to_key"):
            for key, parts in group.groupby(column):
                if len(parts) > 1:
                    _shape_error(report, parts.iloc[1], f"a key change is one to one; {key} appears "
                                 f"{len(parts)} times", f"eine Schlüsseländerung ist eins zu eins; {key} kommt "
                                 f"{len(parts)}-mal vor")
        for row in group[group["from_key"] == group["to_key"]].itertuples(index=False):
            _shape_error(report, row, "a key change needs a new key", "eine Schlüsseländerung braucht einen neuen "
                         "Schlüssel")
    if change in ("split", "transfer"):
        for row in group[group["successor_id"].isna()].itertuples(index=False):
            report.error(f"area {row.to_key} has no boundary version beginning on {row.effective}",
                         f"import the outlines valid from {row.effective} first (boundaries with valid_from "
                         f"{row.effective}, complete: false); a {change} cannot be drawn from a list",
                         row=row.line, column="to_key", value=row.to_key, keys=(row.to_key,),
                         message_de=f"Gebiet {row.to_key} hat keinen Gebietsstand ab {row.effective:%d.%m.%Y}",
                         fix_de=f"zuerst die ab {row.effective:%d.%m.%Y} gültigen Grenzen importieren (valid_from "
                                f"{row.effective}, complete: false); eine {CHANGE_LABELS[change][0]} lässt sich "
                                "nicht aus einer Liste zeichnen")


def _shape_error(report: ImportReport, row, message: str, message_de: str) -> None:
    report.error(message, "list every predecessor and successor of the change, one row per pair", row=int(row.line),
                 column="change", value=row.change, message_de=message_de,
                 fix_de="jeden Vorgänger und Nachfolger der Änderung nennen, eine Zeile je Paar")


def _version_id(conn: Connection, level: str, key: str, at: date) -> int | None:
    return conn.execute(sa.text(f"SELECT id FROM area a WHERE {level_valid_at('a')} AND a.key = :key"),
                        {"level": level, "at": at, "key": key}).scalar()


def _starting_id(conn: Connection, level: str, key: str, day: date) -> int | None:
    return conn.execute(sa.text("SELECT id FROM area WHERE level_code = :level AND key = :key AND valid_from = :day"),
                        {"level": level, "key": key, "day": day}).scalar()


def _with_lost_zeros(conn: Connection, level: str, key: str) -> str | None:
    if not key.isdigit():
        return None
    return conn.execute(sa.text("""
        SELECT key FROM area WHERE level_code = :level AND key <> :key AND ltrim(key, '0') = :key LIMIT 1"""),
        {"level": level, "key": key}).scalar()


# -- applying ------------------------------------------------------------------------------------------------
def _apply(conn: Connection, rows: pd.DataFrame, options: TerritorialChangeOptions, report: ImportReport) -> None:
    params = {"level": options.level, "batch": report.batch_id}
    predecessors = sorted({int(i) for i in rows["predecessor_id"]})
    ends = dict(conn.execute(sa.text("SELECT id, valid_to FROM area WHERE id = ANY (:ids)"),
                             {"ids": predecessors}).all())
    closing = []
    for row in rows.drop_duplicates("predecessor_id").itertuples(index=False):
        end = ends[int(row.predecessor_id)]
        if end is None:
            closing.append(int(row.predecessor_id))
        elif end != row.effective:
            report.error(f"area {row.from_key} ends on {end}, not on the day of the change {row.effective}",
                         "correct the day of the change, or the boundaries", row=row.line, column="effective",
                         value=str(row.effective), keys=(row.from_key,),
                         message_de=f"Gebiet {row.from_key} endet am {end:%d.%m.%Y}, nicht am Tag der Änderung "
                                    f"{row.effective:%d.%m.%Y}",
                         fix_de="den Tag der Änderung oder die Grenzen korrigieren")
    if not report.ok:
        return
    conn.execute(sa.text("""
        WITH closed AS (
            UPDATE area a SET valid_to = c.effective
            FROM unnest(CAST(:ids AS bigint[]), CAST(:days AS date[])) AS c(id, effective)
            WHERE a.id = c.id RETURNING a.id)
        INSERT INTO area_change (batch_id, area_id, change) SELECT :batch, id, 'closed' FROM closed"""),
        {**params, "ids": closing,
         "days": [rows.loc[rows["predecessor_id"] == i, "effective"].iloc[0] for i in closing]})
    created = 0
    for (to_key, day), parts in rows[rows["successor_id"].isna()].groupby(["to_key", "effective"], sort=False):
        rows.loc[parts.index, "successor_id"] = _make_successor(conn, options.level, to_key, day, parts, params,
                                                                report)
        created += 1
    if not report.ok:
        return
    written = 0
    for row in rows.itertuples(index=False):
        written += conn.execute(sa.text("""
            INSERT INTO area_succession (predecessor_id, successor_id, change, effective, share, import_batch_id)
            VALUES (:before, :after, :change, :day, :share, :batch)
            ON CONFLICT (predecessor_id, successor_id) DO NOTHING"""),
            {**params, "before": int(row.predecessor_id), "after": int(row.successor_id), "change": row.change,
             "day": row.effective, "share": row.share}).rowcount
    report.rows_written = written + created
    report.rows_unchanged = len(rows) - written
    orphans = conn.execute(sa.text(f"""
        SELECT c.level_code, c.key FROM area c JOIN area_level l ON l.code = c.level_code AND l.parent_code = :level
        WHERE c.valid_to IS NULL AND c.parent_key = ANY (:keys) AND NOT EXISTS (
            SELECT 1 FROM area p WHERE p.level_code = :level AND p.key = c.parent_key
              AND {level_valid_at("p", ":level", "GREATEST(c.valid_from, :latest)")})
        ORDER BY c.key LIMIT 20"""), {**params, "keys": sorted(set(rows["from_key"])),
                                       "latest": max(rows["effective"])}).all()
    if orphans:
        keys = ", ".join(key for _, key in orphans)
        report.warning(f"areas of level {orphans[0][0]!r} lie in an area that ended: {keys}",
                    f"import their changes too (level {orphans[0][0]!r}), so that they get their new parent",
                    message_de=f"Gebiete der Ebene {orphans[0][0]!r} liegen in einem Gebiet, das endete: {keys}",
                    fix_de=f"auch ihre Änderungen importieren (Ebene {orphans[0][0]!r}), damit sie ihr neues "
                           "übergeordnetes Gebiet erhalten")
    report.notes.append(f"{de_number(len(closing))} boundary version(s) end, {created} begin; "
                        f"{written} relation(s) recorded")


def _make_successor(conn: Connection, level: str, to_key: str, day: date, parts: pd.DataFrame, params: dict,
                    report: ImportReport) -> int | None:
    """A merger's or key change's successor: the union of its predecessors' outlines, named as the list says
    (default: the predecessor that keeps its key, or the only one)."""
    first = parts.iloc[0]
    if first["change"] not in ("merger", "key_change"):
        return None  # refused in _check_shape
    ids = [int(i) for i in parts["predecessor_id"]]
    keeper = parts[parts["from_key"] == to_key]
    model = int((keeper if len(keeper) else parts).iloc[0]["predecessor_id"])
    name = next((n for n in parts["to_name"] if n), None)
    if name is None and not len(keeper) and len(parts) > 1:
        report.error(f"the merged area {to_key} needs a name", "give to_name", row=int(first["line"]),
                     column="to_name", message_de=f"das zusammengelegte Gebiet {to_key} braucht einen Namen",
                     fix_de="to_name angeben")
        return None
    parent_key = next((p for p in parts["to_parent_key"] if p), None)
    parent_level = conn.execute(sa.text("SELECT parent_code FROM area_level WHERE code = :level"),
                                {"level": level}).scalar()
    if parent_key is not None and parent_level is not None and _version_id(conn, parent_level, parent_key,
                                                                            day) is None:
        report.error(f"no area {parent_key} of level {parent_level!r} is valid on {day}", "correct to_parent_key",
                     row=int(first["line"]), column="to_parent_key", value=parent_key,
                     message_de=f"kein Gebiet {parent_key} der Ebene {parent_level!r} ist am {day:%d.%m.%Y} gültig",
                     fix_de="to_parent_key korrigieren")
        return None
    return conn.execute(sa.text("""
        WITH made AS (
            INSERT INTO area (level_code, key, name, parent_key, valid_from, geom, area_m2, attributes,
                              import_batch_id)
            SELECT :level, :key, coalesce(:name, m.name), coalesce(:parent, m.parent_key), :day, u.geom,
                   ST_Area(u.geom), m.attributes, :batch
            FROM area m,
                 (SELECT ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom FROM area
                  WHERE id = ANY (:ids)) u
            WHERE m.id = :model
            RETURNING id),
        logged AS (INSERT INTO area_change (batch_id, area_id, change) SELECT :batch, id, 'created' FROM made)
        SELECT id FROM made"""),
        {**params, "key": to_key, "name": name, "parent": parent_key, "day": day, "ids": ids,
         "model": model}).scalar_one()


# -- reading the relations -----------------------------------------------------------------------------------
def successions(conn: Connection, area_id: int) -> dict[str, list[dict]]:
    """Where an area version came from and what became of it: its predecessors and successors with the change,
    its day, the other version's key, name and validity."""
    rows = conn.execute(sa.text("""
        SELECT 'predecessors' AS side, s.change, s.effective, s.share, o.key, o.name, o.valid_from, o.valid_to
        FROM area_succession s JOIN area o ON o.id = s.predecessor_id WHERE s.successor_id = :id
        UNION ALL
        SELECT 'successors', s.change, s.effective, s.share, o.key, o.name, o.valid_from, o.valid_to
        FROM area_succession s JOIN area o ON o.id = s.successor_id WHERE s.predecessor_id = :id
        ORDER BY 1, 3, 5"""), {"id": area_id}).mappings().all()
    out: dict[str, list[dict]] = {"predecessors": [], "successors": []}
    for row in rows:
        label_de, label_en = CHANGE_LABELS[row["change"]]
        out[row["side"]].append({**{k: v for k, v in row.items() if k != "side"}, "change_de": label_de,
                                 "change_en": label_en})
    return out
