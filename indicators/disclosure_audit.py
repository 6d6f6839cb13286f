"""The audit of a suppression pattern by linear programming: what could a reader who writes down every
published equation learn about each hidden cell, and which cell must also be hidden where that is too much.

`protection_gaps(conn)` runs inside `indicators.disclosure.refresh_disclosure` on its temporary tables
(`dc_supp`: the unknown cells, `dc_member`: the members of every equation that contains one, with the
coefficients `indicators.disclosure` gives them: sums and partitions +1/-1, weighted means the public weights,
differences +1/-1/-1). It takes the visible cells as known, bounds the unknown ones as a reader knows them (counts and rates are not
negative, shares in % lie between 0 and 100) and asks HiGHS (scipy.optimize.linprog) for the smallest and
largest value of every suppressed cell. A cell whose range is narrower than its protection width
(`protection_width`: the count threshold k for counts, one unit of the indicator for shares, rates and
changes) gets one more complement: the smallest non-zero visible member of an equation it is in.

The equations are those of `indicators.disclosure.RELATIONS` that hold between values with public
coefficients (an equation with a member without coefficient is left out). Each is taken as it holds for the stored values (a delivered change that agrees with its two
states only to rounding is an equation up to that rounding), and derived values are taken unrounded, so a
reader knows at most what the audit assumes. Ratios of sums (equations between numerators and denominators)
and published parent values of shares are left to the heuristic of `refresh_disclosure`.
Must not write anything but its own temporary tables; it returns the cells to hide.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

WIDTH_TOLERANCE = 1e-6
SLACK = 1e-9  # relative slack of an equation, on top of what the stored values leave over

# What a reader knows of every unknown cell: its bounds, and how wide its range must stay.
_UNKNOWNS = """
    SELECT s.obs_id, s.rule, o.value, i.kind, i.unit, i.min_numerator
    FROM dc_supp s JOIN observation o ON o.id = s.obs_id JOIN indicator i ON i.code = o.indicator_code"""


@dataclass(frozen=True)
class Unknown:
    value: float
    lower: float | None
    upper: float | None
    width: float | None  # None: not protected (a cell of an unpublished indicator)


def protection_width(kind: str, min_numerator: int | None) -> float:
    """How wide the range a reader can narrow a hidden cell to must stay: at least the count threshold k for
    counts (so the range holds more values than the rule hides), one unit (person, percentage point) else."""
    return float(max(min_numerator or 1, 1)) if kind == "count" else 1.0


def reader_bounds(kind: str, unit: str) -> tuple[float | None, float | None]:
    """What everybody knows of a value before anything is published: counts and rates are not negative,
    shares in percent lie between 0 and 100, changes can go either way."""
    if kind == "share":
        return 0.0, 100.0 if unit.strip() == "%" else None
    if kind in ("count", "rate"):
        return 0.0, None
    return None, None


def protection_gaps(conn: Connection) -> list[int]:
    """Cells to hide next: for every suppressed cell whose range (over all equations in dc_equation) is
    narrower than its protection width, the smallest non-zero visible member of one of its equations."""
    unknowns = {row.obs_id: Unknown(row.value, *reader_bounds(row.kind, row.unit),
                                    None if row.rule == "unpublished" else protection_width(row.kind, row.min_numerator))
                for row in conn.execute(sa.text(_UNKNOWNS))}
    equations: dict[tuple, list[tuple[int, float, float, int]]] = defaultdict(list)
    for kind, head, name, obs_id, coefficient, value, preference in conn.execute(sa.text(
            "SELECT kind, head_id, partition_name, obs_id, coefficient, value, preference FROM dc_member")):
        equations[(kind, head, name)].append((obs_id, coefficient, float(value), preference))
    equations = {key: members for key, members in equations.items() if all(m[1] is not None for m in members)}
    narrow = _narrow_cells(unknowns, equations)
    return sorted({complement for cell in narrow if (complement := _complement(cell, unknowns, equations))})


def _narrow_cells(unknowns: dict[int, Unknown], equations: dict[tuple, list]) -> list[int]:
    index = {obs_id: i for i, obs_id in enumerate(unknowns)}
    rows, columns, data, rhs, slack = [], [], [], [], []
    for members in equations.values():
        hidden = [(obs_id, coefficient) for obs_id, coefficient, _v, _p in members if obs_id in index]
        if not hidden or len(members) < 2:  # a parent without children on record says nothing
            continue
        known = sum(coefficient * value for obs_id, coefficient, value, _p in members if obs_id not in index)
        residual = known + sum(coefficient * unknowns[obs_id].value for obs_id, coefficient in hidden)
        scale = max([1.0] + [abs(coefficient * value) for _o, coefficient, value, _p in members])
        for obs_id, coefficient in hidden:
            rows.append(len(rhs))
            columns.append(index[obs_id])
            data.append(coefficient)
        rhs.append(-known)
        slack.append(abs(residual) + SLACK * scale)
    if not rhs:
        return [obs_id for obs_id, u in unknowns.items() if u.width is not None and _width(u.lower, u.upper) < u.width]
    from scipy.sparse import coo_matrix  # scipy is imported on first use: slow to import, and only audits need it
    from scipy.sparse.csgraph import connected_components

    matrix = coo_matrix((data, (rows, columns)), shape=(len(rhs), len(index))).tocsr()
    _n, component_of = connected_components(abs(matrix.T @ matrix), directed=False)
    ids = list(unknowns)
    narrow = []
    for component in np.unique(component_of):
        cells = np.flatnonzero(component_of == component)
        protected = [c for c in cells if unknowns[ids[c]].width is not None]
        if not protected:
            continue
        narrow += _narrow_in_component(cells, protected, matrix, np.array(rhs), np.array(slack), unknowns)
    return narrow


def _narrow_in_component(cells: np.ndarray, protected: list[int], matrix, rhs: np.ndarray, slack: np.ndarray,
                         unknowns: dict[int, Unknown]) -> list[int]:
    from scipy.optimize import linprog
    from scipy.sparse import vstack

    ids = list(unknowns)
    sub = matrix[:, cells]
    used = np.flatnonzero(abs(sub).sum(axis=1).A1 > 0)
    a = sub[used]
    a_ub = vstack([a, -a]).tocsr()
    b_ub = np.concatenate([rhs[used] + slack[used], -(rhs[used] - slack[used])])
    bounds = [(unknowns[ids[c]].lower, unknowns[ids[c]].upper) for c in cells]
    position = {c: i for i, c in enumerate(cells)}
    narrow = []
    for c in protected:
        objective = np.zeros(len(cells))
        objective[position[c]] = 1.0
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        lower = low.fun if low.status == 0 else None
        upper = -high.fun if high.status == 0 else None
        if low.status == 2 or high.status == 2:
            raise RuntimeError("the published equations contradict each other; disclosure control cannot audit them")
        if _width(lower, upper) < unknowns[ids[c]].width - WIDTH_TOLERANCE:
            narrow.append(ids[c])
    return narrow


def _width(lower: float | None, upper: float | None) -> float:
    return float("inf") if lower is None or upper is None else upper - lower


def _complement(cell: int, unknowns: dict[int, Unknown], equations: dict[tuple, list]) -> int | None:
    """The visible member to hide for a too narrow cell: over the equations the cell is in (else, where all of
    their members are hidden already, the equations of those members, and so on), the non-head (preference 0)
    before the head, non-zero before zero, the smallest absolute value first."""
    reached, frontier, seen = {cell}, {cell}, set()
    while frontier:
        touching = [key for key, members in equations.items()
                    if key not in seen and any(m[0] in frontier for m in members)]
        seen.update(touching)
        candidates = [(preference, value == 0, abs(value), obs_id) for key in touching
                      for obs_id, _c, value, preference in equations[key] if obs_id not in unknowns]
        if candidates:
            return min(candidates)[3]
        frontier = {m[0] for key in touching for m in equations[key]} - reached
        reached |= frontier
    return None
