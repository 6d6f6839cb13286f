"""The shipped demos: each is a set-up manifest (data/demo/<name>/), loaded by `service.setup` through the
ordinary import functions. Berlin (LOR Planungsräume, MSS 2021) is the default of `serve` on an empty database;
Germany (VG5000 Länder to Gemeinden, INKAR Kreis series) is the second."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from service.auth import Principal
from service.settings import PROJECT_ROOT
from service.setup import ManifestRefused, SetupSummary, load_manifest

DEMOS = {"berlin": PROJECT_ROOT / "data" / "demo" / "berlin" / "demo.yaml",
         "germany": PROJECT_ROOT / "data" / "demo" / "germany" / "manifest.yaml"}
DEMO_MANIFEST = DEMOS["berlin"]
DEMO = Principal("demo", "admin")  # who the demo's imports are recorded and audited as

DemoLoadFailed = ManifestRefused  # the name callers knew
DemoSummary = SetupSummary


def demo_manifest(name: str) -> Path:
    """The manifest of the shipped demo `name`; KeyError naming the known ones."""
    try:
        return DEMOS[name]
    except KeyError:
        raise KeyError(f"unknown demo {name!r}; shipped: {', '.join(DEMOS)}") from None


def database_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM area)")).scalar_one()


def load_demo(engine: Engine, manifest: Path = DEMO_MANIFEST, progress=None,
              only_levels: set[str] | None = None) -> SetupSummary:
    """Load a demo manifest (default Berlin): levels, catalogues, boundaries, observations, points, indices, in
    manifest order, each file through the same import code as a user's file; loading twice changes nothing."""
    return load_manifest(engine, manifest, principal=DEMO, progress=progress, only_levels=only_levels)
