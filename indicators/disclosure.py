"""Statistical confidentiality (disclosure control): which observations readers must not see.

`refresh_disclosure(conn)` recomputes the `disclosure` table (primary and secondary suppression,
METHODS.md section 6) and must run inside every transaction that changes observations; the view
`observation_public` applies it to every public output.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection


def refresh_disclosure(conn: Connection) -> int:
    """Recompute suppression; returns the number of suppressed observations. Filled in by the trust issue."""
    return 0
