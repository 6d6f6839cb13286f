"""Roll-up of observations along the area hierarchy (Planungsraum -> Bezirksregion -> Prognoseraum ->
Bezirk -> Stadt), stored as derived observations (docs/methods.md section 5).

Rules, chosen per indicator and group of child areas:
- `sum`: counts (aggregation `sum`) add up. A sum that lacks a child (missing, not assessed) or contains an
  incomplete partial sum keeps its value but is flagged `incomplete`, so it is never silently lower.
- `ratio_of_sums`: shares and rates whose children all carry numerator and denominator are recomputed as
  scale * sum(numerators) / sum(denominators), never averaged.
- `weighted_mean`: where only the shares exist (the Berlin MSS publishes shares only), the population-weighted
  mean with the indicator's weight (default EW) of the same period, else of the nearest period (recorded).
  Only public weights are used: a child whose weight cell statistical confidentiality hides stays out of the
  mean (the parent is then not `complete`), because a mean over a hidden weight is one more equation in it
  for every share indicator (docs/trust.md). The sum of the weights used is recorded (`weight_sum`, not
  published) for disclosure control.
- `difference`: changes (e.g. D1 = S1 now minus S1 two years before) as the difference of the rolled-up values
  of both periods; left out when either is missing.

Derived rows live in `observation` under an import_batch of kind 'rollup' and are described, row by row, in
`observation_derivation` (rule, weight, children used of children total, complete). Published values on a level
always win over derived ones. `refresh_rollups` runs inside every transaction that changes observations, rules or
boundaries (`indicators.refresh`), before disclosure control, and reads the hidden weights from the `disclosure`
table; it recomputes everything set-based in SQL and touches only rows that change.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.levels import list_levels
from geo.versions import valid_at
from indicators.catalogue import population_indicator
from indicators.partitions import analyse_new_partitions, ensure_partitions

ROLLUP_BATCH_KIND = "rollup"
EQUAL_WITHIN = 1e-9  # a recomputed value this close to the stored one is unchanged (summation order)
CHANGE_BASE_TOLERANCE = 0.01  # mean |C - (X_p - X_q)| over the children accepted as "C is the change of X since q"

_NEW_TABLE = """
    CREATE TEMP TABLE rollup_new (
        level_code text, indicator_code text, area_id bigint, period date, value double precision,
        numerator double precision, denominator double precision, flag text, flag_reason text, rule text,
        source_level text, weight_indicator text, weight_period date, base_period date,
        children_total integer, children_used integer, complete boolean, weight_sum double precision,
        child_version date
    ) ON COMMIT DROP"""

# The tables one step (child level -> parent level) works on, made once per step as temporary tables and
# analysed, so that the step's queries are planned on real row counts (as CTEs, `link` was estimated at one
# row and everything joined to it as nested loops over every partition of observation):
# child_values: values on the child level, published rows plus what this refresh derived for that level;
# link: child area -> parent area (of the boundary version the child was cut from); family: children per
# parent and version; published_parent: what is published on the parent level (published values win).
_STEP_TABLES = {
    "child_values": """
        SELECT o.indicator_code, o.area_id, o.period, o.value, o.numerator, o.denominator, TRUE AS complete,
               NULL::double precision AS weight_sum
        FROM observation o JOIN area a ON a.id = o.area_id AND a.level_code = :child
        WHERE o.superseded_at IS NULL {in_scope}
          AND NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = o.import_batch_id AND b.kind = 'rollup')
        UNION ALL
        SELECT n.indicator_code, n.area_id, n.period, n.value, n.numerator, n.denominator, n.complete, n.weight_sum
        FROM rollup_new n WHERE n.level_code = :child""",
    "link": f"""
        SELECT c.id AS child_id, p.id AS parent_id, c.valid_from AS version
        FROM area c
        JOIN area p ON p.level_code = :parent AND p.key = c.parent_key
             AND {valid_at("p", "c.valid_from")}
        WHERE c.level_code = :child""",
    "family": "SELECT parent_id, version, count(*)::int AS n FROM link GROUP BY parent_id, version",
    "published_parent": """
        SELECT o.indicator_code, o.area_id, o.period FROM observation o
        JOIN area a ON a.id = o.area_id AND a.level_code = :parent
        WHERE o.superseded_at IS NULL {in_scope}
          AND NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = o.import_batch_id AND b.kind = 'rollup')""",
}


# Restricts the observations read to the indicators of this refresh (`rollup_scope`), when it has a scope.
_IN_SCOPE = "AND o.indicator_code IN (SELECT code FROM rollup_scope)"


def _prepare_step(conn: Connection, child: str, parent: str, scoped: bool) -> None:
    for name, query in _STEP_TABLES.items():
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        query = query.replace("{in_scope}", _IN_SCOPE if scoped else "")
        conn.execute(sa.text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}"), {"child": child, "parent": parent})
        conn.execute(sa.text(f"ANALYZE {name}"))


_NOT_PUBLISHED = """NOT EXISTS (SELECT 1 FROM published_parent pp WHERE pp.indicator_code = v.indicator_code
                                    AND pp.area_id = l.parent_id AND pp.period = v.period)"""

_INSERT = """INSERT INTO rollup_new (level_code, indicator_code, area_id, period, value, numerator, denominator, flag,
                                flag_reason, rule, source_level, weight_indicator, weight_period, base_period,
                                children_total, children_used, complete, weight_sum, child_version)"""

_SUMS = f"""
    {_INSERT}
    SELECT :parent, v.indicator_code, l.parent_id, v.period, sum(v.value), NULL, NULL,
           CASE WHEN count(v.value) < f.n OR NOT bool_and(v.complete) THEN 'incomplete' END,
           CASE WHEN count(v.value) < f.n OR NOT bool_and(v.complete) THEN
               format('Summe über %s von %s Teilräumen%s / sum over %s of %s sub-areas%s',
                      count(v.value), f.n,
                      CASE WHEN bool_and(v.complete) THEN '' ELSE ', mit unvollständigen Teilsummen' END,
                      count(v.value), f.n, CASE WHEN bool_and(v.complete) THEN '' ELSE ', some of them incomplete' END)
           END,
           'sum', :child, NULL, NULL, NULL, f.n, count(v.value)::int,
           count(v.value) = f.n AND bool_and(v.complete), NULL, l.version
    FROM child_values v
    JOIN indicator i ON i.code = v.indicator_code AND i.aggregation = 'sum'
    JOIN link l ON l.child_id = v.area_id
    JOIN family f ON f.parent_id = l.parent_id AND f.version = l.version
    WHERE {_NOT_PUBLISHED}
    GROUP BY v.indicator_code, l.parent_id, v.period, l.version, f.n
    HAVING count(v.value) > 0"""

_RATIOS = f"""
    WITH scale AS (
        SELECT indicator_code,
               power(10, round(log(percentile_cont(0.5) WITHIN GROUP (ORDER BY value * denominator / numerator))))
               AS factor
        FROM child_values WHERE numerator > 0 AND denominator > 0 AND value > 0
        GROUP BY indicator_code
    )
    {_INSERT}
    SELECT :parent, v.indicator_code, l.parent_id, v.period,
           s.factor * sum(v.numerator) / sum(v.denominator), sum(v.numerator), sum(v.denominator), NULL, NULL,
           'ratio_of_sums', :child, NULL, NULL, NULL, f.n, count(v.value)::int,
           count(v.value) = f.n AND bool_and(v.complete), NULL, l.version
    FROM child_values v
    JOIN indicator i ON i.code = v.indicator_code AND i.aggregation IN ('ratio', 'weighted_mean')
         AND i.kind IN ('share', 'rate')
    JOIN scale s ON s.indicator_code = v.indicator_code
    JOIN link l ON l.child_id = v.area_id
    JOIN family f ON f.parent_id = l.parent_id AND f.version = l.version
    WHERE {_NOT_PUBLISHED}
    GROUP BY v.indicator_code, l.parent_id, v.period, l.version, f.n, s.factor
    HAVING count(v.value) > 0 AND count(v.value) = count(v.numerator) AND count(v.value) = count(v.denominator)
       AND sum(v.denominator) > 0"""

_WEIGHTED_MEANS = f"""
    WITH used AS (
        SELECT v.indicator_code, v.period, v.area_id, v.value, v.complete AND w.complete AS complete,
               CASE WHEN v.weight_sum IS NOT NULL THEN v.weight_sum
                    WHEN h.area_id IS NOT NULL THEN NULL  -- a hidden weight: the child stays out of the mean
                    ELSE w.value END AS weight,
               rw.weight_indicator, rw.weight_period
        FROM child_values v
        JOIN link lv ON lv.child_id = v.area_id
        JOIN rollup_weight rw ON rw.indicator_code = v.indicator_code AND rw.period = v.period
             AND rw.version = lv.version
        JOIN child_values w ON w.indicator_code = rw.weight_indicator AND w.period = rw.weight_period
             AND w.area_id = v.area_id
        LEFT JOIN rollup_hidden_weight h ON h.indicator_code = w.indicator_code AND h.area_id = w.area_id
             AND h.period = w.period
    )
    {_INSERT}
    SELECT :parent, v.indicator_code, l.parent_id, v.period,
           sum(v.value * v.weight) FILTER (WHERE v.value IS NOT NULL)
               / sum(v.weight) FILTER (WHERE v.value IS NOT NULL),
           NULL, NULL, NULL, NULL,
           'weighted_mean', :child, v.weight_indicator, v.weight_period, NULL, f.n,
           count(*) FILTER (WHERE (v.value IS NOT NULL AND v.weight IS NOT NULL) OR v.weight = 0)::int,
           count(*) FILTER (WHERE (v.value IS NOT NULL AND v.weight IS NOT NULL) OR v.weight = 0) = f.n
               AND bool_and(v.complete),
           sum(v.weight) FILTER (WHERE v.value IS NOT NULL), l.version
    FROM used v
    JOIN link l ON l.child_id = v.area_id
    JOIN family f ON f.parent_id = l.parent_id AND f.version = l.version
    WHERE {_NOT_PUBLISHED}
      AND NOT EXISTS (SELECT 1 FROM rollup_new n WHERE n.indicator_code = v.indicator_code
                      AND n.area_id = l.parent_id AND n.period = v.period)
    GROUP BY v.indicator_code, l.parent_id, v.period, l.version, f.n, v.weight_indicator, v.weight_period
    HAVING sum(v.weight) FILTER (WHERE v.value IS NOT NULL) > 0"""

# The weight cells disclosure control hides, by key (a weight rolled up in this refresh has no id yet).
_HIDDEN_WEIGHTS = """
    CREATE TEMP TABLE rollup_hidden_weight ON COMMIT DROP AS
    SELECT o.indicator_code, o.area_id, o.period
    FROM disclosure d JOIN observation o ON o.id = d.observation_id AND o.indicator_code = d.indicator_code
    WHERE o.superseded_at IS NULL AND d.indicator_code IN (
        SELECT weight_indicator FROM indicator
        WHERE aggregation IN ('ratio', 'weighted_mean') AND kind IN ('share', 'rate') AND weight_indicator IS NOT NULL
        UNION  -- a share without a weight of its own is weighted by its level's population
        SELECT p FROM unnest(CAST(:populations AS text[])) p WHERE EXISTS (
            SELECT 1 FROM indicator WHERE aggregation IN ('ratio', 'weighted_mean') AND kind IN ('share', 'rate')
              AND weight_indicator IS NULL))"""

# Values of X on the parent level (published or just derived) for C = X(p) - X(q).
# Made once per step (before the differences, which read only non-change values), not once per change and period.
_PARENT_VALUES = """
    CREATE TEMP TABLE parent_values ON COMMIT DROP AS
    SELECT o.indicator_code, o.area_id, o.period, o.value, TRUE AS complete, NULL::int AS used, NULL::int AS total
    FROM observation o JOIN published_parent pp ON pp.indicator_code = o.indicator_code
         AND pp.area_id = o.area_id AND pp.period = o.period
    WHERE o.superseded_at IS NULL AND o.indicator_code IN (SELECT change_of FROM indicator)
    UNION ALL
    SELECT n.indicator_code, n.area_id, n.period, n.value, n.complete, n.children_used, n.children_total
    FROM rollup_new n WHERE n.level_code = :parent AND n.indicator_code IN (SELECT change_of FROM indicator)"""

# One target row per parent: a parent whose children come in two boundary versions has two families; the
# difference counts the children of the version its current value was rolled up from (else the larger family).
_DIFFERENCES = f"""
    WITH targets AS (SELECT l.parent_id, max(f.n) AS n FROM link l JOIN family f USING (parent_id, version)
                     GROUP BY l.parent_id)
    {_INSERT}
    SELECT :parent, :change, t.parent_id, :period, now_.value - base.value, NULL, NULL, NULL, NULL,
           'difference', :child, NULL, NULL, :base, coalesce(now_.total, t.n),
           coalesce(least(now_.used, base.used), now_.total, t.n),
           now_.complete AND base.complete, NULL, NULL
    FROM targets t
    JOIN parent_values now_ ON now_.area_id = t.parent_id AND now_.indicator_code = :of AND now_.period = :period
    JOIN parent_values base ON base.area_id = t.parent_id AND base.indicator_code = :of AND base.period = :base
    WHERE now_.value IS NOT NULL AND base.value IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM published_parent pp WHERE pp.indicator_code = :change
                      AND pp.area_id = t.parent_id AND pp.period = :period)"""


def refresh_rollups(conn: Connection, indicators: Collection[str] | None = None) -> int:
    """Recompute the derived observations of every level above the finest; returns rows inserted or changed.

    `indicators`: the indicators whose observations the caller wrote (an observation import or its undo); only
    the roll-ups that can depend on them are recomputed (`rollup_scope`), the others stay as they are. None
    (boundaries, rules, definitions changed) recomputes every indicator."""
    steps = _level_steps(conn)
    if not steps:
        return 0
    scoped = indicators is not None
    populations = _level_populations(conn)  # what weights a share without a weight of its own, read once
    if scoped:
        _make_scope(conn, indicators, populations)
    analyse_new_partitions(conn)  # partitions this import loaded are joined below
    conn.execute(sa.text("DROP TABLE IF EXISTS rollup_new"))
    conn.execute(sa.text(_NEW_TABLE))
    # Each step's queries ask "is this value derived already?" of everything derived so far: without an index and
    # fresh statistics the planner takes rollup_new for empty and scans it once per candidate row (a minute on
    # the Berlin demo with its history; seconds with both).
    conn.execute(sa.text("CREATE INDEX ON rollup_new (indicator_code, area_id, period)"))
    conn.execute(sa.text("DROP TABLE IF EXISTS rollup_weight"))
    conn.execute(sa.text("""
        CREATE TEMP TABLE rollup_weight (indicator_code text, period date, version date, weight_indicator text,
                                         weight_period date) ON COMMIT DROP"""))
    conn.execute(sa.text("DROP TABLE IF EXISTS rollup_hidden_weight"))
    conn.execute(sa.text(_HIDDEN_WEIGHTS), {"populations": populations})
    for child, parent in steps:
        params = {"child": child, "parent": parent}
        _prepare_step(conn, child, parent, scoped)
        conn.execute(sa.text(_SUMS), params)
        conn.execute(sa.text(_RATIOS), params)
        _choose_weight_periods(conn, child)
        conn.execute(sa.text("ANALYZE rollup_new"))
        conn.execute(sa.text(_WEIGHTED_MEANS), params)
        _keep_one_per_value(conn, parent)
        bases = _change_bases(conn)
        if bases:
            conn.execute(sa.text("DROP TABLE IF EXISTS parent_values"))
            conn.execute(sa.text(_PARENT_VALUES), params)
            conn.execute(sa.text("CREATE INDEX ON parent_values (indicator_code, period, area_id)"))
            conn.execute(sa.text("ANALYZE parent_values"))
        for change, of, period, base in bases:
            conn.execute(sa.text(_DIFFERENCES), {**params, "change": change, "of": of, "period": period,
                                                 "base": base})
        _keep_one_per_value(conn, parent)
    return _apply(conn, scoped)


def _make_scope(conn: Connection, written: Collection[str], populations: list[str]) -> None:
    """rollup_scope: the indicators whose roll-ups may change when observations of `written` change (those
    indicators, the shares weighted by one of them, the changes of one of them), plus what their roll-ups read
    (the weights of the weighted ones, the states a change is the difference of), so that each is recomputed
    completely, exactly as a refresh of everything would."""
    rows = [(code, ({weight} if weight else set(populations)) if weighted else set(), change_of)
            for code, weighted, weight, change_of in conn.execute(sa.text("""
                SELECT code, aggregation IN ('ratio', 'weighted_mean') AND kind IN ('share', 'rate'),
                       weight_indicator, change_of FROM indicator""")).all()]
    # affected: what depends on something in scope (any depth: a change of a weighted share); then the inputs:
    # what the roll-ups of the scope read
    scope = _closure(set(written), lambda scope: {code for code, weights, change_of in rows
                                                  if weights & scope or change_of in scope})
    scope = _closure(scope, lambda scope: {x for code, weights, change_of in rows if code in scope
                                           for x in (*weights, change_of) if x})
    conn.execute(sa.text("DROP TABLE IF EXISTS rollup_scope"))
    conn.execute(sa.text("CREATE TEMP TABLE rollup_scope (code text PRIMARY KEY) ON COMMIT DROP"))
    if scope:
        conn.execute(sa.text("INSERT INTO rollup_scope SELECT unnest(CAST(:codes AS text[]))"),
                     {"codes": sorted(scope)})
    conn.execute(sa.text("ANALYZE rollup_scope"))


def _level_populations(conn: Connection) -> list[str]:
    """The population counts of all levels (declared, or the weight most shares name): what weights a share that
    names no weight of its own, on the level it is rolled up from."""
    return sorted({code for level in list_levels(conn) if (code := population_indicator(conn, level.code))})


def _closure(start: set[str], step) -> set[str]:
    """`start` grown by `step(scope)` until it no longer grows."""
    scope = start
    while (grown := scope | step(scope)) != scope:
        scope = grown
    return scope


# One derived row per (indicator, parent area, period). A parent whose validity spans two boundary versions of
# its children (Berlin's boroughs over the forecast areas until 2020 and from 2021) gets one candidate per child
# version; summing across versions would count the same people twice (docs/history.md). The newer child version
# wins (children of different versions are not comparable by number). Done after each step, before the next level
# reads it.
_KEEP_ONE = """
    DELETE FROM rollup_new n USING (
        SELECT ctid, row_number() OVER (PARTITION BY indicator_code, area_id, period
                                        ORDER BY child_version DESC NULLS LAST, children_used DESC) AS rank
        FROM rollup_new WHERE level_code = :level) d
    WHERE n.ctid = d.ctid AND d.rank > 1"""


def _keep_one_per_value(conn: Connection, level: str) -> None:
    conn.execute(sa.text(_KEEP_ONE), {"level": level})


def _level_steps(conn: Connection) -> list[tuple[str, str]]:
    """(child, parent) level pairs, finest first, so that each level is rolled up from complete children."""
    rows = conn.execute(sa.text(
        "SELECT code, parent_code FROM area_level WHERE parent_code IS NOT NULL ORDER BY rank")).all()
    return [(code, parent) for code, parent in rows]


def _child_periods(conn: Connection) -> dict[tuple[str, date], list[date]]:
    """Periods per (indicator, child boundary version): weights are chosen on the version of the values."""
    rows = conn.execute(sa.text("""
        SELECT DISTINCT v.indicator_code, l.version, v.period FROM child_values v
        JOIN link l ON l.child_id = v.area_id""")).all()
    periods: dict[tuple[str, date], list[date]] = {}
    for code, version, period in rows:
        periods.setdefault((code, version), []).append(period)
    return periods


def _choose_weight_periods(conn: Connection, child: str) -> None:
    """Weight of each (indicator, period) to be averaged: the weight indicator of the same period, else of the
    nearest period (later wins a tie); recorded in the derivation of every row."""
    conn.execute(sa.text("TRUNCATE rollup_weight"))
    periods = _child_periods(conn)
    rows = conn.execute(sa.text("""
        SELECT code, coalesce(weight_indicator, :population) FROM indicator
        WHERE aggregation IN ('ratio', 'weighted_mean') AND kind IN ('share', 'rate')"""),
        {"population": population_indicator(conn, child)}).all()
    chosen = []
    versions = {version for _code, version in periods}
    for code, weight in rows:
        for version in versions:
            available = periods.get((weight, version), [])
            if not available:
                continue
            for period in periods.get((code, version), []):
                nearest = min(available, key=lambda p: (abs((p - period).days), -p.toordinal()))
                chosen.append({"code": code, "period": period, "version": version, "weight": weight,
                               "weight_period": nearest})
    if chosen:
        conn.execute(sa.text("INSERT INTO rollup_weight VALUES (:code, :period, :version, :weight, :weight_period)"),
                     chosen)


def _change_bases(conn: Connection) -> list[tuple[str, str, date, date]]:
    """(change indicator, its base indicator, period, base period) for changes found on the child level.

    The base period q is the one for which the children's published changes equal X(p) - X(q); a change
    whose base cannot be identified this way is left out rather than guessed."""
    rows = conn.execute(sa.text("""
        SELECT c.indicator_code, i.change_of, c.period, xq.period AS base,
               avg(abs(c.value - (xp.value - xq.value))) AS error
        FROM child_values c
        JOIN indicator i ON i.code = c.indicator_code AND i.kind = 'change' AND i.change_of IS NOT NULL
        JOIN child_values xp ON xp.indicator_code = i.change_of AND xp.area_id = c.area_id AND xp.period = c.period
        JOIN child_values xq ON xq.indicator_code = i.change_of AND xq.area_id = c.area_id AND xq.period < c.period
        WHERE c.value IS NOT NULL AND xp.value IS NOT NULL AND xq.value IS NOT NULL
        GROUP BY c.indicator_code, i.change_of, c.period, xq.period
        ORDER BY c.indicator_code, c.period, error""")).all()
    best: dict[tuple[str, date], tuple[str, str, date, date]] = {}
    for change, of, period, base, error in rows:
        if (change, period) not in best and error <= CHANGE_BASE_TOLERANCE:
            best[(change, period)] = (change, of, period, base)
    return list(best.values())


def _apply(conn: Connection, scoped: bool) -> int:
    """Make the stored derived rows equal to rollup_new (of the indicators in rollup_scope, if `scoped`),
    touching only rows that differ."""
    conn.execute(sa.text("""
        DELETE FROM rollup_new n USING (
            SELECT ctid, row_number() OVER (PARTITION BY indicator_code, area_id, period
                                            ORDER BY child_version DESC NULLS LAST, children_used DESC) AS rank
            FROM rollup_new) d
        WHERE n.ctid = d.ctid AND d.rank > 1"""))
    conn.execute(sa.text("ANALYZE rollup_new"))
    # A left join, not "OR NOT EXISTS": the planner scanned every observation partition once per roll-up batch
    # with the OR (0.7 s per write on the Berlin demo with its history; 0.08 s so). rollup_new holds one row per
    # key here, so the join adds no rows.
    stale = """
        FROM observation o JOIN import_batch b ON b.id = o.import_batch_id AND b.kind = 'rollup'
        LEFT JOIN rollup_new n ON n.indicator_code = o.indicator_code AND n.area_id = o.area_id
             AND n.period = o.period
        WHERE (o.superseded_at IS NOT NULL OR n.area_id IS NULL)""" + (
        " " + _IN_SCOPE if scoped else "")
    removed = conn.execute(sa.text("SELECT count(*) " + stale)).scalar_one()
    if removed:  # a statement that deletes nothing would still bump data_version (statement trigger)
        conn.execute(sa.text("DELETE FROM observation WHERE id IN (SELECT o.id " + stale + ")"))
    changed = conn.execute(sa.text("""
        SELECT count(*) FROM rollup_new n
        WHERE NOT EXISTS (
            SELECT 1 FROM observation o
            JOIN observation_derivation d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
            WHERE o.superseded_at IS NULL AND o.indicator_code = n.indicator_code AND o.area_id = n.area_id
              AND o.period = n.period
              AND (o.value IS NULL) = (n.value IS NULL)
              AND coalesce(abs(o.value - n.value), 0) <= :eps * greatest(1.0, abs(n.value))
              AND o.numerator IS NOT DISTINCT FROM n.numerator
              AND o.denominator IS NOT DISTINCT FROM n.denominator AND o.flag IS NOT DISTINCT FROM n.flag
              AND o.flag_reason IS NOT DISTINCT FROM n.flag_reason AND d.rule = n.rule
              AND d.weight_indicator IS NOT DISTINCT FROM n.weight_indicator
              AND d.weight_period IS NOT DISTINCT FROM n.weight_period
              AND d.base_period IS NOT DISTINCT FROM n.base_period
              AND d.children_total = n.children_total AND d.children_used = n.children_used
              AND d.complete = n.complete
              AND (d.weight_sum IS NULL) = (n.weight_sum IS NULL)
              AND coalesce(abs(d.weight_sum - n.weight_sum), 0) <= :eps * greatest(1.0, abs(n.weight_sum)))"""),
        {"eps": EQUAL_WITHIN}).scalar_one()
    if changed:
        _write_changes(conn, changed)
    unused = """
        FROM import_batch b WHERE b.kind = 'rollup'
          AND NOT EXISTS (SELECT 1 FROM observation o WHERE o.import_batch_id = b.id)
          AND NOT EXISTS (SELECT 1 FROM observation o WHERE o.superseded_by_batch = b.id)"""
    if conn.execute(sa.text("SELECT count(*) " + unused)).scalar_one():
        conn.execute(sa.text("DELETE FROM import_batch WHERE id IN (SELECT b.id " + unused + ")"))
    return changed + removed


def _write_changes(conn: Connection, changed: int) -> None:
    batch = conn.execute(sa.text("""
        INSERT INTO import_batch (kind, file_name, sha256, created_by, options, rows_written)
        VALUES ('rollup', 'roll-up along the area hierarchy', '', 'system',
                '{"rules": "docs/methods.md section 5: sum | ratio_of_sums | weighted_mean | difference"}'::jsonb,
                :changed)
        RETURNING id"""), {"changed": changed}).scalar_one()
    conn.execute(sa.text("""
        UPDATE observation o SET value = n.value, numerator = n.numerator, denominator = n.denominator,
               flag = n.flag, flag_reason = n.flag_reason, import_batch_id = :batch
        FROM rollup_new n, import_batch b
        WHERE b.id = o.import_batch_id AND b.kind = 'rollup' AND o.superseded_at IS NULL
          AND o.indicator_code = n.indicator_code AND o.area_id = n.area_id AND o.period = n.period
          AND ((o.value IS NULL) <> (n.value IS NULL) OR abs(o.value - n.value) > :eps * greatest(1.0, abs(n.value))
               OR o.numerator IS DISTINCT FROM n.numerator
               OR o.denominator IS DISTINCT FROM n.denominator OR o.flag IS DISTINCT FROM n.flag
               OR o.flag_reason IS DISTINCT FROM n.flag_reason)"""), {"batch": batch, "eps": EQUAL_WITHIN})
    ensure_partitions(conn, conn.execute(sa.text("SELECT DISTINCT indicator_code FROM rollup_new")).scalars())
    conn.execute(sa.text("""
        INSERT INTO observation (indicator_code, area_id, period, value, numerator, denominator, flag, flag_reason,
                                 import_batch_id)
        SELECT n.indicator_code, n.area_id, n.period, n.value, n.numerator, n.denominator,
               CASE WHEN n.value IS NULL AND n.flag IS NULL THEN 'missing' ELSE n.flag END, n.flag_reason, :batch
        FROM rollup_new n
        WHERE NOT EXISTS (SELECT 1 FROM observation o WHERE o.superseded_at IS NULL
                          AND o.indicator_code = n.indicator_code AND o.area_id = n.area_id
                          AND o.period = n.period)"""), {"batch": batch})
    conn.execute(sa.text("""
        INSERT INTO observation_derivation (observation_id, indicator_code, rule, source_level, weight_indicator,
                                            weight_period, base_period, children_total, children_used, complete,
                                            weight_sum)
        SELECT o.id, o.indicator_code, n.rule, n.source_level, n.weight_indicator, n.weight_period, n.base_period,
               n.children_total, n.children_used, n.complete, n.weight_sum
        FROM rollup_new n
        JOIN observation o ON o.superseded_at IS NULL AND o.indicator_code = n.indicator_code
             AND o.area_id = n.area_id AND o.period = n.period
        JOIN import_batch b ON b.id = o.import_batch_id AND b.kind = 'rollup'
        ON CONFLICT (observation_id) DO UPDATE SET rule = EXCLUDED.rule, source_level = EXCLUDED.source_level,
            weight_indicator = EXCLUDED.weight_indicator, weight_period = EXCLUDED.weight_period,
            base_period = EXCLUDED.base_period, children_total = EXCLUDED.children_total,
            children_used = EXCLUDED.children_used, complete = EXCLUDED.complete,
            weight_sum = EXCLUDED.weight_sum"""))


def derivation_sql() -> str:
    """(observation_id, derivation jsonb) of derived rows, for outputs that state how a value was computed.
    Join it on `observation_public.id` / `observation_current.id`; published rows have no derivation."""
    return """
        SELECT d.observation_id, jsonb_strip_nulls(jsonb_build_object(
            'rule', d.rule, 'source_level', d.source_level, 'weight_indicator', d.weight_indicator,
            'weight_period', d.weight_period, 'base_period', d.base_period, 'children_total', d.children_total,
            'children_used', d.children_used, 'complete', d.complete)) AS derivation
        FROM observation_derivation d"""


def list_derivations(conn: Connection, level: str, indicator_code: str | None = None,
                     period: date | None = None, unsuppressed: bool = False) -> list[dict]:
    """How the values of one level were derived: one row per area, indicator and period (derived rows only)."""
    from indicators.observation_source import observation_source

    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, o.indicator_code AS indicator, o.period, o.value, o.flag, o.flag_reason,
               d.rule, d.source_level, d.weight_indicator, d.weight_period, d.base_period,
               d.children_total, d.children_used, d.complete
        FROM {observation_source(unsuppressed)} o
        JOIN observation_derivation d ON d.observation_id = o.id
        JOIN area a ON a.id = o.area_id AND a.level_code = :level
        WHERE (CAST(:code AS text) IS NULL OR o.indicator_code = :code)
          AND (CAST(:period AS date) IS NULL OR o.period = :period)
        ORDER BY o.indicator_code, o.period DESC, a.key"""),
        {"level": level, "code": indicator_code, "period": period})
    return [dict(r._mapping) for r in rows]
