"""Statistical confidentiality (disclosure control): which observations readers must not see.

`refresh_disclosure(conn)` recomputes the `disclosure` table and runs inside every transaction that changes
observations (after the roll-ups); the view `observation_public` applies the table to every public output.
Methods (METHODS.md section 6):

- Primary suppression by the indicator's thresholds: a count between 1 and k-1 (count indicators), a
  numerator between 1 and k-1, or a denominator below m. `min_numerator` is k, `min_denominator` is m;
  NULL switches the rule off for that indicator.
- Secondary suppression against differencing. Every published sum is an equation between cells: a parent
  area's value and the values of its child areas (same indicator and period, on every level, including
  roll-ups stored as observations), and a total with its complementary parts (`indicator_partition`, e.g.
  age groups summing to the population). An equation with exactly one hidden cell gives that cell away,
  so we hide one more cell of it: the smallest non-zero visible child/part, or the parent/total when there
  is none. Newly hidden cells may break other equations, so this repeats until no equation has exactly one
  hidden cell.

Hand-written because no Python library does hierarchical cell suppression inside PostgreSQL (sdcTable/
tau-argus are R/Java tools that work on exported tables); the heuristic is set-based SQL over temporary
tables and only walks the equations that touch hidden cells, so it costs little even for millions of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

PRIMARY_COUNT = "Geheimhaltung: Fallzahl kleiner als {k} / confidential: count below {k}"
PRIMARY_NUMERATOR = "Geheimhaltung: Zählergröße kleiner als {k} / confidential: numerator below {k}"
PRIMARY_DENOMINATOR = "Geheimhaltung: Bezugsgröße kleiner als {m} / confidential: base below {m}"
SECONDARY = ("Geheimhaltung (sekundär): verhindert das Zurückrechnen eines gesperrten Werts"
             " / confidential (secondary): prevents recomputing a suppressed value")

_PRIMARY = """
    INSERT INTO dc_supp (obs_id, rule, reason)
    SELECT o.id, 'primary',
           CASE WHEN i.kind = 'count' THEN replace(:count_reason, '{k}', i.min_numerator::text)
                WHEN o.numerator > 0 AND o.numerator < i.min_numerator
                    THEN replace(:numerator_reason, '{k}', i.min_numerator::text)
                ELSE replace(:denominator_reason, '{m}', i.min_denominator::text) END
    FROM observation o
    JOIN indicator i ON i.code = o.indicator_code
    WHERE o.superseded_at IS NULL
      AND (i.min_numerator IS NOT NULL OR i.min_denominator IS NOT NULL)
      AND ((i.kind = 'count' AND o.value > 0 AND o.value < i.min_numerator)
        OR (i.kind <> 'count' AND o.numerator > 0 AND o.numerator < i.min_numerator)
        OR (i.kind <> 'count' AND o.denominator < i.min_denominator))"""

# The equations that contain a newly hidden cell, named by their head (the parent's or the total's
# observation): as the head itself, as a child of a parent area, as the total or a part of a partition.
_AFFECTED_EQUATIONS = """
    INSERT INTO dc_equation (kind, head_id, partition_name)
    SELECT DISTINCT kind, head_id, partition_name FROM (
        SELECT 'h' AS kind, n.obs_id AS head_id, '' AS partition_name FROM dc_new n
        UNION ALL
        SELECT 'h', po.id, '' FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN area a ON a.id = o.area_id
        JOIN area_level l ON l.code = a.level_code
        JOIN area pa ON pa.level_code = l.parent_code AND pa.key = a.parent_key
        JOIN observation po ON po.indicator_code = o.indicator_code AND po.area_id = pa.id
             AND po.period = o.period AND po.superseded_at IS NULL
        UNION ALL
        SELECT 'p', n.obs_id, ip.name FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN (SELECT DISTINCT name, total_code FROM indicator_partition) ip ON ip.total_code = o.indicator_code
        UNION ALL
        SELECT 'p', t.id, ip.name FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN indicator_partition ip ON ip.part_code = o.indicator_code
        JOIN observation t ON t.indicator_code = ip.total_code AND t.area_id = o.area_id
             AND t.period = o.period AND t.superseded_at IS NULL
    ) e"""

# The visible-or-hidden cells of those equations; cells without a value (missing, not assessed) take no part.
_MEMBERS = """
    INSERT INTO dc_member (kind, head_id, partition_name, obs_id, is_head, value)
    SELECT e.kind, e.head_id, e.partition_name, h.id, true, h.value
    FROM dc_equation e JOIN observation h ON h.id = e.head_id
    WHERE h.value IS NOT NULL
    UNION ALL
    SELECT e.kind, e.head_id, e.partition_name, c.id, false, c.value
    FROM dc_equation e
    JOIN observation h ON h.id = e.head_id AND h.value IS NOT NULL
    JOIN indicator i ON i.code = h.indicator_code AND i.aggregation <> 'none'
    JOIN area pa ON pa.id = h.area_id
    JOIN area_level l ON l.parent_code = pa.level_code
    JOIN area ca ON ca.level_code = l.code AND ca.parent_key = pa.key
    JOIN observation c ON c.indicator_code = h.indicator_code AND c.area_id = ca.id AND c.period = h.period
         AND c.superseded_at IS NULL AND c.value IS NOT NULL
    WHERE e.kind = 'h'
    UNION ALL
    SELECT e.kind, e.head_id, e.partition_name, c.id, false, c.value
    FROM dc_equation e
    JOIN observation h ON h.id = e.head_id AND h.value IS NOT NULL
    JOIN indicator_partition ip ON ip.name = e.partition_name AND ip.total_code = h.indicator_code
    JOIN observation c ON c.indicator_code = ip.part_code AND c.area_id = h.area_id AND c.period = h.period
         AND c.superseded_at IS NULL AND c.value IS NOT NULL
    WHERE e.kind = 'p'"""

# In every equation with exactly one hidden cell, hide the smallest visible non-zero child or part
# (zeros protect little: a hidden 0 next to a hidden 2 still says "at most 2"), else the head.
_COMPLEMENTS = """
    WITH exposed AS (
        SELECT m.kind, m.head_id, m.partition_name
        FROM dc_member m JOIN dc_supp s ON s.obs_id = m.obs_id
        GROUP BY m.kind, m.head_id, m.partition_name
        HAVING count(*) = 1
    ), complement AS (
        SELECT DISTINCT ON (m.kind, m.head_id, m.partition_name) m.obs_id
        FROM dc_member m JOIN exposed x USING (kind, head_id, partition_name)
        WHERE NOT EXISTS (SELECT 1 FROM dc_supp s WHERE s.obs_id = m.obs_id)
        ORDER BY m.kind, m.head_id, m.partition_name, m.is_head, m.value = 0, abs(m.value), m.obs_id
    )
    INSERT INTO dc_supp (obs_id, rule, reason)
    SELECT DISTINCT obs_id, 'secondary', :reason FROM complement
    ON CONFLICT (obs_id) DO NOTHING
    RETURNING obs_id"""

_TEMP_TABLES = ("dc_supp", "dc_new", "dc_equation", "dc_member")


def refresh_disclosure(conn: Connection) -> int:
    """Recompute primary and secondary suppression over all current observations; returns the number of
    suppressed observations. Writes only the rows of `disclosure` that change."""
    _drop_temp_tables(conn)
    conn.execute(sa.text("CREATE TEMP TABLE dc_supp (obs_id bigint PRIMARY KEY, rule text NOT NULL,"
                         " reason text NOT NULL)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_new (obs_id bigint PRIMARY KEY)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_equation (kind text, head_id bigint, partition_name text)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_member (kind text, head_id bigint, partition_name text,"
                         " obs_id bigint, is_head boolean, value double precision)"))
    conn.execute(sa.text(_PRIMARY), {"count_reason": PRIMARY_COUNT, "numerator_reason": PRIMARY_NUMERATOR,
                                     "denominator_reason": PRIMARY_DENOMINATOR})
    conn.execute(sa.text("INSERT INTO dc_new SELECT obs_id FROM dc_supp"))
    while True:
        conn.execute(sa.text("TRUNCATE dc_equation, dc_member"))
        conn.execute(sa.text(_AFFECTED_EQUATIONS))
        conn.execute(sa.text(_MEMBERS))
        conn.execute(sa.text("ANALYZE dc_member"))
        added = conn.execute(sa.text(_COMPLEMENTS), {"reason": SECONDARY}).scalars().all()
        if not added:
            break
        conn.execute(sa.text("TRUNCATE dc_new"))
        conn.execute(sa.text("INSERT INTO dc_new SELECT unnest(CAST(:ids AS bigint[]))"), {"ids": added})
    conn.execute(sa.text("""
        DELETE FROM disclosure d WHERE NOT EXISTS (
            SELECT 1 FROM dc_supp s WHERE s.obs_id = d.observation_id AND s.rule = d.rule AND s.reason = d.reason)"""))
    conn.execute(sa.text("""
        INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
        SELECT s.obs_id, o.indicator_code, s.rule, s.reason FROM dc_supp s JOIN observation o ON o.id = s.obs_id
        WHERE NOT EXISTS (SELECT 1 FROM disclosure d WHERE d.observation_id = s.obs_id)"""))
    total = conn.execute(sa.text("SELECT count(*) FROM dc_supp")).scalar_one()
    _drop_temp_tables(conn)
    return total


def _drop_temp_tables(conn: Connection) -> None:
    conn.execute(sa.text("DROP TABLE IF EXISTS " + ", ".join(_TEMP_TABLES)))


def set_partition(conn: Connection, name: str, total_code: str, part_codes: Sequence[str]) -> None:
    """Declare that the indicators `part_codes` sum to `total_code` (in every area and period), then
    recompute suppression. Replaces an earlier partition of the same name."""
    if total_code in part_codes:
        raise ValueError(f"partition {name!r}: the total {total_code} cannot also be one of its parts")
    if len(part_codes) < 2:
        raise ValueError(f"partition {name!r}: needs at least two parts")
    known = set(conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes)"),
                             {"codes": [total_code, *part_codes]}).scalars())
    unknown = sorted({total_code, *part_codes} - known)
    if unknown:
        raise ValueError(f"partition {name!r}: unknown indicators {', '.join(unknown)}; load the catalogue first")
    conn.execute(sa.text("DELETE FROM indicator_partition WHERE name = :name"), {"name": name})
    conn.execute(sa.text("""
        INSERT INTO indicator_partition (name, total_code, part_code)
        SELECT :name, :total, unnest(CAST(:parts AS text[]))"""),
        {"name": name, "total": total_code, "parts": list(part_codes)})
    refresh_disclosure(conn)


def list_partitions(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT name, min(total_code) AS total, array_agg(part_code ORDER BY part_code) AS parts
        FROM indicator_partition GROUP BY name ORDER BY name"""))
    return [dict(r._mapping) for r in rows]


def disclosure_summary(conn: Connection) -> list[dict]:
    """Suppressed observations per indicator, period and level, by rule (for stewards and the docs)."""
    rows = conn.execute(sa.text("""
        SELECT o.indicator_code, o.period, a.level_code,
               count(*) FILTER (WHERE d.rule = 'primary') AS primary,
               count(*) FILTER (WHERE d.rule = 'secondary') AS secondary
        FROM disclosure d
        JOIN observation o ON o.id = d.observation_id AND o.indicator_code = d.indicator_code
        JOIN area a ON a.id = o.area_id
        WHERE o.superseded_at IS NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""))
    return [dict(r._mapping) for r in rows]
