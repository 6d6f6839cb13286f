"""The one entry point of every import, shared by the command line and the HTTP API: a registry of the seven
kinds (boundaries, territorial changes, observations, points, grid, polygons, addresses), each with its option
parser and its import.

An import (`ImportKind.run`) reads and validates the file (a dry run stops there and reports), then applies
it in one all-or-nothing transaction (`geo.import_report.run_in_import_transaction`) and returns the one
report type, `geo.import_report.ImportReport`: every problem with file, row, column, value and fix. Boundary
imports go through `indicators.refresh.import_boundaries`, which recomputes roll-ups and disclosure in the
same transaction, as observation imports do themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from geo.addresses import import_addresses
from geo.grid import import_grid
from geo.import_report import BeforeCommit, ImportLimits, ImportReport
from geo.points import import_points
from geo.polygons import import_polygons
from indicators.ingest.observations import import_observations
from indicators.ingest.options import (
    Fields,
    address_options,
    boundary_options,
    grid_options,
    observation_options,
    point_options,
    polygon_options,
    territorial_options,
)
from indicators.refresh import import_boundaries, import_changes

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportKind:
    """One kind of import. `role` is the least role that may run it over HTTP (roles are hierarchical: an
    admin may do everything); `parse` turns text fields into the kind's options (OptionError naming the
    field); `apply` is the validated, atomic import itself."""

    name: str
    role: str
    parse: Callable[[Fields], Any]
    apply: Callable[..., ImportReport]
    bounded_by_limits: bool = True  # whether `apply` takes the ImportLimits (extent, file and workbook size)

    def run(self, conn: Connection, path: Path, options: Any, *, dry_run: bool = False, created_by: str = "cli",
            display_name: str | None = None, progress: Progress | None = None,
            before_commit: BeforeCommit | None = None, limits: ImportLimits = ImportLimits()) -> ImportReport:
        """Validate and (unless dry_run or on error) apply the file in one transaction; `before_commit(conn,
        report)` runs last inside it (the audit record), so that import and audit commit or fail together."""
        extra = {"limits": limits} if self.bounded_by_limits else {}
        return self.apply(conn, path, options, dry_run=dry_run, created_by=created_by, display_name=display_name,
                          progress=progress, before_commit=before_commit, **extra)


IMPORT_KINDS: dict[str, ImportKind] = {kind.name: kind for kind in (
    # tables of unsuppressed values and the boundaries they refer to: the statistics office (docs/trust.md)
    ImportKind("observations", "statistics_office", observation_options, import_observations),
    ImportKind("boundaries", "statistics_office", boundary_options, import_boundaries),
    ImportKind("territorial_changes", "statistics_office", territorial_options, import_changes,
               bounded_by_limits=False),
    # facilities, grids and polygons: data stewards
    ImportKind("points", "data_steward", point_options, import_points),
    ImportKind("grid", "data_steward", grid_options, import_grid, bounded_by_limits=False),
    ImportKind("polygons", "data_steward", polygon_options, import_polygons),
    ImportKind("addresses", "data_steward", address_options, import_addresses),
)}


def import_kind(name: str) -> ImportKind:
    """The registered kind `name`; KeyError naming the known ones otherwise."""
    try:
        return IMPORT_KINDS[name]
    except KeyError:
        raise KeyError(f"unknown import kind {name!r}; known: {', '.join(IMPORT_KINDS)}") from None
