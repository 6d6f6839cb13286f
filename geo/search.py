"""Finding areas by name or key across every level, and by address (the search box of the pages, GET
/api/search).

Ranks what a person typing expects first: the exact key, the exact name, names that begin with the text, names
with a word that begins with it, then names containing it; at equal rank the coarser level first ("Neukölln"
finds the Bezirk before the Ortsteil and the Planungsräume named after it). Only boundary versions valid at the
given date; the text is matched literally (LIKE wildcards in it are escaped).
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import valid_at

MAX_HITS = 50
BBOX_SQL = "ARRAY[ST_XMin(a.geom_4326), ST_YMin(a.geom_4326), ST_XMax(a.geom_4326), ST_YMax(a.geom_4326)] AS bbox"


def _bbox(value: list | None) -> list[float] | None:
    """The area's bounding box in CRS84 (min lon, min lat, max lon, max lat), rounded to 6 decimals."""
    return [round(float(v), 6) for v in value] if value and value[0] is not None else None


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_areas(conn: Connection, text: str, limit: int = 20, at: date | None = None) -> list[dict]:
    """Areas whose key starts with or whose name contains `text` (case-insensitive), best first: level code and
    name, key, name, parent's name, bounding box (CRS84: min lon, min lat, max lon, max lat)."""
    wanted = " ".join(text.split())
    if not wanted:
        return []
    literal = _literal(wanted)
    rows = conn.execute(sa.text(f"""
        SELECT a.level_code AS level, l.name_de AS level_name_de, l.name_en AS level_name_en, a.key, a.name,
               p.name AS parent_name,
               {BBOX_SQL},
               CASE WHEN a.key = :text THEN 0
                    WHEN lower(a.name) = lower(:text) THEN 1
                    WHEN a.name ILIKE :prefix ESCAPE '\\' THEN 2
                    WHEN a.name ILIKE :word ESCAPE '\\' OR a.name ILIKE :after_dash ESCAPE '\\' THEN 3
                    ELSE 4 END AS score
        FROM area a JOIN area_level l ON l.code = a.level_code
        LEFT JOIN area p ON p.level_code = l.parent_code AND p.key = a.parent_key AND {valid_at("p", ":at")}
        WHERE {valid_at("a", ":at")}
          AND (a.key LIKE :key_prefix ESCAPE '\\' OR a.name ILIKE :contains ESCAPE '\\')
        ORDER BY score, l.rank DESC, a.name, a.key
        LIMIT :limit"""),
        {"text": wanted, "prefix": literal + "%", "word": "% " + literal + "%", "after_dash": "%-" + literal + "%",
         "key_prefix": literal + "%", "contains": "%" + literal + "%", "at": at or date.today(),
         "limit": min(max(limit, 1), MAX_HITS)})
    return [{**dict(r._mapping), "bbox": _bbox(r.bbox), "exact": r.score <= 1} for r in rows]


# "Ackerstraße 12", "Ackerstr. 12a", "ackerstrasse 12 A", "Ackerstraße, 12": the street, then a house number
ADDRESS = re.compile(r"^(?P<street>.*?\D)[\s,]+(?P<number>\d+)\s*(?P<suffix>[a-zA-Z]?)\s*$")


def street_pattern(text: str) -> str:
    """The street as typed, for a case-insensitive prefix match: "str." and "strasse" are both read as
    "straße" (the registers write it out), wildcards are literal."""
    street = " ".join(text.strip().rstrip(",").split()).lower()
    street = re.sub(r"(str\.|strasse|str)$", "straße", street)
    street = re.sub(r"(str\.|strasse)(?=\s)", "straße", street)
    return _literal(street)


def search_addresses(conn: Connection, text: str, limit: int = 20, at: date | None = None) -> list[dict]:
    """Addresses of the register matching "street [number[suffix]]" (street as a prefix), with the area each lies
    in: label, the area's level, key, name and bounding box. Without a number, one hit per street and area."""
    typed = " ".join(text.split())
    found = ADDRESS.match(typed)
    street = street_pattern(found["street"] if found else typed)
    if len(street) < 3:
        return []
    number = found["number"] if found else None
    suffix = (found["suffix"] or "").lower() if found else ""
    rows = conn.execute(sa.text(f"""
        SELECT ad.street, ad.house_number, ad.suffix, ad.postcode, ad.locality, ad.level_code AS level,
               l.name_de AS level_name_de, l.name_en AS level_name_en, a.key, a.name,
               {BBOX_SQL}
        FROM address ad JOIN area_level l ON l.code = ad.level_code
        JOIN area a ON a.level_code = ad.level_code AND a.key = ad.area_key AND {valid_at("a", ":at")}
        WHERE lower(ad.street) LIKE :street ESCAPE '\\'
          AND (CAST(:number AS text) IS NULL OR ad.house_number = :number)
          AND (:suffix = '' OR lower(ad.suffix) = :suffix)
        ORDER BY lower(ad.street) = :exact DESC, ad.street, length(ad.house_number), ad.house_number, ad.suffix,
                 ad.postcode
        LIMIT :rows"""),
        {"street": street + "%", "exact": street.replace("\\", ""), "number": number, "suffix": suffix,
         "at": at or date.today(), "rows": 500 if number is None else min(max(limit, 1), MAX_HITS)}).all()
    hits, seen = [], set()
    for r in rows:
        if number is None and (r.street, r.key) in seen:
            continue
        seen.add((r.street, r.key))
        place = " ".join(part for part in (r.postcode, r.locality) if part)
        label = f"{r.street} {r.house_number}{r.suffix}" if number is not None else r.street
        hits.append({"kind": "address", "label": label + (f", {place}" if place else ""), "level": r.level,
                     "level_name_de": r.level_name_de, "level_name_en": r.level_name_en, "key": r.key,
                     "name": r.name, "parent_name": None,
                     "bbox": _bbox(r.bbox),
                     "score": 1 if number is not None else 3, "exact": number is not None})
        if len(hits) >= limit:
            break
    return hits


def search_everything(conn: Connection, text: str, limit: int = 20, at: date | None = None) -> list[dict]:
    """Areas and addresses, best first: with a house number in the text the addresses lead, otherwise the
    areas (a name such as "Neukölln" is a place before it is a street)."""
    areas = [{**hit, "kind": "area", "label": hit["name"]} for hit in search_areas(conn, text, limit, at)]
    addresses = search_addresses(conn, text, limit, at)
    first, then = (addresses, areas) if ADDRESS.match(" ".join(text.split())) else (areas, addresses)
    return (first + then)[:limit]
