"""The shipped demos: each is a set-up manifest in a folder of data/demo/ (`manifest.yaml`, or `demo.yaml`),
loaded by `service.setup` through the ordinary import functions. Which one `serve` loads into an empty database
is a setting (`DM_DEMO`); the demos themselves are data, named by their folders."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from service.auth import Principal
from service.settings import PROJECT_ROOT, Settings
from service.setup import ManifestRefused, SetupSummary, load_manifest

DEMO_ROOT = PROJECT_ROOT / "data" / "demo"
MANIFEST_NAMES = ("manifest.yaml", "demo.yaml")
DEMOS = {folder.name: next(folder / name for name in MANIFEST_NAMES if (folder / name).is_file())
         for folder in sorted(DEMO_ROOT.iterdir())
         if folder.is_dir() and any((folder / name).is_file() for name in MANIFEST_NAMES)}
DEMO_MANIFEST = DEMOS[Settings.model_fields["demo"].default]  # the default demo
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
    """Load a demo manifest (default: the default demo): levels, catalogues, boundaries, observations, points, indices, in
    manifest order, each file through the same import code as a user's file; loading twice changes nothing."""
    return load_manifest(engine, manifest, principal=DEMO, progress=progress, only_levels=only_levels)
