"""Reading current indicator values: per period as feature properties, per area as a profile, and periods.

Only current (not superseded) observations are read here.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import current_version_from, valid_at
from indicators.catalogue import latest_period, list_periods
from indicators.observation_source import observation_source
from indicators.version_memo import per_data_version

PROPERTIES_LOCK = 5_000_005  # advisory lock namespace of the feature properties cache


def period_properties_sql(unsuppressed: bool = False) -> str:
    """(area_id, properties jsonb) for one `%(period)s` and the areas of `%(level)s` valid at `%(at)s`.

    Properties are flat: key, name, level, parent_key, period; one per indicator (its value), `<code>_flag`
    where flagged; `<index_id>_class` for each index with a run for this level and period (the latest run
    per index; readers see published indices only).
    """
    published = "" if unsuppressed else "AND d.published"
    return f"""
        SELECT a.id AS area_id,
               jsonb_build_object('key', a.key, 'name', a.name, 'level', a.level_code, 'parent_key', a.parent_key,
                                  'period', CAST(%(period)s AS date))
               || coalesce(v.properties, '{{}}'::jsonb) || coalesce(ix.properties, '{{}}'::jsonb) AS properties
        FROM area a
        LEFT JOIN (
            SELECT o.area_id,
                   jsonb_object_agg(o.indicator_code, o.value)
                   || coalesce(jsonb_object_agg(o.indicator_code || '_flag', o.flag)
                               FILTER (WHERE o.flag IS NOT NULL), '{{}}'::jsonb) AS properties
            FROM {observation_source(unsuppressed)} o
            WHERE o.period = CAST(%(period)s AS date)
            GROUP BY o.area_id) v ON v.area_id = a.id
        LEFT JOIN (
            SELECT r.area_id, jsonb_object_agg(run.index_id || '_class', r.class) AS properties
            FROM index_result r
            JOIN (SELECT DISTINCT ON (ir.index_id) ir.id, ir.index_id
                  FROM index_run ir JOIN index_definition d ON d.id = ir.index_id {published}
                  WHERE ir.level_code = %(level)s AND ir.period = CAST(%(period)s AS date)
                  ORDER BY ir.index_id, greatest(ir.computed_at, ir.confirmed_at) DESC, ir.id DESC) run
              ON run.id = r.run_id
            GROUP BY r.area_id) ix ON ix.area_id = a.id
        WHERE a.level_code = %(level)s AND {valid_at("a", "%(at)s")}"""


def cached_properties_sql() -> str:
    """(area_id, properties jsonb, properties_text) from the properties cache; `ensure_properties_cache` must have
    run (and `ensure_properties_text` for the text)."""
    return """
        SELECT area_id, properties, properties_text FROM feature_properties
        WHERE level_code = %(level)s AND period = %(period)s AND unsuppressed = %(unsuppressed)s"""


def ensure_properties_cache(conn: Connection, level: str, period: date, at: date, unsuppressed: bool) -> int:
    """Fill the properties cache of (level, period, visibility) unless it is current; returns its data_version.

    One statement reads data_version and the values in the same snapshot, so the cache never claims a version
    its contents do not have. Concurrent fillers (several workers) serialise on an advisory lock.
    """
    params = {"level": level, "period": period, "at": at, "unsuppressed": unsuppressed}
    state_sql = """
        SELECT s.data_version, (SELECT value::bigint FROM dm_setting WHERE key = 'data_version')
        FROM (SELECT 1) one LEFT JOIN feature_properties_state s
          ON s.level_code = %(level)s AND s.period = %(period)s AND s.unsuppressed = %(unsuppressed)s"""
    filled, current = conn.exec_driver_sql(state_sql, params).one()
    if filled == current:
        return current
    _lock_properties(conn, params)
    filled, current = conn.exec_driver_sql(state_sql, params).one()
    if filled == current:
        return current
    conn.exec_driver_sql("""
        DELETE FROM feature_properties
        WHERE level_code = %(level)s AND period = %(period)s AND unsuppressed = %(unsuppressed)s""", params)
    return conn.exec_driver_sql(f"""
        WITH version AS (SELECT value::bigint AS v FROM dm_setting WHERE key = 'data_version'),
        rows AS ({period_properties_sql(unsuppressed)}),
        every_key AS (  -- every feature carries every property (null where it has none): a fixed schema for GIS
            SELECT coalesce(jsonb_object_agg(k, NULL), '{{}}'::jsonb) AS template
            FROM (SELECT DISTINCT jsonb_object_keys(r.properties) AS k FROM rows r) keys),
        filled AS (
            INSERT INTO feature_properties (level_code, period, unsuppressed, area_id, properties)
            SELECT %(level)s, %(period)s, %(unsuppressed)s, r.area_id, e.template || r.properties
            FROM rows r, every_key e)
        INSERT INTO feature_properties_state (level_code, period, unsuppressed, data_version)
        SELECT %(level)s, %(period)s, %(unsuppressed)s, v FROM version
        ON CONFLICT (level_code, period, unsuppressed)
        DO UPDATE SET data_version = EXCLUDED.data_version, filled_at = now(), text_keys = NULL
        RETURNING data_version""", params).scalar_one()


def _lock_properties(conn: Connection, params: dict) -> None:
    """Serialise the writers of one (level, period, visibility) cache (several workers fill it at once)."""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(ns)s, hashtext(CAST(%(level)s AS text) "
                         "|| CAST(%(period)s AS text) || CAST(%(unsuppressed)s AS text)))",
                         {**params, "ns": PROPERTIES_LOCK})


def ensure_properties_text(conn: Connection, level: str, period: date, unsuppressed: bool,
                           keys: tuple[str, ...]) -> None:
    """Write the cached properties of (level, period, visibility) as JSON text with exactly `keys` in this order
    (null where an area has none), unless they are written in this order already; after
    `ensure_properties_cache`, in the same transaction. Once per data version and order instead of per feature
    and request: a page of 10,000 Gemeinden spent 60 of its 140 ms building these objects."""
    params = {"level": level, "period": period, "unsuppressed": unsuppressed, "keys": list(keys)}
    state_sql = """SELECT text_keys FROM feature_properties_state
                   WHERE level_code = %(level)s AND period = %(period)s AND unsuppressed = %(unsuppressed)s"""
    if conn.exec_driver_sql(state_sql, params).scalar() == list(keys):
        return
    _lock_properties(conn, params)
    if conn.exec_driver_sql(state_sql, params).scalar() == list(keys):
        return
    conn.exec_driver_sql("""
        UPDATE feature_properties f SET properties_text = coalesce((
            SELECT json_object_agg(k.name, f.properties -> k.name ORDER BY k.ord)
            FROM unnest(CAST(%(keys)s AS text[])) WITH ORDINALITY AS k(name, ord)), '{}'::json)::text
        WHERE f.level_code = %(level)s AND f.period = %(period)s AND f.unsuppressed = %(unsuppressed)s""", params)
    conn.exec_driver_sql("""
        UPDATE feature_properties_state SET text_keys = %(keys)s
        WHERE level_code = %(level)s AND period = %(period)s AND unsuppressed = %(unsuppressed)s""", params)


def fill_properties_caches(conn: Connection, unsuppressed: bool = False) -> int:
    """Fill the properties cache of every level and period (public visibility by default) and return how many
    were filled or already current. A first map, feature page, queryables or OpenAPI request otherwise fills
    them on demand, and the OpenAPI document needs every one of them (8 s on the Berlin demo with 22 periods on
    five levels): a set-up runs this last, so the first GIS client after it does not wait."""
    filled = 0
    for level in conn.execute(sa.text("SELECT code FROM area_level ORDER BY code")).scalars():
        # read once per level: after this transaction's first write the data_version memo no longer answers
        days = boundary_days(conn, level)
        for period in list_periods(conn, level, unsuppressed=unsuppressed):
            ensure_properties_cache(conn, level, period, boundary_date_for(conn, level, period, days=days),
                                    unsuppressed)
            filled += 1
    return filled


def property_schema(conn: Connection, level: str, period: date, unsuppressed: bool) -> list[dict]:
    """Name, JSON type and title of every property of a filled (level, period) cache, in a stable order."""
    rows = conn.exec_driver_sql("""
        SELECT e.k,
               CASE WHEN bool_or(jsonb_typeof(e.v) = 'number') THEN 'number' ELSE 'string' END,
               coalesce(i.name_de, max(d.name_de))
        FROM feature_properties f CROSS JOIN LATERAL jsonb_each(f.properties) e(k, v)
        LEFT JOIN indicator i ON i.code = e.k
        LEFT JOIN index_definition d ON e.k = d.id || '_class'
        WHERE f.level_code = %(level)s AND f.period = %(period)s AND f.unsuppressed = %(unsuppressed)s
        GROUP BY e.k, i.name_de, i.sort
        ORDER BY e.k NOT IN ('key', 'name', 'level', 'parent_key', 'period'), i.sort NULLS LAST, e.k""",
        {"level": level, "period": period, "unsuppressed": unsuppressed})
    return [{"name": name, "type": type_, "title": title} for name, type_, title in rows]


class PeriodNotFound(LookupError):
    """No data for the requested period; `indicator` and `level` say where it was looked for (if one was named)."""

    def __init__(self, requested: str, available: list[date], indicator: str | None = None,
                 level: str | None = None):
        super().__init__(f"no data for period {requested!r}")
        self.requested = requested
        self.available = available
        self.indicator = indicator
        self.level = level


def resolve_period(conn: Connection, level: str, requested: str | None, indicator_code: str | None = None,
                   unsuppressed: bool = False) -> date:
    """The period meant by '2020-12-31', '2020' (the only/latest period of that year), an interval
    ('2020-01-01/2020-12-31', open ends '..'; the latest period inside) or None (latest)."""
    available = list_periods(conn, level, indicator_code, unsuppressed)
    if not available:
        raise PeriodNotFound(requested or "latest", available, indicator_code, level)
    if requested is None or requested == "latest":
        return latest_period(conn, level, indicator_code, unsuppressed)
    text = requested.strip()
    if "/" in text:
        start, _, end = text.partition("/")
        lower, upper = _instant(start, first=True), _instant(end, first=False)
        if lower is not False and upper is not False:
            inside = [p for p in available if (lower is None or p >= lower) and (upper is None or p <= upper)]
            if inside:
                return inside[0]
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", text):
        wanted = _instant(text, first=True)
        if wanted in available:
            return wanted
    elif re.fullmatch(r"\d{4}", text):
        in_year = [p for p in available if p.year == int(text)]
        if in_year:
            return in_year[0]
    raise PeriodNotFound(requested, available, indicator_code, level)


def _instant(text: str, first: bool) -> date | None | bool:
    """A date from '2020-12-31', '2020-12-31T..', '2020' (its first or last day), '..'/'' (open: None);
    False if unreadable."""
    text = text.strip()
    if text in ("", ".."):
        return None
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1) if first else date(int(text), 12, 31)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return False


def boundary_days(conn: Connection, level: str) -> dict[tuple[date, str | None], date]:
    """Per period of the level, and per (period, indicator), the day its boundary version is drawn at
    (`boundary_date_for`); every period in one pass (a first OpenAPI document asks each), kept per data_version.
    Keys: (period, None) for all indicators of the period together, (period, code) for one indicator.

    A period is drawn on the day at which most of its observations lie on valid areas (the later day on a tie).
    One indicator keeps that day unless more of its own observations lie on the areas valid at another day of
    the same key system (a day sharing areas with it: a territorial change that replaced only some areas);
    a period published again on a wholly new key system (Berlin's 31.12.2018 on the 542 planning areas) is
    drawn on the one most of the period's values lie on."""

    def attached() -> dict[tuple[date, str | None], date]:
        rows = conn.execute(sa.text(f"""
            WITH attached AS MATERIALIZED (  -- per validity span, not per area: 198 rows, not 83,110 (Berlin's plr)
                SELECT o.period, o.indicator_code, a.valid_from, a.valid_to, count(*) AS observations
                FROM observation_current o JOIN area a ON a.id = o.area_id WHERE a.level_code = :level
                GROUP BY o.period, o.indicator_code, a.valid_from, a.valid_to),
            days AS (SELECT DISTINCT period, valid_from AS day FROM attached)
            SELECT d.period, a.indicator_code, d.day, sum(a.observations) AS observations
            FROM days d JOIN attached a ON a.period = d.period AND {valid_at("a", "d.day")}
            GROUP BY GROUPING SETS ((d.period, d.day), (d.period, a.indicator_code, d.day))"""),
            {"level": level}).all()
        counts: dict[tuple[date, str | None], dict[date, int]] = {}
        for period, code, day, observations in rows:
            counts.setdefault((period, code), {})[day] = int(observations)
        linked = _days_sharing_areas(conn, level, sorted({day for _, _, day, _ in rows}))
        best = {key: max(found, key=lambda day: (found[day], day)) for key, found in counts.items()}
        for (period, code), day in list(best.items()):
            drawn = best.get((period, None))
            if code is not None and drawn is not None and day != drawn and (
                    counts[(period, code)].get(drawn, 0) >= counts[(period, code)][day]
                    or (min(day, drawn), max(day, drawn)) not in linked):
                best[(period, code)] = drawn
        return best

    return per_data_version(conn, ("boundary dates", level), attached)


def _days_sharing_areas(conn: Connection, level: str, days: list[date]) -> set[tuple[date, date]]:
    """Pairs of days (earlier, later) at which some area row of the level is valid on both: one key system."""
    if len(days) < 2:
        return set()
    rows = conn.execute(sa.text(f"""
        SELECT x.day, y.day FROM unnest(CAST(:days AS date[])) x(day) JOIN unnest(CAST(:days AS date[])) y(day)
             ON x.day < y.day
        WHERE EXISTS (SELECT 1 FROM area a WHERE a.level_code = :level AND {valid_at("a", "x.day")}
                        AND {valid_at("a", "y.day")})"""), {"level": level, "days": days}).all()
    return {(x, y) for x, y in rows}


def boundary_date_for(conn: Connection, level: str, period: date | None, indicator: str | None = None,
                      days: dict[tuple[date, str | None], date] | None = None) -> date:
    """The boundary version to draw a period on (of one indicator, or of all together): the day, among those on
    which the areas its observations are attached to begin, at which most of its observations lie on valid areas
    (the later day on a tie), else the current one (kept per data_version: indicators.version_memo). A
    territorial change begins only the areas it touches, so a period's areas can begin on several days: INKAR's
    400 Kreise are 399 from 01.01.2021 and the Wartburgkreis enlarged on 01.07.2021, all valid on the later day,
    while the Regionalstatistik's population of the same year lies on the 401 Kreise of 01.01.2021.
    `days`: the level's `boundary_days`, when the caller has read them already."""
    if days is None:
        days = boundary_days(conn, level) if period is not None else {}
    found = days.get((period, indicator)) or days.get((period, None))
    return (found or per_data_version(conn, ("current boundary date", level), lambda: current_version_from(conn, level))
            or date.today())


def area_values(conn: Connection, area_id: int, unsuppressed: bool = False) -> list[dict]:
    """All current observations of one boundary version, with the indicator's name and unit."""
    rows = conn.execute(sa.text(f"""
        SELECT o.indicator_code AS indicator, i.name_de, i.name_en, i.unit, i.topic_code AS topic, o.period,
               o.value, o.numerator, o.denominator, o.flag, o.flag_reason
        FROM {observation_source(unsuppressed)} o JOIN indicator i ON i.code = o.indicator_code
        LEFT JOIN topic t ON t.code = i.topic_code
        WHERE o.area_id = :area_id
        ORDER BY t.sort NULLS LAST, i.sort, o.period DESC"""), {"area_id": area_id})
    return [dict(r._mapping) for r in rows]


def published_on(conn: Connection, level: str, at: date, indicator_code: str, period: date,
                 unsuppressed: bool = False) -> bool:
    """Whether `indicator_code` has observations at `period` on the areas of the boundary version valid at `at`
    (a period can be published on two versions: MSS 2021 gave the 2018 shares on the new planning areas too)."""
    return conn.execute(sa.text(f"""
        SELECT EXISTS (SELECT 1 FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
                       WHERE a.level_code = :level AND {valid_at("a", ":at")} AND o.indicator_code = :code
                         AND o.period = :period)"""),
        {"level": level, "at": at, "code": indicator_code, "period": period}).scalar_one()


def indicator_values(conn: Connection, level: str, at: date, indicator_code: str, period: date,
                     unsuppressed: bool = False) -> pd.DataFrame:
    """Values of one indicator and period for every area of a boundary version (missing ones included): a table
    of name, value, flag, flag_reason, numerator and denominator by area key (hidden cells have none)."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, o.value, o.flag, o.flag_reason, o.numerator, o.denominator
        FROM area a
        LEFT JOIN {observation_source(unsuppressed)} o ON o.area_id = a.id AND o.indicator_code = :code
             AND o.period = :period
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
        ORDER BY a.key"""), {"level": level, "at": at, "code": indicator_code, "period": period})
    # by columns: a row's _mapping cost 40 us, 0.45 s for the 10,997 Gemeinden; a dict per row still 30 ms, and
    # DataFrame.from_records asks each Row for attributes it does not have (80 ms); all rows first, then
    # transposed: 6 ms less than transposing while fetching
    names = list(rows.keys())
    columns = list(zip(*rows.all())) or [()] * len(names)
    return pd.DataFrame(dict(zip(names, columns))).set_index("key")
