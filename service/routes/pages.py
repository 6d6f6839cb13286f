"""HTML pages for people (map explorer, area profiles, integration reports) and their data twins.

Routers stay thin: parse, call one `web` function, shape the response. Unknown names in a URL give a
friendly German 404 page with links to what exists (never a stack trace).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse, RedirectResponse, Response

from geo.area_list import list_areas
from geo.levels import get_level, list_levels
from indicators.comparison import GROUP_ID_PATTERN, comparison_group_for, list_groups
from indicators.report_lifecycle import list_reports
from service.auth import Principal, current_principal
from service.errors import not_found
from service.formats import (
    TABLE_FORMATS,
    all_fields,
    choose_format,
    offers,
    table_response,
)
from service.http import json_response, read_connection
from service.params import PageLevel
from web.compare import comparison_data, comparison_page_context, resolve_comparison
from web.explorer import (
    EXPORT_MEDIA,
    Choices,
    build_explorer,
    explorer_data,
    explorer_export,
    resolve_state,
    table_records,
)
from web.i18n import translator
from web.integration_page import overview as integration_overview
from web.pdf import html_to_pdf
from web.profiles import (
    Missing,
    area_profile,
    chart_urls,
    charted,
    find_profile_area,
    kept_profile,
    locator_map,
    profile_chart,
    profile_charts,
    profile_csv_rows,
    render_profile,
)
from web.report_document import document_figures, period_report
from web.reports import report_periods, resolve_report_period
from web.templates import render

router = APIRouter(tags=["pages"])
Conn = Annotated[Connection, Depends(read_connection)]  # pages only read: public ones from the replica
Caller = Annotated[Principal, Depends(current_principal)]
PageFormat = Annotated[str, offers("html", "json", *TABLE_FORMATS)]  # the page, and its data twins


def page_language(request: Request) -> str:
    """The language the service settled for this request's page (service.http.requested_language)."""
    return getattr(request.state, "lang", "de")


def not_found_page(request: Request, message: str, choices: list[tuple[str, str]]) -> HTMLResponse:
    return render("error.html", request, status=404, page_title=translator(page_language(request))("Nicht gefunden"),
                  heading="Nicht gefunden", message=message, choices=choices)


def split_suffix(name: str, f: str | None, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """'01100101.pdf' -> ('01100101', 'pdf'): the data twins as file-like URLs; `f=` wins."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in allowed:
        return stem, f or suffix
    return name, f


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def data_version(request: Request) -> int | None:
    """The process's copy of dm_setting.data_version (service.caching), or None when it is unknown."""
    holder = getattr(request.app.state, "data_version", None)
    return None if holder is None else holder.value


@router.get("/integration", summary="Integration monitoring: segregation of the declared population groups, area "
                                 "types, coverage of the indicator sets (HTML)", response_class=HTMLResponse)
def integration(request: Request, conn: Conn, caller: Caller):
    lang = page_language(request)
    return render("integration.html", request, page_title=translator(lang)("Integrationsmonitoring"),
                  overview=integration_overview(conn, lang, caller.sees_unsuppressed))


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request):
    """The API documentation: vendored Swagger UI 5 (OpenAPI 3.1) on this service's own document."""
    return render("api_docs.html", request, page_title="API-Dokumentation", openapi_url=request.app.openapi_url)


@router.get("/explorer", summary="Map explorer: indicator, period, level, classes, change map, smoothing (HTML, "
                                "JSON, tables; the map as PNG or PDF)")
def explorer(request: Request, conn: Conn, caller: Caller, level: PageLevel,
             fmt: Annotated[str, offers("html", "json", *TABLE_FORMATS, *EXPORT_MEDIA)],
             indicator: Annotated[str | None, Query(max_length=40, description="Indicator code; default: first "
                                                                               "status indicator.")] = None,
             period: Annotated[str | None, Query(max_length=40, description="Reference date or year; default: "
                                                                            "latest.")] = None,
             scheme: Annotated[str, Query(max_length=40, description="Class scheme.")] = "quantiles",
             k: Annotated[int, Query(ge=2, le=9, description="Number of classes.")] = 5,
             compare: Annotated[str | None, Query(max_length=40, description="Earlier period: show the change "
                                                                             "since then.")] = None,
             index: Annotated[str | None, Query(max_length=80, description="Composite index whose attention "
                                                                           "areas are highlighted.")] = None,
             detail: Annotated[str, Query(max_length=10, description="Geometry: map (simplified) or full.")] = "map",
             nearest: Annotated[bool, Query(description="A period or comparison date without values of the "
                                                        "indicator is moved to its nearest period (said on the "
                                                        "page) instead of a page of choices; the explorer's "
                                                        "controls send it.")] = False,
             limits: Annotated[str, Query(max_length=10, description="Class limits from this period's values "
                                                                      "(period) or from every period's (series: "
                                                                      "one legend for the whole series).")]
             = "period",
             smooth: Annotated[str | None, Query(max_length=20, description="Empirical Bayes smoothing of a share "
                                                                            "or rate delivered with numerator and "
                                                                            "denominator, for the map only (eb, or "
                                                                            "spatial_eb: towards the neighbours); "
                                                                            "labelled as smoothed, `value` stays "
                                                                            "the published value.")] = None):
    lang = page_language(request)
    state = resolve_state(conn, indicator=indicator, level=level, period=period, scheme=scheme, k=k,
                          compare=compare or None, index=index or None, detail=detail,
                          unsuppressed=caller.sees_unsuppressed, lang=lang, nearest=nearest, limits=limits,
                          smooth=smooth or None)
    if isinstance(state, Choices):
        return not_found_page(request, state.message, state.choices)
    if fmt == "json":
        return json_response(explorer_data(conn, state, caller.sees_unsuppressed).as_json())
    if fmt in TABLE_FORMATS:
        rows = table_records(explorer_data(conn, state, caller.sees_unsuppressed))
        return table_response(fmt, rows, all_fields(rows), f"karte_{state.indicator}_{state.level}_{state.period}")
    settings = request.app.state.settings
    if fmt in EXPORT_MEDIA:  # the map as a sheet to hand on, with title, legend, source and date
        content = explorer_export(conn, state, caller.sees_unsuppressed, settings.storage_srid,
                                  data_version(request), fmt, lang)
        name = f"karte_{state.indicator}_{state.level}_{state.period}.{fmt}"
        return Response(content, media_type=EXPORT_MEDIA[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return HTMLResponse(build_explorer(conn, state, caller.sees_unsuppressed, settings.map_tiles or None,
                                       settings.storage_srid, data_version(request), lang=lang))


@router.get("/explorer/vergleich", summary="Two maps side by side with linked pans: one indicator at two periods "
                                          "(common classes) or two indicators (HTML, JSON)")
def explorer_comparison(
        request: Request, conn: Conn, caller: Caller, level: PageLevel,
        fmt: Annotated[str, offers("html", "json")],
        indicator: Annotated[str | None, Query(max_length=40, description="Indicator of the left map (and of "
                                                                          "both, without indicator_right).")] = None,
        indicator_right: Annotated[str | None, Query(max_length=40, description="Indicator of the right map.")] = None,
        left: Annotated[str | None, Query(max_length=40, description="Period of the left map; default: the one "
                                                                     "before the right map's.")] = None,
        right: Annotated[str | None, Query(max_length=40, description="Period of the right map; default: "
                                                                      "latest.")] = None,
        scheme: Annotated[str, Query(max_length=40, description="Class scheme.")] = "quantiles",
        k: Annotated[int, Query(ge=2, le=9, description="Number of classes.")] = 5,
        nearest: Annotated[bool, Query(description="A date without values of an indicator is moved to its "
                                                   "nearest period (said on the page); the page's form sends "
                                                   "it.")] = False):
    lang = page_language(request)
    states = resolve_comparison(conn, indicator=indicator, indicator_right=indicator_right or None, level=level,
                                left=left or None, right=right or None, scheme=scheme, k=k,
                                unsuppressed=caller.sees_unsuppressed, lang=lang, nearest=nearest)
    if isinstance(states, Choices):
        return not_found_page(request, states.message, states.choices)
    if fmt == "json":  # the data twin is German, as the explorer's
        return json_response(comparison_data(conn, *states, caller.sees_unsuppressed).as_json())
    comparison = comparison_data(conn, *states, caller.sees_unsuppressed, lang)
    return render("compare.html", request, page_title=translator(lang)("Kartenvergleich"),
                  **comparison_page_context(conn, comparison, data_version(request), lang))


@router.get("/maps/indicators/{code}", summary="The map of one indicator (opens the map explorer)")
def indicator_map(code: str, level: PageLevel, period: str | None = None, scheme: str = "quantiles",
                  k: Annotated[int, Query(ge=2, le=9)] = 5):
    params = {"indicator": code, "level": level, "scheme": scheme, "k": k}
    if period:
        params["period"] = period
    return RedirectResponse("/explorer?" + urlencode(params), status_code=307)


@router.get("/areas", summary="Area profiles: pick a level and an area (HTML, JSON, CSV)")
def areas(request: Request, conn: Conn, level: PageLevel, fmt: PageFormat,
          q: Annotated[str | None, Query(max_length=100, description="Part of a name or key.")] = None):
    lvl = get_level(conn, level)
    if lvl is None:
        return not_found_page(request, f"Die Raumebene „{level}“ gibt es nicht.",
                              [(lv.plural_de, f"/areas?level={lv.code}") for lv in list_levels(conn)])
    found = list_areas(conn, level)
    if q:
        wanted = q.strip().casefold()
        found = [a for a in found if wanted in a["name"].casefold() or a["key"].startswith(wanted)]
    rows = [{**a, "level": level, "profile": f"/areas/{level}/{a['key']}"} for a in found]
    if fmt == "json":
        return json_response({"level": level, "areas": rows, "count": len(rows)})
    if fmt in TABLE_FORMATS:
        return table_response(fmt, rows, all_fields(rows), f"gebiete_{level}")
    return render("areas.html", request, page_title="Quartiersprofile", levels=list_levels(conn), level=lvl,
                  areas=found, q=q)


PROFILE_FORMATS = ("html", "json", *TABLE_FORMATS, "pdf")


@router.get("/areas/{level}/{key}", summary="Area profile (Quartiersprofil): HTML, JSON, CSV, XLSX or PDF "
                                            "(also as /areas/{level}/{key}.json|.csv|.xlsx|.pdf)")
def profile(request: Request, conn: Conn, caller: Caller, level: str, key: str,
            f: Annotated[str | None, Query(pattern="^(" + "|".join(PROFILE_FORMATS) + ")$")] = None,
            group: Annotated[str | None, Query(pattern=GROUP_ID_PATTERN, description=(
                "A comparison group of the area's level (/api/comparison-groups): its median and the area's rank "
                "in it beside every value."))] = None):
    key, f = split_suffix(key, f, PROFILE_FORMATS)
    f = choose_format(request, f, PROFILE_FORMATS)
    area = find_profile_area(conn, level, key)
    if isinstance(area, Missing):
        return not_found_page(request, area.message, area.choices)
    chosen = comparison_group_for(conn, group, level) if group else None
    data = (area_profile(conn, area, caller.sees_unsuppressed, chosen) if chosen is not None
            else kept_profile(conn, area, caller.sees_unsuppressed))
    if f == "json":
        return json_response(data)
    if f in TABLE_FORMATS:
        rows = profile_csv_rows(data)
        return table_response(f, rows, all_fields(rows), f"profil_{level}_{key}")
    settings = request.app.state.settings
    locator = locator_map(conn, data, area, settings.storage_srid, data_version(request))
    lang = getattr(request.state, "lang", "de")
    # on screen the charts are images of their own, loaded as they scroll into view; a PDF carries them
    charts = profile_charts(data, lang) if f == "pdf" else chart_urls(data, lang, data_version(request))
    html = render_profile(data, charts, locator, for_print=f == "pdf", request=request,
                          groups=list_groups(conn, level))
    if f == "pdf":
        return pdf_response(html_to_pdf(html), f"quartiersprofil_{level}_{key}.pdf")
    return HTMLResponse(html)


@router.get("/areas/{level}/{key}/charts/{code}.svg", summary="Trend chart of one indicator of an area profile "
                                                            "(SVG; the profile page loads it)")
def profile_chart_image(request: Request, conn: Conn, caller: Caller, level: str, key: str, code: str):
    area = find_profile_area(conn, level, key)
    if isinstance(area, Missing):
        raise not_found(area.message)
    data = kept_profile(conn, area, caller.sees_unsuppressed)
    item = next((i for i in charted(data) if i["code"] == code), None)
    if item is None:
        raise not_found(f"the profile of {level} {key} has no trend chart of {code!r} (an indicator needs values at "
                        f"two periods); /areas/{level}/{key}?f=json lists its indicators")
    return Response(profile_chart(data, item, getattr(request.state, "lang", "de")), media_type="image/svg+xml")


@router.get("/reports", summary="Integration reports: one per period (HTML, JSON)")
def reports(request: Request, conn: Conn, caller: Caller, fmt: Annotated[str, offers("html", "json")]):
    periods = report_periods(conn, caller.sees_unsuppressed)
    if fmt == "json":
        return json_response({"reports": [{"period": p, "html": f"/reports/{p.isoformat()}",
                                           "pdf": f"/reports/{p.isoformat()}.pdf"} for p in periods]})
    return render("reports.html", request, page_title=translator(page_language(request))("Integrationsberichte"),
                  periods=periods, documents=list_reports(conn, sees_drafts=caller.sees_drafts))


@router.get("/reports/{period}", summary="Integration report of one period, generated from the data (all sections, "
                                         "no narrative): HTML, JSON or A4 PDF (also as /reports/{period}.pdf|.json); "
                                         "written and published reports: /api/reports")
def report(request: Request, conn: Conn, caller: Caller, period: str,
           areas: Annotated[str | None, Query(max_length=2000, description="Comma-separated keys of the "
                                                                           "areas to profile.")] = None,
           f: Annotated[str | None, Query(pattern="^(html|json|pdf)$")] = None):
    period, f = split_suffix(period, f, ("json", "pdf", "html"))
    lang = page_language(request)  # ?lang=en, the visitor's choice or browser: the page and its PDF alike
    chosen = resolve_report_period(conn, period, False, lang)  # a report shows the public figures (docs/reports.md)
    if isinstance(chosen, Missing):
        return not_found_page(request, chosen.message, chosen.choices)
    selected = [k.strip() for k in areas.split(",") if k.strip()] if areas else None
    if f == "json":
        return json_response(document_figures(conn, period=chosen, area_keys=selected))
    html = period_report(conn, chosen, selected, request.app.state.settings.storage_srid, lang=lang,
                         for_print=f == "pdf", request=None if f == "pdf" else request)  # print: no site frame
    if f == "pdf":
        return pdf_response(html_to_pdf(html), f"integrationsbericht_{chosen.isoformat()}.pdf")
    return HTMLResponse(html)
