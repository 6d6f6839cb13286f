"""CQL2 filters and sort keys over features (OGC API - Features Part 3, CQL2 text and JSON), compiled to SQL.

pygeofilter parses the filter (text or JSON) into its AST; this module walks the AST and writes a SQL condition
over the area `a` and its properties `p` (the properties fragment of `geo.features`) in which every literal is
a bound parameter (`%(cql_0)s`, ...) and every property name is checked against the queryables. Nothing the
caller wrote is ever spliced into SQL text.

Supported: comparisons (=, <>, <, <=, >, >=), BETWEEN, IN, LIKE (CQL2 wildcards `%`, `_`, escape `\\`),
IS NULL, AND/OR/NOT, and the spatial predicates S_INTERSECTS, S_DISJOINT, S_CONTAINS, S_WITHIN, S_TOUCHES,
S_CROSSES, S_OVERLAPS, S_EQUALS between the geometry and a literal (any WKT/GeoJSON geometry or BBOX) in
the filter's CRS (`filter-crs`: CRS84 by default, or any CRS of `geo.crs`, coordinates in its axis order, e.g.
latitude first for EPSG:4326, metres for EPSG:25833), transformed to the stored WGS 84 geometry in SQL.
Anything else (functions, arithmetic, temporal and array operators, unknown properties, a literal of
the wrong type) is a `FilterError` that names what is wrong and, for unreadable text, where.

Properties are compared as they are published in the properties fragment: a value the caller may not see is
null there, so it behaves as null in every predicate (it matches `IS NULL`, never a comparison).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from geo.crs import CRS84, Crs

LANGUAGES = ("cql2-text", "cql2-json")
GEOMETRY = "geometry"
MAX_FILTER_CHARS = 20_000  # a longer filter is refused (400) before it is parsed
NUMERIC = ("number", "integer")
COLUMNS = {"key": "a.key", "name": "a.name", "parent_key": "a.parent_key"}  # area columns, no properties needed
SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within", ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses", ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals",
}
COMPARISONS = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=", ast.GreaterThan: ">",
               ast.GreaterEqual: ">="}


class FilterError(ValueError):
    """A filter or sort key that cannot be answered; `position` is the 1-based character where unreadable text
    begins."""

    def __init__(self, message: str, position: int | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.position, self.line, self.column = position, line, column


@dataclass(frozen=True)
class SqlFilter:
    """A SQL condition with its bound parameters; `uses_properties` if it reads the properties `p`."""

    sql: str
    params: dict = field(default_factory=dict)
    uses_properties: bool = False


# CQL2 text writes a quote inside a string as two quotes ('it''s'); pygeofilter 0.4's grammar does not read
# them, so they are replaced by two private-use characters before parsing (same length: error positions stay
# those of the text) and turned back into one quote where a string is bound.
_QUOTE_STANDIN = "\ue000\ue000"


def _stand_in_for_doubled_quotes(text: str) -> str:
    if "\ue000" in text:
        raise FilterError("the filter contains the character U+E000, which is not allowed")
    out, inside, identifier, i = [], False, False, 0  # inside a 'string', inside a "quoted identifier"
    while i < len(text):
        if text[i] == '"' and not inside:
            identifier = not identifier
        elif text[i] == "'" and not identifier:
            if inside and text.startswith("''", i):
                out.append(_QUOTE_STANDIN)
                i += 2
                continue
            inside = not inside
        out.append(text[i])
        i += 1
    return "".join(out)


def _string(value: str) -> str:
    return value.replace(_QUOTE_STANDIN, "'")


def parse_filter(text: str, language: str | None) -> ast.Node:
    """The AST of a CQL2 filter in `language` (default cql2-text)."""
    language = (language or "cql2-text").lower()
    if language not in LANGUAGES:
        raise FilterError(f"filter-lang {language!r} is not supported; use one of {', '.join(LANGUAGES)}")
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(f"the filter is longer than {MAX_FILTER_CHARS:,} characters")
    if language == "cql2-json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FilterError(f"the filter is not JSON: {exc.msg}", position=exc.pos + 1, line=exc.lineno,
                              column=exc.colno) from None
        try:
            return parse_json(document)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise FilterError(f"the filter is not CQL2 JSON: {str(exc)[:300]}") from None
    try:
        return parse_text(_stand_in_for_doubled_quotes(text))
    except UnexpectedInput as exc:
        position = getattr(exc, "pos_in_stream", None)
        if isinstance(exc, UnexpectedEOF) or position is None:
            position = len(text)
        token = getattr(exc, "token", None)
        at_end = isinstance(exc, UnexpectedEOF) or getattr(token, "type", "") == "$END" or position >= len(text)
        found = "the end of the filter" if at_end else repr(text[position:position + 20])
        kind = "unexpected character" if isinstance(exc, UnexpectedCharacters) else "unexpected"
        raise FilterError(f"the CQL2 filter cannot be read at line {exc.line}, column {exc.column}: {kind} {found}",
                          position=position + 1, line=exc.line, column=exc.column) from None
    except Exception as exc:  # noqa: BLE001 -- pygeofilter's transformer raises assorted errors on bad literals
        raise FilterError(f"the filter is not CQL2 text: {str(exc).splitlines()[0][:300]}") from None


class _Compiler:
    def __init__(self, queryables: dict[str, str], prefix: str, crs: Crs = CRS84):
        self.queryables = queryables
        self.prefix = prefix
        self.crs = crs
        self.params: dict[str, Any] = {}
        self.uses_properties = False

    def bind(self, value: Any) -> str:
        name = f"{self.prefix}_{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def property_sql(self, name: str) -> tuple[str, str]:
        """(SQL expression, type) of a queryable."""
        if name not in self.queryables:
            raise FilterError(f"unknown property {name!r}; the queryables of this collection list the filterable "
                              "properties")
        type_ = self.queryables[name]
        if type_ == GEOMETRY:
            return "a.geom_4326", type_
        if name in COLUMNS:
            return COLUMNS[name], type_
        self.uses_properties = True
        text = f"(p.properties ->> {self.bind(name)})"
        if type_ in NUMERIC:
            return f"CAST({text} AS double precision)", type_
        if type_ == "boolean":
            return f"CAST({text} AS boolean)", type_
        return text, type_

    def scalar(self, node: Any, want: str | None = None) -> tuple[str, str]:
        """(SQL, type) of a property or literal; `want` is the type it is compared with."""
        if isinstance(node, ast.Attribute):
            sql, type_ = self.property_sql(node.name)
            if type_ == GEOMETRY:
                raise FilterError("the geometry can only be used in a spatial predicate such as S_INTERSECTS")
            return sql, type_
        if isinstance(node, bool):
            return f"CAST({self.bind(node)} AS boolean)", "boolean"
        if isinstance(node, (int, float)):
            return f"CAST({self.bind(float(node))} AS double precision)", "number"
        if isinstance(node, str):
            return f"CAST({self.bind(_string(node))} AS text)", "string"
        if isinstance(node, (date, datetime)):
            return f"CAST({self.bind(node.isoformat()[:10])} AS text)", "string"  # dates are ISO text properties
        if isinstance(node, ast.Function):
            raise FilterError(f"function {node.name!r} is not supported")
        if isinstance(node, ast.Arithmetic):
            raise FilterError("arithmetic in filters is not supported")
        raise FilterError(f"{type(node).__name__} is not supported in a comparison")

    def comparable(self, lhs: Any, rhs: Any) -> tuple[str, str]:
        left, left_type = self.scalar(lhs)
        right, right_type = self.scalar(rhs)
        if _family(left_type) != _family(right_type):
            shown = next((n.name for n in (lhs, rhs) if isinstance(n, ast.Attribute)), "a value")
            raise FilterError(f"{shown!r} is a {left_type if isinstance(lhs, ast.Attribute) else right_type}; "
                              f"it cannot be compared with a {right_type if isinstance(lhs, ast.Attribute) else left_type}")
        return left, right

    def geometry(self, node: Any) -> str:
        if isinstance(node, ast.Attribute):
            sql, type_ = self.property_sql(node.name)
            if type_ != GEOMETRY:
                raise FilterError(f"{node.name!r} is not a geometry; spatial predicates take 'geometry'")
            return sql
        if isinstance(node, (values.Geometry, values.Envelope)):
            shape = node.geometry if isinstance(node, values.Envelope) else node.geometry
            return self.in_wgs84(f"ST_GeomFromGeoJSON({self.bind(json.dumps(_plain(shape)))})")
        if isinstance(node, ast.Function) and node.name.lower() == "bbox" and len(node.arguments) in (4, 6):
            numbers = node.arguments
            if not all(isinstance(n, (int, float)) for n in numbers):
                raise FilterError("BBOX takes four (or six) numbers")
            west, south, east, north = (numbers[0], numbers[1], numbers[2], numbers[3]) if len(numbers) == 4 \
                else (numbers[0], numbers[1], numbers[3], numbers[4])
            return self.in_wgs84(f"ST_MakeEnvelope({self.bind(float(west))}, {self.bind(float(south))}, "
                                 f"{self.bind(float(east))}, {self.bind(float(north))})")
        raise FilterError("a spatial predicate compares 'geometry' with a geometry literal (WKT, GeoJSON or BBOX)")

    def in_wgs84(self, literal: str) -> str:
        """A literal read in the filter's CRS as the stored longitude/latitude geometry: axes swapped where the
        CRS names northing or latitude first, then transformed (a projected box becomes a quadrilateral with
        its corners exact; its edges are segmentised to 1 km first so that they follow the projection)."""
        if self.crs.srid == 4326 and not self.crs.lat_first:
            return f"ST_SetSRID({literal}, 4326)"
        shape = f"ST_SetSRID({literal}, {int(self.crs.srid)})"
        if self.crs.lat_first:
            shape = f"ST_FlipCoordinates({shape})"
        if self.crs.srid == 4326:
            return shape
        return f"ST_Transform(ST_Segmentize({shape}, 1000), 4326)"

    def condition(self, node: Any) -> str:
        if isinstance(node, ast.And):
            return f"({self.condition(node.lhs)} AND {self.condition(node.rhs)})"
        if isinstance(node, ast.Or):
            return f"({self.condition(node.lhs)} OR {self.condition(node.rhs)})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.condition(node.sub_node)})"
        if type(node) in COMPARISONS:
            left, right = self.comparable(node.lhs, node.rhs)
            return f"({left} {COMPARISONS[type(node)]} {right})"
        if isinstance(node, ast.Between):
            value, _ = self.comparable(node.lhs, node.low)
            _, low = self.comparable(node.lhs, node.low)
            _, high = self.comparable(node.lhs, node.high)
            return f"({value} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high})"
        if isinstance(node, ast.In):
            value, _ = self.scalar(node.lhs)
            items = [self.comparable(node.lhs, item)[1] for item in node.sub_nodes]
            if not items:
                raise FilterError("IN needs at least one value")
            return f"({value} {'NOT ' if node.not_ else ''}IN ({', '.join(items)}))"
        if isinstance(node, ast.Like):
            value, type_ = self.scalar(node.lhs)
            if type_ != "string" or not isinstance(node.pattern, str):
                raise FilterError("LIKE compares a text property with a text pattern")
            operator = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
            return f"({value} {operator} {self.bind(_string(node.pattern))})"
        if isinstance(node, ast.IsNull):
            if isinstance(node.lhs, ast.Attribute) and self.queryables.get(node.lhs.name) == GEOMETRY:
                value = "a.geom_4326"
            else:
                value, _ = self.scalar(node.lhs)
            return f"({value} IS {'NOT ' if node.not_ else ''}NULL)"
        if type(node) in SPATIAL:
            return f"{SPATIAL[type(node)]}({self.geometry(node.lhs)}, {self.geometry(node.rhs)})"
        if isinstance(node, ast.BBox):
            envelope = ast.Function("bbox", [node.minx, node.miny, node.maxx, node.maxy])
            return f"ST_Intersects({self.geometry(node.lhs)}, {self.geometry(envelope)})"
        if isinstance(node, ast.Include):
            return "FALSE" if node.not_ else "TRUE"
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if isinstance(node, ast.Attribute) and self.queryables.get(node.name) == "boolean":
            return self.property_sql(node.name)[0]
        if isinstance(node, ast.TemporalPredicate):
            raise FilterError("temporal operators are not supported; choose the period with datetime")
        if isinstance(node, ast.ArrayPredicate):
            raise FilterError("array operators are not supported")
        if isinstance(node, ast.Function):
            raise FilterError(f"function {node.name!r} is not supported")
        raise FilterError(f"{type(node).__name__} is not a supported filter condition")


def _family(type_: str) -> str:
    return "number" if type_ in NUMERIC else type_


def _plain(value: Any) -> Any:
    """GeoJSON with tuples turned into lists (pygeofilter's WKT parser writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def compile_filter(text: str, language: str | None, queryables: dict[str, str], prefix: str = "cql",
                   crs: Crs = CRS84) -> SqlFilter:
    """The SQL condition of a CQL2 filter over the queryables {name: JSON type, or 'geometry'}; geometry
    literals are read in `crs` (filter-crs)."""
    node = parse_filter(text, language)
    compiler = _Compiler(queryables, prefix, crs)
    sql = compiler.condition(node)
    return SqlFilter(sql, compiler.params, compiler.uses_properties)


@dataclass(frozen=True)
class SqlOrder:
    """Sort keys as (SQL expression, descending), with their bound parameters."""

    keys: tuple[tuple[str, bool], ...]
    params: dict = field(default_factory=dict)
    uses_properties: bool = False


def compile_sortby(text: str, queryables: dict[str, str], prefix: str = "sort") -> SqlOrder:
    """The sort keys of `sortby` (`S1`, `+S1`, `-name`, `S1 DESC`); nulls (and values the caller may not see)
    sort last either way, the area key breaks ties (geo.features)."""
    compiler = _Compiler(queryables, prefix)
    keys = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        descending = item.startswith("-")
        name = item.lstrip("+-").strip()
        words = name.split()
        if len(words) == 2 and words[1].upper() in ("ASC", "DESC"):
            name, descending = words[0], words[1].upper() == "DESC"
        if name not in queryables or queryables[name] == GEOMETRY:
            raise FilterError(f"cannot sort by {name!r}; sort keys are the queryables other than the geometry")
        keys.append((compiler.property_sql(name)[0], descending))
    if not keys:
        raise FilterError("sortby names no property")
    return SqlOrder(tuple(keys), compiler.params, compiler.uses_properties)
