"""Reading stored observations beyond the current views: the history of one area's values, current and
superseded, with what readers may see of it. The import lives in `indicators.ingest`.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

HISTORY_REASON = ("frühere Werte sieht nur die Statistikstelle (statistische Geheimhaltung)"
                  " / earlier values are for the statistics office only (statistical confidentiality)")


def observation_history(conn: Connection, level: str, key: str, indicator: str | None = None,
                        period: date | None = None, unsuppressed: bool = False) -> list[dict]:
    """Current and superseded values of every boundary version of one area, newest batch first.

    The one reader of `observation` itself, because the views hold current rows only. For readers
    (`unsuppressed` False) it keeps to published indicators, shows current values as `observation_public` does
    (confidential cells hidden, derived values rounded) and withholds the numbers of every superseded row
    (`HISTORY_REASON`): an earlier value is a cell of an earlier table whose confidentiality nobody checks any
    more (a small count corrected upwards would be readable, and the earlier table's sums would give the
    current hidden cells back), so only the statistics office sees it. The importer's name is withheld too."""
    rows = conn.execute(sa.text("""
        SELECT o.indicator_code AS indicator, o.period,
               CASE WHEN :unsuppressed THEN o.value ELSE p.value END AS value,
               CASE WHEN :unsuppressed THEN o.numerator ELSE p.numerator END AS numerator,
               CASE WHEN :unsuppressed THEN o.denominator ELSE p.denominator END AS denominator,
               CASE WHEN :unsuppressed THEN o.flag WHEN p.id IS NULL THEN 'withheld' ELSE p.flag END AS flag,
               CASE WHEN :unsuppressed THEN o.flag_reason WHEN p.id IS NULL THEN :withheld ELSE p.flag_reason END
                   AS flag_reason,
               CASE WHEN o.superseded_at IS NULL THEN 'current' ELSE 'superseded' END AS status,
               a.valid_from AS boundary_valid_from, o.import_batch_id, b.file_name, b.created_at AS imported_at,
               CASE WHEN :unsuppressed THEN b.created_by END AS imported_by,
               o.superseded_at, o.superseded_by_batch, sb.file_name AS superseded_by_file
        FROM (SELECT * FROM observation WHERE superseded_at IS NULL  -- current rows by the area's index
              UNION ALL SELECT * FROM observation WHERE superseded_at IS NOT NULL) o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        JOIN indicator i ON i.code = o.indicator_code AND (i.published OR :unsuppressed)
        JOIN import_batch b ON b.id = o.import_batch_id
        LEFT JOIN import_batch sb ON sb.id = o.superseded_by_batch
        LEFT JOIN observation_public p ON NOT :unsuppressed AND p.id = o.id AND p.indicator_code = o.indicator_code
        WHERE (CAST(:indicator AS text) IS NULL OR o.indicator_code = :indicator)
          AND (CAST(:period AS date) IS NULL OR o.period = :period)
        ORDER BY i.sort, o.indicator_code, o.period DESC, o.superseded_at DESC NULLS FIRST, o.id DESC"""),
        {"level": level, "key": key, "indicator": indicator, "period": period, "unsuppressed": unsuppressed,
         "withheld": HISTORY_REASON})
    return [dict(r._mapping) for r in rows]
