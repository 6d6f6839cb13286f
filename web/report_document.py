"""The council-ready report document: cover, imprint, table of contents with page numbers, the narrative
sections (Markdown, rendered safely), the figures of `web.reports.integration_report`, the Gesamtindex map with
its 4x3 legend, attention areas by borough, short area profiles with findings, targets and measures, the
appendix with attribution per data source. HTML for the browser and, through `web.pdf`, an A4 PDF.

Stored reports (indicators.report_lifecycle) and the ad-hoc report of a period (/reports/{period}) render
through `render_document`; a published version is served as stored, never rendered again.
Figures are always the public values: a report goes to the council and the public.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError
from indicators.findings import list_findings
from indicators.programmes import evaluate_programme, list_programmes
from indicators.report_lifecycle import SECTION_KINDS, SECTION_LABELS, STATE_LABELS
from web.reports import integration_report, report_maps, sentences
from web.templates import environment
from web.values import decimals_for

# Fixed texts of the document: German first, English with ?lang=en.
TEXTS = {
    "report": ("Integrationsbericht", "Integration report"),
    "as_of": ("Stand", "as of"),
    "municipality": ("Kommune", "Municipality"),
    "publisher": ("Herausgeber", "Publisher"),
    "published": ("veröffentlicht am", "published on"),
    "not_published": ("nicht veröffentlicht – Arbeitsstand", "not published – working copy"),
    "state": ("Bearbeitungsstand", "State"),
    "version": ("Version", "Version"),
    "imprint": ("Impressum", "Imprint"),
    "contents": ("Inhalt", "Contents"),
    "page": ("Seite", "page"),
    "editors": ("Redaktion (Integrationsbüro)", "Editors (integration office)"),
    "checked": ("Zahlen geprüft und freigegeben (Statistikstelle)", "Figures checked and approved (statistics office)"),
    "sources": ("Datenquellen und Lizenzen", "Data sources and licences"),
    "level": ("Raumebene", "Spatial level"),
    "previous": ("Vorperiode", "Previous period"),
    "generated": ("Zahlenstand erstellt", "Figures generated"),
    "confidentiality": ("Alle Zahlen sind die veröffentlichten Werte: Werte, die die statistische Geheimhaltung "
                        "sperrt, erscheinen als „gesperrt“.",
                        "All figures are the published values: values withheld by statistical confidentiality "
                        "appear as “withheld”."),
    "no_previous": ("keine Vorgängerausgabe", "no previous edition"),
    "compared_with": ("Veränderung gegenüber der Ausgabe vom", "Change since the edition of"),
    "indicator": ("Indikator", "Indicator"), "city": ("Stadt", "City"), "minimum": ("Minimum", "Minimum"),
    "median": ("Median", "Median"), "maximum": ("Maximum", "Maximum"), "missing": ("ohne Wert", "no value"),
    "of": ("von", "of"), "value": ("Wert", "Value"), "rank": ("Rang", "Rank"), "area": ("Gebiet", "Area"),
    "key": ("Schlüssel", "Key"), "class": ("Gruppe", "Group"), "previous_class": ("vorher", "before"),
    "change": ("Veränderung", "Change"), "areas": ("Gebiete", "areas"),
    "maps_note": ("Quantile (je Klasse etwa gleich viele Gebiete); dunkler = ungünstiger, bei Indikatoren ohne "
                  "Wertungsrichtung neutral; grau = kein Wert; Linien: Grenzen der übergeordneten Gebiete. Anzahlen "
                  "werden als Dichte je km² gezeigt, nie als absolute Werte.",
                  "Quantiles (about equally many areas per class); darker = less favourable; grey = no value; lines: "
                  "boundaries of the parent areas. Counts are shown as densities per km², never as absolute numbers."),
    "gesamtindex_note": ("Gesamtindex: Status (Zeilen, 1 hoch bis 4 sehr niedrig) mal Dynamik (Spalten); Zahl der "
                         "Gebiete je Gruppe. Schwarz umrandet: Gebiete mit besonderem Aufmerksamkeitsbedarf.",
                         "Gesamtindex: status (rows, 1 high to 4 very low) by dynamics (columns); number of areas per "
                         "group. Outlined black: areas requiring special attention."),
    "no_index": ("Zu diesem Zeitpunkt liegen keine Indexergebnisse vor.", "There are no index results at this date."),
    "findings": ("Qualitative Befunde", "Qualitative findings"),
    "assessments": ("Einordnung vor Ort: bestätigt oder in Frage gestellt", "Local assessment: confirmed or questioned"),
    "no_findings": ("Keine qualitativen Befunde erfasst.", "No qualitative findings recorded."),
    "measures": ("Maßnahmen und Programme", "Measures and programmes"),
    "no_measures": ("Keine Maßnahmen erfasst.", "No measures recorded."),
    "responsible": ("verantwortlich", "responsible"), "budget": ("Budget", "budget"),
    "start": ("Beginn", "start"), "end": ("Ende", "end"), "evaluation": ("Bewertung", "evaluation"),
    "did": ("Differenz der Differenzen gegenüber Vergleichsgebieten", "difference in differences against matched "
            "areas"),
    "profiles_auto": ("Ausgewählt nach der Regel des Gesamtindex: Gebiete mit besonderem Aufmerksamkeitsbedarf, die "
                      "ungünstigste Gruppe zuerst.",
                      "Chosen by the Gesamtindex rule: areas requiring special attention, the least favourable "
                      "group first."),
    "profiles_given": ("Vom Integrationsbüro ausgewählte Gebiete.", "Areas chosen by the integration office."),
    "notes": ("Notizen der Redaktion", "Editors' notes"),
    "parent": ("übergeordnet", "parent"),
    "targets": ("Ziele", "Targets"), "base": ("Basis", "base"), "latest": ("zuletzt", "latest"),
    "progress": ("Fortschritt", "progress"), "reached": ("erreicht", "reached"),
    "count": ("Anzahl", "Number"),
    "change_words": ("„neu“, „weiterhin“ oder „nicht mehr“.", "“neu” (new), “weiterhin” (still) or “nicht mehr” "
                     "(no longer)."),
    "flagged": ("von der Regel des Index markiert", "flagged by the index rule"),
    "withheld": ("gesperrt", "withheld"),
    "target": ("Ziel", "target"),
    "summary_lead": ("Indikatoren liegen vor für die", "indicators are available for the"),
    "licence_fallback": ("Quellenangaben je Indikator im Anhang.", "Sources per indicator in the appendix."),
    "methods": ("Indikatoren, Definitionen und Quellen", "Indicators, definitions and sources"),
    "source": ("Quelle", "Source"),
}


def texts(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in TEXTS.items()}


@cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def narrative_html(text: str) -> str:
    """Markdown as written by a report's authors, rendered with raw HTML disabled (markdown-it-py) and the result
    sanitised (nh3, an allow-list): typed HTML or script shows as text, links keep only safe schemes."""
    import nh3

    if not text.strip():
        return ""
    rendered = _markdown().render(text)
    # headings of the narrative sit below the section's own heading (h2): # and ## become h3, the rest h4
    # (markdown-it escapes typed tags, so every <hN> here is its own)
    rendered = re.sub(r"<(/?)h([1-6])>", lambda m: f"<{m[1]}h{3 if m[2] in '12' else 4}>", rendered)
    return nh3.clean(rendered, tags={"p", "em", "strong", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code",
                                     "pre", "table", "thead", "tbody", "tr", "th", "td", "br", "hr"},
                     attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def attribution_lines(conn: Connection) -> list[str]:
    """One line per data source and its licence, from the loaded manifests' `attribution` settings (the same
    setting as every page's footer, service/attribution.py)."""
    import sqlalchemy as sa

    rows = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key LIKE 'attribution.%' ORDER BY key"))
    lines = []
    for (value,) in rows:
        lines.extend(part.strip() for part in value.split(";") if part.strip())
    return lines


def municipality_name(conn: Connection) -> str:
    import sqlalchemy as sa

    return conn.execute(sa.text("""
        SELECT a.name FROM area a JOIN area_level l ON l.code = a.level_code
        ORDER BY l.rank DESC, a.valid_from DESC LIMIT 1""")).scalar_one_or_none() or ""


def measures(conn: Connection, level: str, keys: set[str]) -> list[dict]:
    """The programme register (measures) with the descriptive difference-in-differences of each; per measure
    the profiled areas it covers."""
    found = []
    for programme in list_programmes(conn):
        try:
            evaluation = evaluate_programme(conn, programme["id"], unsuppressed=False)
        except AggregationInputError as exc:
            evaluation = {"error": str(exc), "indicators": []}
        wanted = set(programme.get("indicators") or [])
        rows = [r for r in evaluation.get("indicators", []) if not wanted or r["indicator"] in wanted]
        found.append({**programme, "areas_profiled": sorted(keys & set(programme["area_keys"] or [])),
                      "evaluation": {"caveat_de": evaluation.get("caveat_de"), "caveat_en": evaluation.get("caveat_en"),
                                     "error": evaluation.get("error"), "indicators": rows[:8]}})
    return found


def document_figures(conn: Connection, *, period: date, level: str | None = None,
                     area_keys: list[str] | None = None) -> dict:
    """Everything the document shows besides its narrative, as plain data (frozen at publication)."""
    figures = integration_report(conn, period, False, area_keys or None)
    keys = {p["area"]["key"] for p in figures["profiles"]}
    for index in figures["attention"]:
        keys |= {a["key"] for a in index["areas"] if a["attention"]}
    level_code = figures["level"]["code"]
    findings = list_findings(conn, level_code, sorted(keys))
    figures["findings"] = findings

    figures["measures"] = measures(conn, level_code, {p["area"]["key"] for p in figures["profiles"]})
    figures["sources"] = attribution_lines(conn)
    figures["municipality"] = municipality_name(conn)
    return figures


def render_document(document: dict, figures: dict, maps: dict, *, lang: str = "de", for_print: bool = False,
                    links: dict | None = None, editor: dict | None = None) -> str:
    """The report as one HTML page. `document`: title, municipality, publisher, sections (kind + narrative in
    their order), state, version, published_at, editors, approved_by."""
    t = texts(lang)
    sections = [{**s, "label": SECTION_LABELS[s["kind"]][1 if lang == "en" else 0],
                 "html": narrative_html(s.get("narrative") or "")} for s in document["sections"]]
    state = STATE_LABELS.get(document.get("state") or "", ("", ""))[1 if lang == "en" else 0]
    return environment.get_template("report_document.html").render(
        page_title=f"{document['title']}", d=document, r=figures, maps=maps, sections=sections, t=t, lang=lang,
        state_label=state, for_print=for_print, decimals_for=decimals_for, links=links or {},
        sentences=sentences, generated=datetime.now(UTC).replace(microsecond=0), editor=editor)


def period_document(figures: dict, lang: str) -> dict:
    """The ad-hoc report of a period: every section, no narrative, not published."""
    t = texts(lang)
    return {"title": f"{t['report']} {figures['period'].strftime('%d.%m.%Y')}",
            "municipality": figures.get("municipality", ""), "publisher": "", "state": None, "version": None,
            "published_at": None, "sections": [{"kind": k, "narrative": ""} for k in SECTION_KINDS]}


def build(conn: Connection, document: dict, storage_srid: int, *, lang: str = "de", for_print: bool = False,
          links: dict | None = None, figures: dict | None = None, editor: dict | None = None) -> tuple[dict, str]:
    """Figures (computed unless given), maps and the HTML of a document."""
    figures, maps = figures_and_maps(conn, document, storage_srid, figures)
    return figures, render_document(document, figures, maps, lang=lang, for_print=for_print, links=links,
                                    editor=editor)


def figures_and_maps(conn: Connection, document: dict, storage_srid: int,
                     figures: dict | None = None) -> tuple[dict, dict]:
    if figures is None:
        figures = document_figures(conn, period=document["period"], level=document.get("level"),
                                   area_keys=document.get("area_keys"))
    return figures, report_maps(conn, figures, storage_srid, None, False)
