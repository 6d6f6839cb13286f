"""Loading the shipped Berlin demo (data/demo/berlin/demo.yaml) through the ordinary import functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from geo.boundaries import BoundaryImportOptions
from geo.import_report import ImportReport
from geo.levels import Level, upsert_levels
from geo.points import PointImportOptions, import_points
from indicators.catalogue import load_catalogue, read_catalogue
from indicators.disclosure import set_partition
from indicators.index_runs import compute_demo_indices
from indicators.ingest.observations import ObservationImportOptions, import_observations
from indicators.refresh import import_boundaries, refresh_after_write
from service.audit import import_audit
from service.auth import Principal
from service.db import refresh_statistics
from service.settings import PROJECT_ROOT

DEMO_MANIFEST = PROJECT_ROOT / "data" / "demo" / "berlin" / "demo.yaml"
DEMO = Principal("demo", "admin")  # who the demo's imports are recorded and audited as


class DemoLoadFailed(RuntimeError):
    def __init__(self, report: ImportReport):
        lines = [p.as_text() for p in report.errors[:10]]
        super().__init__(f"demo file {report.file} was refused:\n  " + "\n  ".join(lines))
        self.report = report


@dataclass
class DemoSummary:
    reports: list[ImportReport] = field(default_factory=list)


def database_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM area)")).scalar_one()


def load_demo(engine: Engine, manifest: Path = DEMO_MANIFEST, progress=None) -> DemoSummary:
    """Import levels, catalogue, boundaries and observations of the demo, in manifest order.

    Every file goes through the same import code as a user's file; each import is its own transaction,
    and loading twice changes nothing.
    """
    spec = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    base = manifest.parent
    summary = DemoSummary()
    steps = (len(spec["boundaries"]) + len(spec["observations"]) + len(spec.get("points", [])) + 1
             + bool(spec.get("indices")))
    done = 0

    def advance(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(what, done, steps)

    with engine.begin() as conn:
        upsert_levels(conn, [Level(**item) for item in spec["levels"]])
        for path in spec["catalogues"]:
            load_catalogue(conn, read_catalogue((base / path).resolve()))
        for item in spec.get("disclosure_partitions", []):
            set_partition(conn, item["name"], item["total"], item["parts"])
        refresh_after_write(conn)
    advance("catalogue")
    for item in spec["boundaries"]:
        options = BoundaryImportOptions(**{k: v for k, v in item.items() if k != "file"})
        with engine.connect() as conn:
            report = import_boundaries(conn, base / item["file"], options, created_by=DEMO.name,
                                       before_commit=import_audit(DEMO, "boundaries", item))
        _check(report, summary)
        advance(item["file"])
    refresh_statistics(engine)  # the observation imports' roll-ups join the areas
    for item in spec["observations"]:
        options = ObservationImportOptions(**{k: v for k, v in item.items() if k != "file"})
        with engine.connect() as conn:
            report = import_observations(conn, base / item["file"], options, created_by=DEMO.name,
                                         before_commit=import_audit(DEMO, "observations", item))
        _check(report, summary)
        advance(item["file"])
    refresh_statistics(engine)
    for item in spec.get("points", []):
        options = PointImportOptions(**{k: v for k, v in item.items() if k != "file"})
        with engine.connect() as conn:
            report = import_points(conn, base / item["file"], options, created_by=DEMO.name,
                                   before_commit=import_audit(DEMO, "points", item))
        _check(report, summary)
        advance(item["file"])
    if spec.get("indices"):
        with engine.begin() as conn:
            compute_demo_indices(conn, spec["indices"])
        advance("indices")
    return summary


def _check(report: ImportReport, summary: DemoSummary) -> None:
    if not report.ok:
        raise DemoLoadFailed(report)
    summary.reports.append(report)
