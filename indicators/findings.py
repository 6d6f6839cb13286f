"""Qualitative findings as data: structured local assessments per area and topic (who, when, which kind of
source, for a resident survey its sample size), and whether the finding confirms or questions the area's index
class. Stored as plain text; pages render it escaped. No HTTP, no rendering here.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

SOURCE_TYPES = {
    "expert_assessment": ("Einschätzung von Fachleuten", "expert assessment"),
    "resident_survey": ("Befragung der Bewohnerschaft", "resident survey"),
    "interview": ("Interview", "interview"),
    "participation": ("Beteiligungsverfahren", "participation"),
}
STANCES = {
    "confirms": ("bestätigt die Indexklasse", "confirms the index class"),
    "questions": ("stellt die Indexklasse in Frage", "questions the index class"),
    "neutral": ("ergänzt die Zahlen", "complements the figures"),
}
COLUMNS = ("id, level_code AS level, area_key, topic, author, observed_on, source_type, sample_size, text, stance, "
           "created_by, created_at")


class FindingError(ValueError):
    def __init__(self, message: str, field: str, de: str):
        super().__init__(message)
        self.field = field
        self.de = de


def create_finding(conn: Connection, *, level: str, area_key: str, topic: str, author: str, observed_on: date,
                   source_type: str, text: str, stance: str, created_by: str, sample_size: int | None = None) -> dict:
    if source_type not in SOURCE_TYPES:
        raise FindingError(f"source_type must be one of {', '.join(SOURCE_TYPES)}", "source_type",
                           "Unbekannte Art der Quelle.")
    if stance not in STANCES:
        raise FindingError(f"stance must be one of {', '.join(STANCES)}", "stance", "Unbekannte Einordnung.")
    if source_type == "resident_survey" and not sample_size:
        raise FindingError("a resident survey needs its sample size (sample_size > 0)", "sample_size",
                           "Eine Befragung braucht die Zahl der Befragten (sample_size).")
    if observed_on > date.today():
        raise FindingError("observed_on lies in the future", "observed_on", "Das Datum liegt in der Zukunft.")
    row = conn.execute(sa.text(f"""
        INSERT INTO finding (level_code, area_key, topic, author, observed_on, source_type, sample_size, text, stance,
                             created_by)
        VALUES (:level, :key, :topic, :author, :on, :source, :n, :text, :stance, :by) RETURNING {COLUMNS}"""),
        {"level": level, "key": area_key, "topic": topic, "author": author, "on": observed_on, "source": source_type,
         "n": sample_size, "text": text, "stance": stance, "by": created_by}).mappings().one()
    return labelled(dict(row))


def labelled(finding: dict) -> dict:
    source = SOURCE_TYPES[finding["source_type"]]
    stance = STANCES[finding["stance"]]
    return {**finding, "source_type_de": source[0], "source_type_en": source[1], "stance_de": stance[0],
            "stance_en": stance[1]}


def list_findings(conn: Connection, level: str | None = None, area_keys: list[str] | None = None) -> list[dict]:
    rows = conn.execute(sa.text(f"""
        SELECT {COLUMNS} FROM finding
        WHERE (CAST(:level AS text) IS NULL OR level_code = :level)
          AND (CAST(:keys AS text[]) IS NULL OR area_key = ANY(:keys))
        ORDER BY area_key, observed_on DESC, id DESC"""), {"level": level, "keys": area_keys})
    return [labelled(dict(r._mapping)) for r in rows]
