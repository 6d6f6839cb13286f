"""Names in server-drawn charts are text: a name with dollar signs and backslashes (TeX to matplotlib unless
told otherwise) neither breaks a profile's trend chart nor a programme evaluation chart, and is drawn as
written."""

from datetime import date

from web.aggregation_views import evaluation_chart
from web.charts import trend_svg

NAME = r"Kosten $\foo{$ Süd"


def test_a_trend_chart_draws_a_tex_like_name_as_written():
    svg = trend_svg([(NAME, [(date(2019, 12, 31), 1.0), (date(2020, 12, 31), 2.0)])], "%")
    assert r"Kosten $\foo{$ Süd" in svg


def test_an_evaluation_chart_draws_tex_like_names_as_written():
    group = {"pre": 1.0, "post": 2.0, "areas": 3}
    svg = evaluation_chart({
        "programme": {"name": NAME, "start_date": "2019-01-01"},
        "indicators": [{"indicator": "S1", "name_de": NAME, "unit": "$x$", "pre_period": "2018-12-31",
                        "post_period": "2020-12-31", "programme": group, "rest": group, "matched": group,
                        "did_matched": 0.5}]})
    assert svg.count(r"$\foo{$") == 2 and "$x$" in svg
