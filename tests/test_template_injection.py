"""Names are data, never templates: an indicator or area name containing Jinja syntax ("{{ 7*7 }}") reaches
every map page literally. branca compiled the finished panel and title of a Folium page as a Jinja template,
so such a name was evaluated on the server (web.maps.RawHtml)."""

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import make_settings

PROBE = "Quote {{ 7*7 }} {{ this.__class__ }}"


def test_jinja_syntax_in_names_is_shown_literally_on_map_pages(fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET name_de = :name WHERE code = 'S1'"), {"name": PROBE})
        conn.execute(sa.text("UPDATE area SET name = :name WHERE (level_code, key) IN (('bez', '01'), "
                             "('plr', '01100101'))"), {"name": PROBE})
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        for path in ("/explorer?indicator=S1", "/explorer?indicator=S1&level=bez", "/maps/indices/mss_2021_gesamtindex"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "Quote 49" not in page.text and "&lt;class" not in page.text and "<class" not in page.text, path
            assert "{{ 7*7 }}" in page.text, path
