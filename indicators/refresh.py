"""What must be recomputed inside every transaction that changes observations or boundaries.

Order matters: roll-ups create observations on higher levels, then disclosure control decides, over
all levels together, what readers may see.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from indicators.disclosure import refresh_disclosure
from indicators.rollup import refresh_rollups


def refresh_after_write(conn: Connection) -> None:
    refresh_rollups(conn)
    refresh_disclosure(conn)
