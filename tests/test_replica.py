"""Read replicas: with DM_REPLICA_URL, anonymous reads are answered from a streaming replica and agree with the
primary; writes and callers with a token use the primary; a write on the primary reaches the public answers.

A private primary (throwaway cluster with a small city) and a hot standby made from it with pg_basebackup.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import create_engine, upgrade
from service.embedded import throwaway_cluster, throwaway_replica
from tests.conftest import bearer, make_settings
from tests.test_disconnects import wait_for
from tests.test_faults import load_small_city

PUBLIC_READS = ["/collections?f=json", "/collections/bez?f=json", "/collections/bez/items?f=json&limit=20",
                "/collections/bez/items/01?f=json", "/collections/bez/download?format=geojson",
                "/collections/bez/tiles/WebMercatorQuad/10/335/550", "/areas?level=bez&f=json", "/areas/bez/01?f=json"]


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[str, str]]:
    with throwaway_cluster("dm-replica-primary-") as primary:
        engine = create_engine(primary.url(), make_settings())
        upgrade(engine, 25833)
        load_small_city(engine)
        engine.dispose()
        with throwaway_replica(primary) as replica:
            yield primary.url(), replica.url()


def service_backends(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                     "'district-monitor' AND datname = current_database()")).scalar_one()
    engine.dispose()
    return count


def test_public_reads_come_from_the_replica_and_agree_with_the_primary(primary_and_replica):
    primary_url, replica_url = primary_and_replica
    engine = create_engine(primary_url, make_settings())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT NOT pg_is_in_recovery()")).scalar_one()
    reader = bearer(engine, "reader")
    with TestClient(create_app(make_settings(replica_url=replica_url), engine=engine)) as client:
        assert client.app.state.replica_engine.connect().execute(sa.text("SELECT pg_is_in_recovery()")).scalar()
        for path in PUBLIC_READS:
            public = client.get(path)
            own = client.get(path, headers=reader)  # a caller with a token reads the primary
            assert public.status_code == own.status_code and public.status_code in (200, 204), (path, public.text)
            assert public.content == own.content, path
        assert service_backends(replica_url) > 0, "the public answers were read on the replica"
        assert client.app.state.replica_engine.pool.checkedin() > 0
    engine.dispose()


def test_a_write_on_the_primary_appears_in_the_public_answers_from_the_replica(primary_and_replica):
    primary_url, replica_url = primary_and_replica
    engine = create_engine(primary_url, make_settings())
    editor = bearer(engine, "editor")
    with TestClient(create_app(make_settings(replica_url=replica_url), engine=engine)) as client:
        before = client.get("/collections/bez/items/01?f=json").json()["properties"]["name"]
        note = client.post("/api/notes", headers=editor, json={"level": "bez", "area_key": "01", "title": "Neu",
                                                                "body": "geschrieben auf dem Primärserver"})
        assert note.status_code == 201, note.text  # writes go to the primary (the replica refuses them)
        with engine.begin() as conn:  # a boundary correction, as an import would make it
            conn.execute(sa.text("UPDATE area SET name = name || ' (neu)' WHERE level_code = 'bez' AND key = '01'"))
        wait_for(lambda: client.get("/collections/bez/items/01?f=json").json()["properties"]["name"]
                 == before + " (neu)", "the replica replayed the change and the public answer shows it")
        replica = sa.create_engine(replica_url)
        with replica.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM note WHERE title = 'Neu'")).scalar_one() == 1
        replica.dispose()
    engine.dispose()
