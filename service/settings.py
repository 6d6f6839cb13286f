"""Runtime settings read from the environment (pydantic-settings); the single place for configuration defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.import_report import ImportLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All knobs of the service. Environment variables use the prefix `DM_`, except `DATABASE_URL`."""

    model_config = SettingsConfigDict(env_prefix="DM_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "DM_DATABASE_URL"),
        description="SQLAlchemy/libpq URL of a PostGIS database; unset = embedded private cluster under data_dir.",
    )
    replica_url: str | None = Field(default=None, description="URL of a streaming replica of the database; "
                                    "anonymous reads are served from it, writes and every caller with a token "
                                    "use DATABASE_URL.")
    data_dir: Path = Field(default=PROJECT_ROOT / ".data", description="Where the embedded cluster lives.")
    storage_srid: int = Field(default=25833, description="Projected CRS in which geometries are stored.")
    host: str = "127.0.0.1"
    port: int = 8000
    load_demo: bool = Field(default=True, description="Load the shipped demo (`demo`) into an empty database.")
    demo: str = Field(default="berlin", description="Which shipped demo `serve` and `demo load` load: a folder "
                      "of data/demo/ holding a set-up manifest.")
    warm_up_analyses: bool = Field(default=True, description="At start, compile the cluster analysis' numba "
                                   "kernels in a background thread, so the first hot-spot map does not wait ~25 s.")
    pool_size: int = 8
    statement_timeout_ms: int = 30_000
    pool_timeout_s: float = Field(default=10.0, description="Wait at most this long for a pooled connection (then 503).")
    cors_origins: str = Field(default="", description="Comma-separated origins allowed to read cross-origin "
                              "(e.g. https://geoportal.example.de); empty = no CORS.")
    cors_public_reads: bool = Field(default=True, description="Any origin may read public answers cross-origin "
                                    "(GET/HEAD, Access-Control-Allow-Origin: *, no credentials), so web maps on "
                                    "other sites can use the features and tiles; false = only DM_CORS_ORIGINS.")
    cors_allow_writes: bool = Field(default=False, description="Also allow writes (with a token) cross-origin.")
    max_body_bytes: int = Field(default=1024 * 1024, description="Largest request body outside imports.")
    # The one upload limit: every import route (HTTP), the body limit of those routes, and the size of a file
    # any import reads (CLI too). The largest realistic file is a nationwide Zensus 100 m grid table (about
    # 3.2 million cells, 150-250 MB as CSV) or a Land's boundary shapefile (about 100 MB); a city's tables and
    # layers are a few MB (the shipped Kita layer: 1.9 MB).
    max_upload_bytes: int = Field(default=512 * 1024 * 1024,
                                  description="Largest file to import, over HTTP (every upload route) or from the "
                                              "command line.")
    rate_limit_per_minute: int = Field(default=1200, description="Cost units per minute and client without a "
                                       "token (10x with one); every route costs 1 or more (service.ratelimit); "
                                       "0 switches the limit off.")
    rate_limit_burst: int = Field(default=400, description="Cost units a client may spend at once before the rate "
                                  "applies.")
    map_tiles: str = Field(default="", description="Background tile URL of maps (e.g. a municipal tile server, "
                           "https://tiles.example.de/{z}/{x}/{y}.png); empty = no background, so that no page "
                           "asks a third party for anything.")
    public_base_url: str | None = Field(default=None, description="Base URL of every absolute link and redirect "
                                        "(e.g. https://monitor.example.de or https://www.example.de/monitor); unset = "
                                        "a trusted proxy's forwarded headers, else the address the request arrived "
                                        "on. Never the client's Host header.")
    trusted_proxies: str = Field(default="", description="Comma-separated addresses or networks of reverse proxies "
                                 "(e.g. 10.0.0.5,10.1.0.0/24) whose Forwarded / X-Forwarded-Proto/-Host/-Prefix "
                                 "headers give the public URL; empty = such headers are ignored.")
    import_extent: str = Field(
        default=",".join(str(v) for v in ImportLimits.extent),
        description="min lon,min lat,max lon,max lat: where the geometries of a first import (no parent areas "
                    "stored yet), of point and of polygon layers must lie; default Germany with a margin.")
    max_xlsx_bytes: int = Field(default=ImportLimits.max_xlsx_bytes,
                                description="Largest workbook to import, unpacked (checked before it is parsed).")
    max_xlsx_rows: int = Field(default=ImportLimits.max_xlsx_rows,
                               description="Most rows of a workbook's sheet to import (bigger tables: CSV).")

    @field_validator("import_extent")
    @classmethod
    def _four_bounds(cls, value: str) -> str:
        parts = value.split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise ValueError("DM_IMPORT_EXTENT needs four numbers: min lon,min lat,max lon,max lat") from None
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("DM_IMPORT_EXTENT must be min lon,min lat,max lon,max lat in degrees, lower corner first")
        return value

    def import_limits(self) -> ImportLimits:
        west, south, east, north = (float(p) for p in self.import_extent.split(","))
        return ImportLimits(extent=(west, south, east, north), max_xlsx_bytes=self.max_xlsx_bytes,
                            max_xlsx_rows=self.max_xlsx_rows, max_file_bytes=self.max_upload_bytes)
    # availability: timeouts, connection caps, worker processes (docs/trust.md "Availability")
    send_timeout_s: float = Field(default=30.0, description="A streamed response whose client accepts nothing for "
                                  "this long is abandoned (its statement cancelled, its connection returned).")
    shutdown_grace_s: float = Field(default=10.0, description="On SIGINT/SIGTERM, requests still running after "
                                    "this long are cancelled, with their statements.")
    header_timeout_s: float = Field(default=10.0, description="A connection must send its request headers within "
                                    "this long (from connecting, or from the first byte of the next request).")
    body_timeout_s: float = Field(default=30.0, description="Grace for a request body; after it the body must keep "
                                  "arriving at `min_body_bytes_per_s` (then 408).")
    min_body_bytes_per_s: int = Field(default=16 * 1024, description="Slowest accepted upload rate after the grace.")
    max_connections_per_client: int = Field(default=64, description="Open connections per client address and "
                                            "worker (further ones are closed at once); 0 = no cap.")
    max_connections: int = Field(default=2000, description="Open connections plus running requests per worker "
                                 "before uvicorn answers 503 (limit_concurrency).")
    workers: int = Field(default=1, description="Worker processes of `district-monitor serve`.")
    run_jobs: bool = Field(default=True, description="This process runs background jobs; false for processes that "
                           "only answer requests while `district-monitor jobs` runs them elsewhere.")
    max_queued_jobs: int = Field(default=20, description="Background jobs (report PDFs, publications) that may "
                                 "wait at once; a further request is answered 503 with Retry-After.")
    job_stale_after_s: float = Field(default=900.0, description="A queued or running job whose progress has not "
                                     "moved for this long is shown as interrupted (its worker went away).")
    job_keep_hours: int = Field(default=24, description="Finished jobs and their results are kept this long.")
    response_cache_mb: int = Field(default=256, description="Memory per worker for complete anonymous answers "
                                   "(service.caching.ResponseCache); 0 = none.")
    # cost limits of public queries (docs/trust.md "Availability"); callers with a token get 10x the complexity
    public_max_vertices: int = Field(default=10_000, description="Vertices of a polygon posted without a token.")
    public_max_area_km2: float = Field(default=1_000.0, description="Area of a polygon or circle queried "
                                       "without a token.")
    public_max_intersections: int = Field(default=3_000, description="Intersections of a query polygon's pieces "
                                          "with the source areas, without a token (about 0.25 ms each).")
    public_max_permutations: int = Field(default=999, description="Permutations of a hot-spot analysis without "
                                         "a token (whose seed is also fixed, so every result can be cached).")


@lru_cache
def get_settings() -> Settings:
    return Settings()
