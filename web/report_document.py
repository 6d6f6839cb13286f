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
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy.engine import Connection
from starlette.requests import Request

from geo.aggregation import AggregationInputError
from indicators.findings import list_findings
from indicators.notation import format_day
from indicators.programmes import evaluate_programme, list_programmes
from indicators.report_lifecycle import SECTION_KINDS, SECTION_LABELS, STATE_LABELS, Frozen
from web.i18n import N_, localised_name, translator
from web.pdf import html_to_pdf
from web.profiles import class_label
from web.reports import definition_text, integration_report, report_maps, sentences
from web.templates import environment, page_context
from web.values import decimals_for

# Fixed texts of the document by name: German msgids (the English is in web/locale), `texts(lang)` translates
TEXTS = {
    "report": N_("Integrationsbericht"),
    "as_of": N_("Stand %(date)s"),
    "municipality": N_("Kommune"),
    "publisher": N_("Herausgeber"),
    "published": N_("veröffentlicht am"),
    "not_published": N_("nicht veröffentlicht – Arbeitsstand"),
    "state": N_("Bearbeitungsstand"),
    "version": N_("Version"),
    "imprint": N_("Impressum"),
    "contents": N_("Inhalt"),
    "editors": N_("Redaktion (Integrationsbüro)"),
    "checked": N_("Zahlen geprüft und freigegeben (Statistikstelle)"),
    "sources": N_("Datenquellen und Lizenzen"),
    "level": N_("Raumebene"),
    "previous": N_("Vorperiode"),
    "generated": N_("Zahlenstand erstellt"),
    "confidentiality": N_("Alle Zahlen sind die veröffentlichten Werte: Werte, die die statistische Geheimhaltung "
                          "sperrt, erscheinen als „gesperrt“."),
    "no_previous": N_("keine Vorgängerausgabe"),
    "compared_with": N_("Veränderung gegenüber der Ausgabe vom"),
    "across_boundaries": N_("auf die heutigen Gebiete übertragen: je Gebiet zählt das frühere Gebiet, das den "
                            "größten Teil davon abdeckt"),
    "indicator": N_("Indikator"),
    "city": N_("Stadt"),
    "minimum": N_("Minimum"),
    "median": N_("Median"),
    "maximum": N_("Maximum"),
    "missing": N_("ohne Wert"),
    "of": N_("%(rank)s von %(n)s"),
    "value": N_("Wert"),
    "rank": N_("Rang"),
    "area": N_("Gebiet"),
    "class": N_("Gruppe"),
    "before": N_("vorher"),
    "after": N_("nachher"),
    "change": N_("Veränderung"),
    "areas": N_("Gebiete"),
    "maps_note": N_("Quantile (je Klasse etwa gleich viele Gebiete); dunkler = ungünstiger, bei Indikatoren ohne "
                    "Wertungsrichtung neutral; grau = kein Wert; Linien: Grenzen der übergeordneten Gebiete. Anzahlen "
                    "werden als Dichte je km² gezeigt, nie als absolute Werte."),
    "gesamtindex_note": N_("Gesamtindex: Status (Zeilen, 1 hoch bis 4 sehr niedrig) mal Dynamik (Spalten); Zahl der "
                           "Gebiete je Gruppe. Schwarz umrandet: Gebiete mit besonderem Aufmerksamkeitsbedarf."),
    "no_index": N_("Zu diesem Zeitpunkt liegen keine Indexergebnisse vor."),
    "findings": N_("Qualitative Befunde"),
    "assessments": N_("Einordnung vor Ort: bestätigt oder in Frage gestellt"),
    "no_findings": N_("Keine qualitativen Befunde erfasst."),
    "no_measures": N_("Keine Maßnahmen erfasst."),
    "responsible": N_("verantwortlich"),
    "budget": N_("Budget"),
    "start": N_("Beginn"),
    "end": N_("Ende"),
    "did": N_("Differenz der Differenzen gegenüber Vergleichsgebieten"),
    "profiles_auto": N_("Ausgewählt nach der Regel des Gesamtindex: Gebiete mit besonderem Aufmerksamkeitsbedarf, die "
                        "ungünstigste Gruppe zuerst."),
    "profiles_given": N_("Vom Integrationsbüro ausgewählte Gebiete."),
    "notes": N_("Notizen der Redaktion"),
    "parent": N_("übergeordnet"),
    "targets": N_("Ziele"),
    "base": N_("Basis"),
    "latest": N_("zuletzt"),
    "progress": N_("Fortschritt"),
    "reached": N_("erreicht"),
    "count": N_("Anzahl"),
    "change_words": N_("„neu“, „weiterhin“ oder „nicht mehr“."),
    "flagged": N_("von der Regel des Index markiert"),
    "withheld": N_("gesperrt"),
    "target": N_("Ziel"),
    "summary_lead": N_("%(count)s Indikatoren liegen vor für die %(levels)s (%(date)s)."),
    "licence_fallback": N_("Quellenangaben je Indikator im Anhang."),
    "methods": N_("Indikatoren, Definitionen und Quellen"),
    "source": N_("Quelle"),
    "n_areas": N_("%(count)s Gebiete"),
}


def texts(lang: str) -> dict[str, str]:
    """The document's fixed texts in `lang` (web.i18n: German, or the catalogue's English)."""
    _ = translator(lang)
    return {key: _(text) for key, text in TEXTS.items()}


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


def municipality_name(conn: Connection, level: str | None = None) -> str:
    """The name of the territory a report of `level` covers: the current area of the root of `level`'s own
    hierarchy (two set-ups can share a database: a report on Berlin's planning areas is Berlin's, not Germany's);
    without a level the highest level's. "" when that root holds more than one area."""
    import sqlalchemy as sa

    from geo.levels import ancestry, list_levels

    levels = {lv.code: lv for lv in list_levels(conn)}
    if level in levels:
        root = ancestry(levels, level)[-1].code
    elif levels:
        root = max(levels.values(), key=lambda lv: lv.rank).code
    else:
        return ""
    names = conn.execute(sa.text("SELECT name FROM area WHERE level_code = :root AND valid_to IS NULL LIMIT 2"),
                         {"root": root}).scalars().all()
    return names[0] if len(names) == 1 else ""


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
    figures["municipality"] = municipality_name(conn, level_code)
    return figures


def render_document(document: dict, figures: dict, maps: dict, *, lang: str = "de", for_print: bool = False,
                    links: dict | None = None, editor: dict | None = None, request: Request | None = None) -> str:
    """The report as one HTML page in `lang`. `document`: title, municipality, publisher, sections (kind +
    narrative in their order), state, version, published_at, editors, approved_by. `request`: the page's frame
    (signed-in person, footer); None for a frozen or printed document."""
    shown = 1 if lang == "en" else 0
    sections = [{**s, "label": SECTION_LABELS[s["kind"]][shown],
                 "html": narrative_html(s.get("narrative") or "")} for s in document["sections"]]
    state = STATE_LABELS.get(document.get("state") or "", ("", ""))[shown]
    return environment.get_template("report_document.html").render(**page_context(
        request, page_title=f"{document['title']}", d=document, r=figures, maps=maps, sections=sections,
        t=texts(lang), lang=lang, _=translator(lang), state_label=state, for_print=for_print,
        decimals_for=decimals_for, links=links or {}, sentences=sentences, definition_text=definition_text,
        name_of=lambda item: localised_name(item, lang), class_label=class_label,
        generated=datetime.now(UTC).replace(microsecond=0), editor=editor))


def period_document(figures: dict, lang: str) -> dict:
    """The ad-hoc report of a period: every section, no narrative, not published."""
    return {"title": f"{texts(lang)['report']} {format_day(figures['period'], lang)}",
            "municipality": figures.get("municipality", ""), "publisher": "", "state": None, "version": None,
            "published_at": None, "sections": [{"kind": k, "narrative": ""} for k in SECTION_KINDS]}


def no_step(code: str) -> None:
    """The progress callback of a document built without anyone watching."""


def build(conn: Connection, document: dict, storage_srid: int, *, lang: str = "de", for_print: bool = False,
          links: dict | None = None, figures: dict | None = None, editor: dict | None = None,
          request: Request | None = None, step: Callable[[str], None] = no_step) -> tuple[dict, str]:
    """Figures (computed unless given), maps and the HTML of a document in `lang`; `step(code)` is called as the
    steps "figures", "maps" and "pages" begin (service.jobs shows them as progress)."""
    figures, maps = figures_and_maps(conn, document, storage_srid, figures, lang, step)
    step("pages")
    return figures, render_document(document, figures, maps, lang=lang, for_print=for_print, links=links,
                                    editor=editor, request=request)


def period_report(conn: Connection, period: date, area_keys: list[str] | None, storage_srid: int, *, lang: str,
                  for_print: bool, request: Request | None = None, step: Callable[[str], None] = no_step) -> str:
    """The HTML of the report of a period generated from the data (all sections, no narrative), for the screen
    (with `request`: the site's frame) or for print."""
    step("figures")
    figures = document_figures(conn, period=period, area_keys=area_keys)
    stem = f"/reports/{period.isoformat()}"
    _figures, html = build(conn, period_document(figures, lang), storage_srid, lang=lang, for_print=for_print,
                           figures=figures, request=request, step=step,
                           links={"PDF (A4)": f"{stem}.pdf" + ("?lang=en" if lang == "en" else ""),
                                  "JSON": f"{stem}.json"})
    return html


def figures_and_maps(conn: Connection, document: dict, storage_srid: int, figures: dict | None = None,
                     lang: str = "de", step: Callable[[str], None] = no_step) -> tuple[dict, dict]:
    """The document's figures (computed unless given) and its maps, their titles and legends in `lang`."""
    if figures is None:
        step("figures")
        figures = document_figures(conn, period=document["period"], level=document.get("level"),
                                   area_keys=document.get("area_keys"))
    step("maps")
    return figures, report_maps(conn, figures, storage_srid, None, False, lang)


def document_of(report: dict, *, published_at: datetime | None = None, approved_by: str | None = None) -> dict:
    """A stored report (indicators.report_lifecycle.get_report) as the document the page and the PDF show."""
    editors = sorted({s["updated_by"] for s in report["sections"] if s.get("updated_by")})
    return {**report, "editors": editors, "published_at": published_at, "approved_by": approved_by}


def freeze(conn: Connection, report: dict, storage_srid: int, step: Callable[[str], None] = no_step) -> Frozen:
    """Figures, HTML and PDF of the report as it is published now (steps "figures", "maps", "pages", "pdf")."""
    approver = next((h["actor"] for h in reversed(report["history"]) if h["to_state"] == "approved"), None)
    document = document_of(report, published_at=datetime.now(UTC), approved_by=approver)
    figures, maps = figures_and_maps(conn, document, storage_srid, step=step)
    step("pages")
    printed = render_document(document, figures, maps, for_print=True)
    screen = render_document(document, figures, maps,
                             links={"PDF (A4)": f"/reports/documents/{report['id']}/v{report['version']}.pdf"})
    step("pdf")
    return Frozen(figures=figures, html=screen, pdf=html_to_pdf(printed))
