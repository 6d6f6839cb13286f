"""Runtime settings read from the environment (pydantic-settings); the single place for configuration defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All knobs of the service. Environment variables use the prefix `DM_`, except `DATABASE_URL`."""

    model_config = SettingsConfigDict(env_prefix="DM_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "DM_DATABASE_URL"),
        description="SQLAlchemy/libpq URL of a PostGIS database; unset = embedded private cluster under data_dir.",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / ".data", description="Where the embedded cluster lives.")
    storage_srid: int = Field(default=25833, description="Projected CRS in which geometries are stored.")
    host: str = "127.0.0.1"
    port: int = 8000
    load_demo: bool = Field(default=True, description="Load the shipped Berlin demo data into an empty database.")
    pool_size: int = 8
    statement_timeout_ms: int = 30_000
    map_tiles: str = Field(default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           description="Background tile URL of maps; empty = no background (offline use).")
    public_base_url: str | None = Field(default=None, description="Base URL used in links, if behind a proxy.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
