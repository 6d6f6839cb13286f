"""Command line of aggregation: the `aggregate` command group (roll-ups, any polygon, radius, points and grids
to areas, supply, programmes).

Added to the main Typer app by `service.cli`; uses the shared helpers of `service.cli_common`. Importing
point, grid and polygon layers is `service.import_cli`.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import orjson
import typer

from service.cli_common import console, database, fail

aggregate_app = typer.Typer(help="Roll-ups, any polygon, radius, points/grid to areas, supply, programmes.",
                            no_args_is_help=True)
MIN_POPULATION = 100.0


def _print_json(data) -> None:
    sys.stdout.write(orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")


def _run(compute):
    """Run `compute(conn)` on the configured database; domain input errors become one-line messages."""
    from geo.aggregation import AggregationInputError
    from geo.levels import UnknownLevel
    from service.settings import get_settings

    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            try:
                return compute(conn)
            except AggregationInputError as exc:
                fail(f"{exc.field}: {exc}")
            except UnknownLevel as exc:
                fail(f"level: {exc}; the levels are {', '.join(exc.available)}")


def _principal():
    from service.auth import cli_principal

    return cli_principal()


def _audited(conn, action: str, target_type: str, target_id: str | None, result):
    """`result` of a write, after its audit record (as cli:<os user>) in the same transaction."""
    from service.audit import record

    record(conn, _principal(), action, target_type, target_id, None, result)
    return result


@aggregate_app.command("rollup")
def rollup_command():
    """Recompute the roll-ups of all levels now, and disclosure with them (imports do this by themselves);
    audited."""
    from indicators.refresh import refresh_after_write

    changed = _run(lambda conn: _audited(conn, "recompute", "rollup", None,
                                         {"rows_changed": refresh_after_write(conn)}))["rows_changed"]
    console.print(f"roll-ups and disclosure up to date; {changed:,} derived rows written or removed")


@aggregate_app.command("derivations")
def derivations_command(level: str = typer.Option("bez", help="Area level."),
                        indicator: Optional[str] = typer.Option(None, help="Indicator code."),
                        period: Optional[str] = typer.Option(None, help="Period YYYY-MM-DD.")):
    """Print how the values of a level were derived (rule, weight, children used)."""
    from indicators.rollup import list_derivations

    when = _parse_date(period, "--period")
    _print_json(_run(lambda conn: list_derivations(conn, level, indicator, when, unsuppressed=True)))


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date: write it as YYYY-MM-DD")


@aggregate_app.command("polygon")
def polygon_command(file: Optional[Path] = typer.Argument(None, help="GeoJSON file with one (Multi)Polygon."),
                    crs: Optional[str] = typer.Option(None, help="CRS of the coordinates (default CRS84)."),
                    layer: Optional[str] = typer.Option(None, help="Stored polygon layer instead of a file."),
                    key: Optional[str] = typer.Option(None, help="Feature key in --layer."),
                    level: Optional[str] = typer.Option(None, help="Source level (default: the finest).")):
    """Estimate all indicators for a polygon by areal interpolation (JSON on stdout)."""
    from geo.aggregation import parse_target, stored_target
    from indicators.interpolation import InterpolationRequest, interpolate

    if (file is None) == (layer is None):
        fail("give either a GeoJSON FILE or --layer with --key")
    body = None
    if file is not None:
        try:
            body = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{file}: cannot read it as GeoJSON ({exc})")

    def compute(conn):
        target = stored_target(conn, layer, key or "") if layer else parse_target(conn, body, crs)
        return interpolate(conn, InterpolationRequest(target, level, True, MIN_POPULATION))

    _print_json(_run(compute))


@aggregate_app.command("radius")
def radius_command(x: float = typer.Option(..., help="Longitude (CRS84) or easting."),
                   y: float = typer.Option(..., help="Latitude (CRS84) or northing."),
                   radius: float = typer.Option(..., help="Radius in metres (0 < r <= 50,000)."),
                   crs: Optional[str] = typer.Option(None, help="CRS of x/y (default CRS84).")):
    """Estimate all indicators within a radius around a point (JSON on stdout)."""
    from geo.aggregation import circle_target
    from indicators.interpolation import InterpolationRequest, interpolate

    _print_json(_run(lambda conn: interpolate(conn, InterpolationRequest(circle_target(conn, x, y, radius, crs),
                                                                         None, True, MIN_POPULATION))))


@aggregate_app.command("catchments")
def catchments_command(layer: str = typer.Option(..., help="Point layer, e.g. kitas."),
                       radius: float = typer.Option(..., help="Radius in metres."),
                       indicator: Optional[str] = typer.Option(None, help="Count indicator (default: the "
                                                               "level's population count)."),
                       capacity: Optional[str] = typer.Option(None, help="Capacity attribute, e.g. e_platz."),
                       csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write a CSV file.")):
    """Population within a radius around each facility of a layer."""
    from indicators.supply import CatchmentRequest, catchments

    result = _run(lambda conn: catchments(conn, CatchmentRequest(layer, radius, indicator, capacity_field=capacity,
                                                                 unsuppressed=True, min_population=MIN_POPULATION)))
    _output(result, result["items"], csv_out)


def _level(conn, code: str | None) -> str:
    """The level asked for, or the finest loaded level (never a code written here)."""
    from geo.levels import finest_level, require_level

    return require_level(conn, code).code if code else finest_level(conn)


def _output(result: dict, rows: list[dict], csv_out: Path | None) -> None:
    if csv_out is None:
        _print_json(result)
        return
    from web.tabular_export import csv_text

    csv_out.write_text(csv_text(rows, list(rows[0].keys()) if rows else ["key"]), encoding="utf-8", newline="")
    console.print(f"{len(rows):,} rows written to {csv_out}")


@aggregate_app.command("points")
def points_command(layer: str = typer.Option(..., help="Point layer."),
                   level: Optional[str] = typer.Option(None, help="Area level (default: the finest loaded level)."),
                   sum_field: list[str] = typer.Option([], "--sum", help="Numeric attribute to sum, repeatable."),
                   csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write a CSV file.")):
    """Count the points (and sum attributes) per area."""
    from geo.points import points_per_area
    from indicators.values import boundary_date_for

    def work(conn) -> dict:
        chosen = _level(conn, level)
        items = points_per_area(conn, layer, chosen, boundary_date_for(conn, chosen, None), sum_field)
        return {"layer": layer, "level": chosen, "items": items}

    result = _run(work)
    _output(result, result["items"], csv_out)


@aggregate_app.command("supply")
def supply_command(layer: Optional[str] = typer.Option(None, help="Point layer (default: the first that declares a "
                                                                  "capacity)."),
                   capacity: Optional[str] = typer.Option(None, help="Capacity attribute (default: the layer's)."),
                   population: Optional[str] = typer.Option(None, help="Count served (default: the layer's, else "
                                                                       "the level's population)."),
                   period: Optional[str] = typer.Option(None),
                   level: Optional[str] = typer.Option(None, help="Area level (default: the finest loaded level)."),
                   per: float = typer.Option(100.0),
                   csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write a CSV file.")):
    """Supply ratio per area, e.g. Kita places per 100 children under 6 (EW_U6)."""
    from indicators.supply import SupplyRequest, supply_per_area

    when = _parse_date(period, "--period")
    result = _run(lambda conn: supply_per_area(conn, SupplyRequest(layer, capacity, population, when, level, per,
                                                                   True)))
    _output(result, result["items"], csv_out)


@aggregate_app.command("grid")
def grid_command(layer: str = typer.Option(..., help="Grid layer."), variable: str = typer.Option(...),
                 level: Optional[str] = typer.Option(None, help="Area level (default: the finest loaded level)."),
                 csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write a CSV file.")):
    """Sum a grid variable per area (a cell belongs to the area containing its centre; cells kept secret are
    counted, never summed, and make the sum a lower bound)."""
    from geo.grid import grid_to_areas
    from indicators.values import boundary_date_for

    def work(conn) -> dict:
        chosen = _level(conn, level)
        return grid_to_areas(conn, layer, variable, chosen, boundary_date_for(conn, chosen, None))

    result = _run(work)
    _output(result, result["items"], csv_out)


@aggregate_app.command("programme-create")
def programme_create_command(
    programme_id: str = typer.Option(..., "--id", help="Short id, e.g. qm-soldiner-kiez."),
    name: str = typer.Option(..., help="Name of the programme."),
    start: str = typer.Option(..., help="Start date YYYY-MM-DD."),
    level: Optional[str] = typer.Option(None, help="Level of --area keys (default: the finest)."),
    area: list[str] = typer.Option([], help="Area key, repeatable."),
    polygon_layer: Optional[str] = typer.Option(None, help="Or: a stored polygon layer ..."),
    polygon_key: Optional[str] = typer.Option(None, help="... and the feature key."),
):
    """Define a programme by areas or a stored polygon and a start date."""
    from indicators.programmes import ProgrammeDefinition, create_programme

    when = _parse_date(start, "--start")
    definition = ProgrammeDefinition(programme_id, name, when, level, tuple(area) or None, polygon_layer, polygon_key)
    _print_json(_run(lambda conn: _audited(conn, "create", "programme", programme_id,
                                           create_programme(conn, definition, _principal().name))))


@aggregate_app.command("programme-evaluate")
def programme_evaluate_command(programme_id: str = typer.Argument(..., help="Programme id."),
                               csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write a CSV file."),
                               svg_out: Optional[Path] = typer.Option(None, "--svg", help="Write the chart (SVG).")):
    """Difference in differences of a programme against the rest of the city and matched areas (descriptive)."""
    from indicators.programmes import evaluate_programme, evaluation_rows

    result = _run(lambda conn: evaluate_programme(conn, programme_id, unsuppressed=True))
    if svg_out is not None:
        from web.aggregation_views import evaluation_chart

        svg_out.write_text(evaluation_chart(result), encoding="utf-8")
        console.print(f"chart written to {svg_out}")
    _output(result, evaluation_rows(result), csv_out)
    console.print(result["caveat_en"])
