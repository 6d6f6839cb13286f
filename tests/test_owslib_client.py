"""A second real OGC API - Features client: OWSLib (pip) against the running server, as a Python GIS script
would use it: collections, queryables, offset paging until an empty page, CQL2 filter and sortby."""

import pytest

owslib_features = pytest.importorskip("owslib.ogcapi.features")


@pytest.fixture(scope="module")
def features(live_server):
    return owslib_features.Features(live_server)


def test_owslib_lists_collections_and_queryables(features):
    ids = [c["id"] for c in features.collections()["collections"]]
    assert ids[:1] and {"plr", "bzr", "pgr", "bez", "stadt"} <= set(ids)
    queryables = features.collection_queryables("plr")["properties"]
    assert queryables["EW"]["type"] == "integer" and "geometry" in queryables
    assert any(c.endswith("ogcapi-features-3/1.0/conf/filter") for c in features.conformance()["conformsTo"])


def test_owslib_offset_paging_ends_on_an_empty_page(features):
    seen, offset = [], 0
    while True:  # the loop OWSLib users write: until a page comes back empty
        page = features.collection_items("bez", limit=5, offset=offset)
        if not page["features"]:
            break
        seen += [f["id"] for f in page["features"]]
        offset += 5
        assert offset < 100
    assert len(seen) == len(set(seen)) == 12


def test_owslib_filter_and_sortby(features):
    page = features.collection_items("plr", limit=1000, datetime_="2020", filter="S1 > 8 AND EW > 1000",
                                     sortby=("S1", "desc"))
    values = [f["properties"]["S1"] for f in page["features"]]
    assert values and all(v > 8 for v in values) and values == sorted(values, reverse=True)
    assert all(f["properties"]["EW"] > 1000 for f in page["features"])
    assert page["numberMatched"] == len(values)
