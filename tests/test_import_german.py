"""Every problem an import reports carries German text (issue 18: the dry-run report names file, row, column, value
and fix in German and English).

A source scan finds every place in geo/, indicators/ and service/ that creates an import problem - a call of
`Problem(...)`, of `.error(...)`/`.warning(...)` on anything but a logger, of a name bound to
one of those methods (`add = report.warning if allowed else report.error`), and of a helper whose parameters take
the German text (`refuse_oversized(..., fix_de)`) - and asserts that it passes `message_de` and `fix_de`. A call
site without German is a bug. The few places that only hand on a Problem built elsewhere are listed in
PASS_THROUGH with the reason. Then a dry run of bad files through the ordinary import entry points shows that the
German arrives in the report and in `Problem.as_text(lang="de")`.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.import_report import ImportReport, Problem
from indicators.ingest.observations import ObservationImportOptions, import_observations
from tests.conftest import private_engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "indicators", "service")
GERMAN = ("message_de", "fix_de")
REPORT_METHODS = {"error", "warning"}
# (file, function): why a call there needs no German of its own
PASS_THROUGH = {
    ("geo/import_report.py", "error"): "ImportReport.error builds the Problem from its caller's keyword arguments",
    ("geo/import_report.py", "warning"): "ImportReport.warning builds the Problem from its caller's keyword arguments",
}
BAD = ROOT / "tests" / "data" / "bad"


LOGGERS = {"log", "logger", "LOG", "LOGGER", "logging", "_log", "_logger"}


def _is_report(node: ast.expr) -> bool:
    """A receiver of .error()/.warning() that is not a logger: an ImportReport, whatever its name."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name not in LOGGERS and not name.lower().endswith("logger")


def _german_helpers(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Functions that take the German text as parameters (they build or forward the problem): name -> which."""
    helpers: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = {a.arg for a in node.args.args + node.args.kwonlyargs} & set(GERMAN)
                if names and node.name not in REPORT_METHODS:
                    helpers[node.name] = names
    return helpers


def _passes(call: ast.Call, wanted: set[str], function: ast.FunctionDef | None, helper: ast.FunctionDef | None) -> bool:
    given = {k.arg for k in call.keywords if k.arg}
    if helper is not None:  # positional arguments of a helper count by their parameter's name
        params = [a.arg for a in helper.args.args]
        given |= set(params[:len(call.args)])
    for unpacked in (k.value for k in call.keywords if k.arg is None):
        # **german, where `german = {"message_de": ..., "fix_de": ...}` in the same function
        if isinstance(unpacked, ast.Name) and function is not None:
            for node in ast.walk(function):
                if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == unpacked.id
                                                         for t in node.targets)
                        and isinstance(node.value, ast.Dict)):
                    given |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return wanted <= given


def _enclosing(functions: list[ast.FunctionDef], line: int) -> ast.FunctionDef | None:
    """The innermost function around `line`."""
    inner = [f for f in functions if f.lineno <= line <= (f.end_lineno or f.lineno)]
    return max(inner, key=lambda f: f.lineno) if inner else None


def problem_call_sites() -> list[tuple[str, int, str, bool]]:
    """(file, line, what, passes German) for every call that creates an import problem."""
    trees = {str(p.relative_to(ROOT)): ast.parse(p.read_text(encoding="utf-8"), str(p))
             for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}
    helpers = _german_helpers(trees)
    helper_defs = {node.name: node for tree in trees.values() for node in ast.walk(tree)
                   if isinstance(node, ast.FunctionDef) and node.name in helpers}
    sites = []
    for file, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

        aliases = set()  # names bound to report.error / report.warning
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                bound = [n for n in ast.walk(node.value) if isinstance(n, ast.Attribute)
                         and n.attr in REPORT_METHODS and _is_report(n.value)]
                if bound:
                    aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func, what, wanted, helper = node.func, None, set(GERMAN), None
            if isinstance(func, ast.Name) and func.id == "Problem" or \
                    isinstance(func, ast.Attribute) and func.attr == "Problem":
                what = "Problem"
            elif isinstance(func, ast.Attribute) and func.attr in REPORT_METHODS and _is_report(func.value):
                what = f"report.{func.attr}"
            elif isinstance(func, ast.Name) and func.id in aliases:
                what = func.id
            elif isinstance(func, ast.Name) and func.id in helpers:
                what, wanted, helper = func.id, helpers[func.id], helper_defs[func.id]
            if what is None:
                continue
            function = _enclosing(functions, node.lineno)
            if function is not None and (file, function.name) in PASS_THROUGH:
                continue
            sites.append((file, node.lineno, what, _passes(node, wanted, function, helper)))
    return sites


def test_every_problem_call_site_passes_german_text():
    sites = problem_call_sites()
    assert len(sites) > 100, "the scan found too few call sites; has the way problems are made changed?"
    missing = [f"{file}:{line} {what}" for file, line, what, ok in sites if not ok]
    assert not missing, "import problems without message_de/fix_de:\n" + "\n".join(missing)


def test_the_scan_sees_a_call_without_german(tmp_path):
    """The scanner itself: a call without German is found, one with it passes."""
    tree = ast.parse("def f(report):\n    report.error('x', 'y', row=1)\n"
                     "    report.warning('x', 'y', message_de='a', fix_de='b')\n")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [_passes(c, set(GERMAN), None, None) for c in calls] == [False, True]


def test_as_text_speaks_german():
    problem = Problem("error", "unknown area key '999'", "correct the key", "werte.csv", row=3, column="area",
                      value="999", message_de="unbekannter Gebietsschlüssel '999'", fix_de="den Schlüssel korrigieren")
    assert problem.as_text() == "werte.csv, row 3, column 'area': unknown area key '999' (value '999'). " \
                                "Fix: correct the key"
    assert problem.as_text(lang="de") == "werte.csv, Zeile 3, Spalte 'area': unbekannter Gebietsschlüssel '999' " \
                                         "(Wert '999'). Lösung: den Schlüssel korrigieren"
    english_only = Problem("error", "x", "y", "f.csv")
    assert english_only.as_text(lang="de") == "f.csv: x. Lösung: y"  # a bug the scan above catches; still readable


# a few bad files of both kinds, through the ordinary import functions (the CLI's and the HTTP API's path)
LONG = {"level": "plr"}
BEZ = {"level": "bez", "key_field": "id", "name_field": "name", "parent_key": "11", "valid_from": "2025-01-01"}
DRY_RUNS = [
    ("observations", "unknown_area_key.csv", LONG),
    ("observations", "text_in_numeric_column.csv", LONG),
    ("observations", "wrong_separator.csv", LONG),
    ("observations", "empty.csv", LONG),
    ("observations", "unreadable_period.csv", LONG),
    ("observations", "share_above_100.csv", LONG),
    ("boundaries", "boundaries_points.geojson", BEZ),
    ("boundaries", "boundaries_duplicate_keys.geojson", BEZ),
    ("boundaries", "zip_without_shp.zip", BEZ),
    ("boundaries", "boundaries_missing_key_field.geojson", BEZ),
]
# German words, or letters English never has; every German text must show one
GERMAN_MARK = re.compile(r"[äöüßÄÖÜ]|\b(der|die|das|den|dem|des|ein|eine|einen|ist|sind|nicht|kein|keine|oder|und|"
                         r"mit|als|im|in der|Datei|Zeile|Spalte|Schlüssel|Gebiet\w*|Wert\w*|Geometrie|Ebene|"
                         r"Indikator\w*|Zeitpunkt\w*|Spaltentrenner|Trennzeichen|prüfen|korrigieren|angeben|"
                         r"löschen|entfernen|füllen|liefern|speichern|exportieren|wählen)\b")


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_german") as engine:
        yield engine


@pytest.mark.parametrize("kind, name, options", DRY_RUNS, ids=[d[1] for d in DRY_RUNS])
def test_a_dry_run_of_a_bad_file_reports_in_german(engine, kind, name, options):
    with engine.connect() as conn:
        if kind == "observations":
            report = import_observations(conn, BAD / name, ObservationImportOptions(**options), dry_run=True)
        else:
            values = {**options, "valid_from": date.fromisoformat(options["valid_from"])}
            report = import_boundaries(conn, BAD / name, BoundaryImportOptions(**values), dry_run=True)
    assert isinstance(report, ImportReport) and report.errors, report.as_dict()
    for problem in report.problems:
        assert problem.message_de and problem.fix_de, problem.as_text()
        assert GERMAN_MARK.search(problem.message_de + " " + problem.fix_de), problem.as_text(lang="de")
        assert problem.message_de != problem.message and problem.fix_de != problem.fix, problem.as_text(lang="de")
        text = problem.as_text(lang="de")
        assert problem.message_de in text and f"Lösung: {problem.fix_de}" in text
    as_json = report.as_dict()["problems"][0]
    assert as_json["message_de"] and as_json["fix_de"]


def test_the_command_line_prints_the_report_in_german_when_asked(monkeypatch):
    from service.cli_common import console
    from service.import_cli import REPORT_LANG_ENV, print_report

    report = ImportReport(kind="observations", file="werte.csv", dry_run=True)
    report.error("unknown area key '999'", "correct the key", row=3, column="area", value="999",
                 message_de="unbekannter Gebietsschlüssel '999'", fix_de="den Schlüssel korrigieren")
    monkeypatch.setattr(console, "width", 200)  # no folding inside the words looked for
    monkeypatch.setenv(REPORT_LANG_ENV, "de")
    with console.capture() as german:
        print_report(report)
    monkeypatch.delenv(REPORT_LANG_ENV)
    with console.capture() as english:
        print_report(report)
    for words in ("Lösung", "Fehler", "unbekannter Gebietsschlüssel", "den Schlüssel korrigieren", "Probelauf"):
        assert words in german.get(), german.get()
    assert "unknown area key" in english.get() and "dry run" in english.get() and "Lösung" not in english.get()


def test_every_grid_id_error_has_german():
    import pandas as pd

    from geo.grid import _CELL_ID_ERRORS_DE, parse_cell_ids

    ids = pd.Series(["Zelle 7", "CRS4326RES100mN3268400E4553900", "CRS3035RES100mN3268450E4553900",
                     "CRS3035RES100mN3268400E4553900"])
    errors = set(parse_cell_ids(ids)["error"].dropna())
    assert len(errors) == 3 and errors <= set(_CELL_ID_ERRORS_DE), errors
