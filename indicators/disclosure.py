"""Statistical confidentiality (disclosure control): one model of which observations readers must not see and
of every relation through which published numbers could give a hidden one back (docs/trust.md).

`refresh_disclosure(conn)` recomputes the `disclosure` table; it runs inside every transaction that changes
observations, thresholds, publication or boundaries (`indicators.refresh.refresh_after_write`), after the
roll-ups. The view `observation_public` applies the table to every public output. The model:

- Primary suppression by the indicator's thresholds: a count between 1 and k-1 (count indicators), a
  numerator between 1 and k-1, or a denominator below m. `min_numerator` is k, `min_denominator` is m;
  NULL switches the rule off for that indicator.
- Relations (`RELATIONS`): every derivation the service publishes is an equation between cells that a reader
  can write down, and the secondary suppression sees all of them:
  `hierarchy`: a parent area's value and its child areas' values (same indicator and period, on every level):
  sums of counts, ratios of summed numerators and denominators, and weighted means (sum of w_i * x_i over
  the children whose weight is public, divided by the sum of those weights; a child whose weight is hidden
  does not enter the mean, so a mean never carries a hidden weight, see indicators/rollup.py);
  `partition`: a total and its complementary parts (`indicator_partition`, e.g. age groups summing to the
  population); `difference`: a change and the two states it is the difference of (C(t) = X(t) - X(q),
  where q is the base period the published values agree with).
  Values that are not derived by a relation (index values, aggregates over polygons, tiles, reports) are
  computed from public cells only, so they add no equation.
- Secondary suppression: an equation with exactly one unknown cell gives it away, so one more cell of it is
  hidden (for sums, partitions and means the smallest non-zero visible member that is not the head, else the
  head; for a difference the change itself first), repeated until no equation has exactly one unknown
  suppressed cell. Cells of unpublished indicators count as unknown (readers do not see them) but need no
  protection themselves: unpublishing is an editorial decision, suppression a confidentiality rule.
- Readers learn only *that* a cell is confidential: one reason text for every hidden cell, whether the rule
  or a complement hid it (`REASON`); the rule is kept for the statistics office (`disclosure_summary`).

Hand-written because no Python library does hierarchical cell suppression inside PostgreSQL (sdcTable/
tau-argus are R/Java tools that work on exported tables); the heuristic is set-based SQL over temporary
tables and only walks the equations that touch hidden cells, so it costs little even for millions of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import valid_at
from indicators.disclosure_audit import protection_gaps

REASON = ("Geheimhaltung: Wert gesperrt, damit kein kleiner Wert erkennbar oder zurückrechenbar ist"
          " / confidential: withheld so that no small value can be seen or recomputed")
RELATIONS = ("hierarchy", "partition", "difference")

_PRIMARY = """
    INSERT INTO dc_supp (obs_id, rule)
    SELECT o.id, 'primary'
    FROM observation o
    JOIN indicator i ON i.code = o.indicator_code
    WHERE o.superseded_at IS NULL
      AND (i.min_numerator IS NOT NULL OR i.min_denominator IS NOT NULL)
      AND ((i.kind = 'count' AND o.value > 0 AND o.value < i.min_numerator)
        OR (i.kind <> 'count' AND o.numerator > 0 AND o.numerator < i.min_numerator)
        OR (i.kind <> 'count' AND o.denominator < i.min_denominator))"""

# Readers do not see unpublished indicators: their cells are unknowns of every equation (not protected).
_UNPUBLISHED = """
    INSERT INTO dc_supp (obs_id, rule)
    SELECT o.id, 'unpublished' FROM observation o JOIN indicator i ON i.code = o.indicator_code AND NOT i.published
    WHERE o.superseded_at IS NULL AND o.value IS NOT NULL
    ON CONFLICT (obs_id) DO NOTHING"""

# For every change indicator, level and period: the base period q for which the published values come closest
# to C(t) = X(t) - X(q) (derived changes exactly, delivered ones up to their rounding). The catalogue declares C
# a change of X, so the best fitting base is taken as the reader would take it, however close it fits.
# In two steps: the changes with their current state first, counted (ANALYZE), then the candidate bases. In one
# statement the planner expected 50 change rows instead of 12,000 and looped over the base periods per row (0.6 s
# per write on the Berlin demo with its history; 0.15 s so).
_CHANGE_NOW = """
    CREATE TEMP TABLE dc_change_now AS
    SELECT c.indicator_code AS change_code, i.change_of, c.area_id, a.level_code, c.period, c.value AS change,
           x1.value AS now_value
    FROM observation c
    JOIN indicator i ON i.code = c.indicator_code AND i.kind = 'change' AND i.change_of IS NOT NULL
    JOIN area a ON a.id = c.area_id
    JOIN observation x1 ON x1.indicator_code = i.change_of AND x1.area_id = c.area_id AND x1.period = c.period
         AND x1.superseded_at IS NULL AND x1.value IS NOT NULL
    WHERE c.superseded_at IS NULL AND c.value IS NOT NULL"""
_CHANGE_BASES = """
    INSERT INTO dc_change_base (change_code, level_code, period, base)
    SELECT DISTINCT ON (change_code, level_code, period) change_code, level_code, period, base FROM (
        SELECT n.change_code, n.level_code, n.period, x0.period AS base,
               avg(abs(n.change - (n.now_value - x0.value))) AS error
        FROM dc_change_now n
        JOIN observation x0 ON x0.indicator_code = n.change_of AND x0.area_id = n.area_id AND x0.period < n.period
             AND x0.superseded_at IS NULL AND x0.value IS NOT NULL
        GROUP BY 1, 2, 3, 4) candidates
    ORDER BY change_code, level_code, period, error, base DESC"""

# The equations that contain a newly hidden cell, by relation, named by their head: the parent's, the total's
# or the change's observation (and the partition's name).
# A cell's one current observation of another area or period is looked up per row (LATERAL ... LIMIT 1, the key
# is unique among current rows): joined, the planner took the rows for few and probed every partition of
# observation by area alone, filtering 350,000-550,000 rows per round on the Berlin demo.
_AFFECTED_EQUATIONS = {
    "hierarchy": f"""
        SELECT 'h' AS kind, n.obs_id AS head_id, '' AS partition_name FROM dc_new n
        UNION ALL
        SELECT 'h', po.id, '' FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN area a ON a.id = o.area_id
        JOIN area_level l ON l.code = a.level_code
        JOIN area pa ON pa.level_code = l.parent_code AND pa.key = a.parent_key
             AND {valid_at("pa", "a.valid_from")}
        CROSS JOIN LATERAL (SELECT po.id FROM observation po WHERE po.indicator_code = o.indicator_code
                            AND po.area_id = pa.id AND po.period = o.period AND po.superseded_at IS NULL
                            LIMIT 1) po""",
    "partition": """
        SELECT 'p', n.obs_id, ip.name FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN (SELECT DISTINCT name, total_code FROM indicator_partition) ip ON ip.total_code = o.indicator_code
        UNION ALL
        SELECT 'p', t.id, ip.name FROM dc_new n
        JOIN observation o ON o.id = n.obs_id
        JOIN indicator_partition ip ON ip.part_code = o.indicator_code
        JOIN observation t ON t.indicator_code = ip.total_code AND t.area_id = o.area_id
             AND t.period = o.period AND t.superseded_at IS NULL""",
    "difference": """
        SELECT 'd', n.obs_id, '' FROM dc_new n
        JOIN observation c ON c.id = n.obs_id
        JOIN area a ON a.id = c.area_id
        JOIN dc_change_base b ON b.change_code = c.indicator_code AND b.level_code = a.level_code
             AND b.period = c.period
        UNION ALL
        SELECT 'd', c.id, '' FROM dc_new n
        JOIN observation x ON x.id = n.obs_id
        JOIN area a ON a.id = x.area_id
        JOIN indicator i ON i.change_of = x.indicator_code AND i.kind = 'change'
        JOIN dc_change_base b ON b.change_code = i.code AND b.level_code = a.level_code
             AND x.period IN (b.period, b.base)
        CROSS JOIN LATERAL (SELECT c.id FROM observation c WHERE c.indicator_code = i.code AND c.area_id = x.area_id
                            AND c.period = b.period AND c.superseded_at IS NULL LIMIT 1) c""",
}

# The cells of those equations that carry a value (missing or not assessed cells take no part), each with its
# coefficient where the equation has public coefficients (sums, partitions, weighted means, differences; NULL for
# ratios of sums and delivered parent shares, whose equations hold between numerators and denominators) and the
# order in which a complement is chosen among them (`preference`, lowest first): children and parts before their
# parent or total; a change before the two states it is the difference of.
_HEADS = """
    SELECT e.kind, e.head_id, e.partition_name, h.id AS obs_id, CASE WHEN e.kind = 'd' THEN 0 ELSE 1 END,
           h.value, CASE WHEN e.kind <> 'h' OR i.aggregation = 'sum' THEN -1
                         WHEN hd.rule = 'weighted_mean' AND hd.weight_sum > 0 THEN -hd.weight_sum END
    FROM dc_equation e
    JOIN observation h ON h.id = e.head_id AND h.value IS NOT NULL
    JOIN indicator i ON i.code = h.indicator_code
    LEFT JOIN observation_derivation hd ON hd.observation_id = h.id AND hd.indicator_code = h.indicator_code"""
_MEMBERS = {
    "hierarchy": f"""
        SELECT e.kind, e.head_id, e.partition_name, c.id, 0, c.value,
               CASE WHEN i.aggregation = 'sum' THEN 1
                    WHEN hd.rule = 'weighted_mean' THEN coalesce(cd.weight_sum, w.value) END
        FROM dc_equation e
        JOIN observation h ON h.id = e.head_id AND h.value IS NOT NULL
        JOIN indicator i ON i.code = h.indicator_code AND i.aggregation <> 'none'
        JOIN area pa ON pa.id = h.area_id
        JOIN area_level l ON l.parent_code = pa.level_code
        JOIN area ca ON ca.level_code = l.code AND ca.parent_key = pa.key
             AND {valid_at("pa", "ca.valid_from")}
        CROSS JOIN LATERAL (SELECT c.id, c.value, c.indicator_code, c.area_id FROM observation c
                            WHERE c.indicator_code = h.indicator_code AND c.area_id = ca.id AND c.period = h.period
                            AND c.superseded_at IS NULL AND c.value IS NOT NULL LIMIT 1) c
        LEFT JOIN observation_derivation hd ON hd.observation_id = h.id AND hd.indicator_code = h.indicator_code
        LEFT JOIN observation_derivation cd ON hd.rule = 'weighted_mean' AND cd.observation_id = c.id
             AND cd.indicator_code = c.indicator_code
        -- a weighted mean takes only the children whose weight was public when it was computed (looked up
        -- per child and only for weighted means: joined, the planner scanned every partition for every child)
        LEFT JOIN LATERAL (
            SELECT w.id, w.value FROM observation w
            WHERE hd.rule = 'weighted_mean' AND cd.weight_sum IS NULL
              AND w.indicator_code = hd.weight_indicator AND w.area_id = c.area_id AND w.period = hd.weight_period
              AND w.superseded_at IS NULL AND w.value > 0
              AND NOT EXISTS (SELECT 1 FROM disclosure d WHERE d.observation_id = w.id
                              AND d.indicator_code = w.indicator_code)
            LIMIT 1) w ON TRUE
        WHERE e.kind = 'h' AND (hd.rule IS DISTINCT FROM 'weighted_mean' OR cd.weight_sum > 0 OR w.id IS NOT NULL)""",
    "partition": """
        SELECT e.kind, e.head_id, e.partition_name, c.id, 0, c.value, 1
        FROM dc_equation e
        JOIN observation h ON h.id = e.head_id AND h.value IS NOT NULL
        JOIN indicator_partition ip ON ip.name = e.partition_name AND ip.total_code = h.indicator_code
        JOIN observation c ON c.indicator_code = ip.part_code AND c.area_id = h.area_id AND c.period = h.period
             AND c.superseded_at IS NULL AND c.value IS NOT NULL
        WHERE e.kind = 'p'""",
    "difference": """
        SELECT e.kind, e.head_id, e.partition_name, x.id, 1, x.value, CASE WHEN x.period = b.period THEN 1 ELSE -1 END
        FROM dc_equation e
        JOIN observation c ON c.id = e.head_id AND c.value IS NOT NULL
        JOIN area a ON a.id = c.area_id
        JOIN indicator i ON i.code = c.indicator_code
        JOIN dc_change_base b ON b.change_code = c.indicator_code AND b.level_code = a.level_code
             AND b.period = c.period
        JOIN observation x ON x.indicator_code = i.change_of AND x.area_id = c.area_id
             AND x.period IN (b.period, b.base) AND x.superseded_at IS NULL AND x.value IS NOT NULL
        WHERE e.kind = 'd'""",
}

# In every equation whose only unknown cell is a protected one, hide one more visible member (zeros protect
# little: a hidden 0 next to a hidden 2 still says "at most 2", so they come last).
_COMPLEMENTS = """
    WITH exposed AS (
        SELECT m.kind, m.head_id, m.partition_name
        FROM dc_member m JOIN dc_supp s ON s.obs_id = m.obs_id
        GROUP BY m.kind, m.head_id, m.partition_name
        HAVING count(*) = 1 AND bool_and(s.rule <> 'unpublished')
    ), complement AS (
        SELECT DISTINCT ON (m.kind, m.head_id, m.partition_name) m.obs_id
        FROM dc_member m JOIN exposed x USING (kind, head_id, partition_name)
        WHERE NOT EXISTS (SELECT 1 FROM dc_supp s WHERE s.obs_id = m.obs_id)
        ORDER BY m.kind, m.head_id, m.partition_name, m.preference, m.value = 0, abs(m.value), m.obs_id
    )
    SELECT DISTINCT obs_id FROM complement"""

_TEMP_TABLES = ("dc_supp", "dc_new", "dc_equation", "dc_member", "dc_change_base", "dc_change_now")


def refresh_disclosure(conn: Connection, relations: Sequence[str] = RELATIONS, audit: bool = True) -> int:
    """Recompute primary and secondary suppression over all current observations; returns the number of
    suppressed observations. Writes only the rows of `disclosure` that change.

    `relations` names the equations the secondary suppression protects against, `audit` adds the linear-
    programming audit (`indicators.disclosure_audit`) that widens every range narrower than its protection
    width; both are complete unless a test shows what a smaller model would leave open."""
    unknown = sorted(set(relations) - set(RELATIONS))
    if unknown:
        raise ValueError(f"unknown relations {unknown}; the model knows {', '.join(RELATIONS)}")
    _drop_temp_tables(conn)
    conn.execute(sa.text("CREATE TEMP TABLE dc_supp (obs_id bigint PRIMARY KEY, rule text NOT NULL)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_new (obs_id bigint PRIMARY KEY)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_equation (kind text, head_id bigint, partition_name text)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_member (kind text, head_id bigint, partition_name text,"
                         " obs_id bigint, preference smallint, value double precision, coefficient double precision)"))
    conn.execute(sa.text("CREATE TEMP TABLE dc_change_base (change_code text, level_code text, period date,"
                         " base date)"))
    conn.execute(sa.text(_PRIMARY))
    conn.execute(sa.text(_UNPUBLISHED))
    if "difference" in relations:
        conn.execute(sa.text(_CHANGE_NOW))
        conn.execute(sa.text("ANALYZE dc_change_now"))
        conn.execute(sa.text(_CHANGE_BASES))
        conn.execute(sa.text("ANALYZE dc_change_base"))
    affected = " UNION ALL ".join(_AFFECTED_EQUATIONS[r] for r in relations)
    members = " UNION ALL ".join([_HEADS, *(_MEMBERS[r] for r in relations)])
    added = conn.execute(sa.text("INSERT INTO dc_new SELECT obs_id FROM dc_supp RETURNING obs_id")).scalars().all()
    while added:
        _complete_equations(conn, affected, members)
        if audit:  # every equation of every unknown cell, with its coefficients
            conn.execute(sa.text("TRUNCATE dc_new"))
            conn.execute(sa.text("INSERT INTO dc_new SELECT obs_id FROM dc_supp"))
            _collect_equations(conn, affected, members)
            added = _hide(conn, protection_gaps(conn))
        else:
            added = []
    conn.execute(sa.text("DELETE FROM dc_supp WHERE rule = 'unpublished'"))
    conn.execute(sa.text("""
        DELETE FROM disclosure d WHERE NOT EXISTS (
            SELECT 1 FROM dc_supp s WHERE s.obs_id = d.observation_id AND s.rule = d.rule AND d.reason = :reason)"""),
        {"reason": REASON})
    conn.execute(sa.text("""
        INSERT INTO disclosure (observation_id, indicator_code, rule, reason)
        SELECT s.obs_id, o.indicator_code, s.rule, :reason FROM dc_supp s JOIN observation o ON o.id = s.obs_id
        WHERE NOT EXISTS (SELECT 1 FROM disclosure d WHERE d.observation_id = s.obs_id)"""), {"reason": REASON})
    total = conn.execute(sa.text("SELECT count(*) FROM dc_supp")).scalar_one()
    _drop_temp_tables(conn)
    return total


def _collect_equations(conn: Connection, affected: str, members: str) -> None:
    """dc_equation and dc_member: the equations that contain a cell of dc_new, and all their members."""
    conn.execute(sa.text("TRUNCATE dc_equation, dc_member"))
    # temporary tables have no statistics unless asked: unanalysed, the planner takes dc_new and dc_change_base
    # for small and joins every partition of observation per row (1.6 s of the first round on the Berlin demo)
    conn.execute(sa.text("ANALYZE dc_new"))
    conn.execute(sa.text(f"INSERT INTO dc_equation (kind, head_id, partition_name)"
                         f" SELECT DISTINCT kind, head_id, partition_name FROM ({affected}) e"))
    conn.execute(sa.text("ANALYZE dc_equation"))
    conn.execute(sa.text(f"INSERT INTO dc_member (kind, head_id, partition_name, obs_id, preference, value,"
                         f" coefficient) SELECT DISTINCT * FROM ({members}) m"))
    conn.execute(sa.text("ANALYZE dc_member"))


def _complete_equations(conn: Connection, affected: str, members: str) -> None:
    """The heuristic: until no equation's only unknown cell is a protected one, hide a complement in each such
    equation (walking only the equations that contain a cell hidden in the round before, `dc_new`)."""
    while True:
        _collect_equations(conn, affected, members)
        if not _hide(conn, conn.execute(sa.text(_COMPLEMENTS)).scalars().all()):
            return


def _hide(conn: Connection, cells: Sequence[int]) -> list[int]:
    """Hide `cells` as complements; they become the next round's `dc_new`. Returns those not hidden before."""
    added = conn.execute(sa.text("""
        INSERT INTO dc_supp (obs_id, rule) SELECT unnest(CAST(:ids AS bigint[])), 'secondary'
        ON CONFLICT (obs_id) DO NOTHING RETURNING obs_id"""), {"ids": list(cells)}).scalars().all()
    conn.execute(sa.text("TRUNCATE dc_new"))
    conn.execute(sa.text("INSERT INTO dc_new SELECT unnest(CAST(:ids AS bigint[]))"), {"ids": added})
    return added


def _drop_temp_tables(conn: Connection) -> None:
    conn.execute(sa.text("DROP TABLE IF EXISTS " + ", ".join(_TEMP_TABLES)))


def hidden_weights(conn: Connection) -> set[int]:
    """Observation ids of the suppressed cells of weight indicators (the weights weighted means must skip)."""
    return set(conn.execute(sa.text("""
        SELECT d.observation_id FROM disclosure d
        WHERE d.indicator_code IN (SELECT DISTINCT weight_indicator FROM observation_derivation
                                   WHERE rule = 'weighted_mean')""")).scalars())


class PartitionError(ValueError):
    """A partition that cannot be declared (its total among its parts, fewer than two parts, unknown codes)."""


def set_partition(conn: Connection, name: str, total_code: str, part_codes: Sequence[str]) -> None:
    """Declare that the indicators `part_codes` sum to `total_code` (in every area and period). Replaces an
    earlier partition of the same name; the caller recomputes disclosure (`refresh_after_write`)."""
    if total_code in part_codes:
        raise PartitionError(f"partition {name!r}: the total {total_code} cannot also be one of its parts")
    if len(part_codes) < 2:
        raise PartitionError(f"partition {name!r}: needs at least two parts")
    known = set(conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes)"),
                             {"codes": [total_code, *part_codes]}).scalars())
    unknown = sorted({total_code, *part_codes} - known)
    if unknown:
        raise PartitionError(f"partition {name!r}: unknown indicators {', '.join(unknown)}; load the catalogue first")
    conn.execute(sa.text("DELETE FROM indicator_partition WHERE name = :name"), {"name": name})
    conn.execute(sa.text("""
        INSERT INTO indicator_partition (name, total_code, part_code)
        SELECT :name, :total, unnest(CAST(:parts AS text[]))"""),
        {"name": name, "total": total_code, "parts": list(part_codes)})


def list_partitions(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT name, min(total_code) AS total, array_agg(part_code ORDER BY part_code) AS parts
        FROM indicator_partition GROUP BY name ORDER BY name"""))
    return [dict(r._mapping) for r in rows]


def disclosure_summary(conn: Connection) -> list[dict]:
    """Suppressed observations per indicator, period and level, by rule (for the statistics office)."""
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
