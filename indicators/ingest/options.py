"""The one option parser of every import: text fields (HTTP form fields and query parameters, or the CLI's
options under the same names) -> the typed options of one import kind.

Every kind declares the fields it knows; `OptionFields` refuses unknown and repeated fields and reads
flags, dates, encodings, separators and the decimal/thousands notation the same way for all of them. A field
that cannot be used raises `OptionError` naming it (HTTP answers 400 with `field`, the CLI names `--field`).
"""

from __future__ import annotations

import codecs
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.addresses import AddressImportOptions
from geo.boundaries import BoundaryImportOptions
from geo.crs import source_crs_name
from geo.grid import GridImportOptions
from geo.points import PointImportOptions
from geo.polygons import PolygonImportOptions
from geo.territorial import TerritorialChangeOptions
from indicators.ingest.tables import parse_period

Fields = dict[str, list[str]]  # field name -> the values given (repeatable fields may have several)
SEPARATOR_NAMES = {";": ";", ",": ",", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


class OptionError(ValueError):
    """An import option that cannot be used; `field` names it (CLI flag or HTTP form field)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class OptionFields:
    """The text fields of one import, checked against the names a kind knows: one value per field except the
    `repeated` ones. Readers return None for a field that is absent or empty."""

    def __init__(self, fields: Fields, known: Collection[str], repeated: Collection[str] = ()):
        unknown = sorted(set(fields) - set(known))
        if unknown:
            raise OptionError(unknown[0], f"unknown option; use {', '.join(sorted(known))}")
        self.one: dict[str, str] = {}
        self.many = {name: list(fields.get(name, [])) for name in repeated}
        for name, values in fields.items():
            if name in repeated:
                continue
            if len(values) > 1:
                raise OptionError(name, "given more than once")
            self.one[name] = values[0].strip() if values else ""

    def text(self, name: str) -> str | None:
        return self.one.get(name) or None

    def required(self, name: str, hint: str = "") -> str:
        value = self.text(name)
        if value is None:
            raise OptionError(name, f"required{': ' + hint if hint else ''}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no option given as text (true/false, 1/0, yes/no)."""
        text = (self.one.get(name) or str(default)).lower()
        if text not in TRUE_WORDS + FALSE_WORDS:
            raise OptionError(name, "must be true or false")
        return text in TRUE_WORDS

    def date(self, name: str) -> date | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise OptionError(name, f"{text!r} is not a date; write YYYY-MM-DD") from None

    def choice(self, name: str, allowed: Collection[str], message: str) -> str | None:
        text = self.text(name)
        if text is not None and text not in allowed:
            raise OptionError(name, message)
        return text

    def positive_int(self, name: str) -> int | None:
        text = self.text(name)
        if text is not None and (not text.isdigit() or int(text) < 1):
            raise OptionError(name, "must be a positive whole number")
        return None if text is None else int(text)

    def encoding(self, name: str = "encoding") -> str | None:
        text = self.text(name)
        if text is not None:
            try:
                codecs.lookup(text)
            except LookupError:
                raise OptionError(name, f"unknown encoding {text!r}; e.g. utf-8, cp1252, latin-1") from None
        return text

    def crs(self, name: str = "crs") -> str | None:
        text = self.text(name)
        if text is not None:
            try:
                CRS.from_user_input(source_crs_name(text))  # the API's CRS vocabulary, any EPSG code
            except CRSError:
                raise OptionError(name, f"unknown CRS {text!r}; give an EPSG code such as EPSG:25833") from None
        return text

    def separator(self, name: str = "separator") -> str | None:
        text = self.choice(name, SEPARATOR_NAMES, "use ';', ',', '|' or 'tab'")
        return None if text is None else SEPARATOR_NAMES[text]

    def notation(self) -> tuple[str | None, str | None]:
        """(decimal, thousands): the decimal separator and the thousands separator ('none' = there is none)."""
        decimal = self.choice("decimal", (",", "."), "use ',' (German) or '.'")
        thousands = self.choice("thousands", (",", ".", "none"), "use '.' (German), ',' or 'none'")
        if thousands is not None and thousands == decimal:
            raise OptionError("thousands", "the thousands separator must differ from the decimal separator")
        return decimal, thousands

    def pairs(self, name: str, shape: str) -> dict[str, str]:
        """A repeated LEFT=RIGHT field as a mapping."""
        pairs = {}
        for text in self.many.get(name, []):
            left, _, right = (part.strip() for part in text.partition("="))
            if "=" not in text or not left or not right:
                raise OptionError(name, f"{text!r} must look like {shape}")
            pairs[left] = right
        return pairs


# -- observations ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObservationImportOptions:
    """How to read one observation table.

    layout "long": one row per (area, indicator, period) with value[, numerator, denominator].
    layout "wide": one row per area, one column per indicator (like the MSS tables); `columns` maps
    source columns to indicator codes (default: every column named like a known indicator code).
    layout "genesis": a table as exported from GENESIS / Regionalstatistik (indicators.ingest.genesis);
    `columns` maps its value columns' names ("Insgesamt", "Arbeitslose | Ausländer | Anzahl") to codes.
    layout "ffcsv": a GENESIS flat file as downloaded, CSV or its ZIP (indicators.ingest.ffcsv); `columns` maps
    its value series' names ("Personen", "Bevölkerungsstand | weiblich", or by code "BEVSTD | GESW") to codes.
    """

    level: str
    layout: Literal["long", "wide", "genesis", "ffcsv"] = "long"
    key_column: str = "area"
    indicator_column: str = "indicator"
    period_column: str | None = "period"
    period: str | None = None  # one period for the whole file, e.g. "2020-12-31"
    value_column: str = "value"
    numerator_column: str | None = "numerator"
    denominator_column: str | None = "denominator"
    columns: dict[str, str] | None = None
    missing_values: dict[str, str] = field(default_factory=dict)  # e.g. {"-9999": "not_assessed"}
    flag_reason_column: str | None = None  # text explaining flagged values (MSS: "KOM")
    boundaries_at: date | None = None  # boundary version the keys refer to; default: valid at the period
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    thousands: str | None = None  # ".", "," or "none": the thousands separator (implies the decimal separator)
    sheet: str | None = None
    allow_future_periods: bool = False  # periods after today are refused unless allowed (forecasts)


LAYOUTS = ("long", "wide", "genesis", "ffcsv")  # of an observation table
OBSERVATION_FIELDS = {
    "level", "layout", "key_column", "indicator_column", "period_column", "period", "value_column",
    "numerator_column", "denominator_column", "column", "missing", "flag_reason_column", "boundaries_at",
    "encoding", "separator", "decimal", "thousands", "sheet", "allow_future_periods",
}


def observation_options(fields: Fields) -> ObservationImportOptions:
    """One value per field, except `column` (SOURCE=CODE) and `missing` (TOKEN=FLAG), which repeat."""
    from indicators.observation_flags import OBSERVATION_FLAGS

    given = OptionFields(fields, OBSERVATION_FIELDS, repeated=("column", "missing"))
    level = given.required("level", "the area level the keys belong to, e.g. plr")
    layout = given.choice("layout", LAYOUTS, "must be 'long', 'wide', 'genesis' or 'ffcsv'") or "long"
    columns = given.pairs("column", "SOURCE=CODE, e.g. Arbeitslose=S1")
    missing = given.pairs("missing", "TOKEN=FLAG, e.g. -9999=not_assessed")
    for token, flag in missing.items():
        if flag not in OBSERVATION_FLAGS:
            raise OptionError("missing", f"unknown flag {flag!r} for {token!r}; use one of {sorted(OBSERVATION_FLAGS)}")
    boundaries_at = given.date("boundaries_at")
    period = given.text("period")
    if period is not None and parse_period_text(period) is None:
        raise OptionError("period", f"{period!r} is not a period; write 2020-12-31, 31.12.2020, 202012 or 2020")
    encoding = given.encoding()
    separator = given.separator()
    decimal, thousands = given.notation()
    defaults = ObservationImportOptions(level=level)
    return ObservationImportOptions(
        level=level, layout=layout,  # type: ignore[arg-type]
        key_column=given.text("key_column") or defaults.key_column,
        indicator_column=given.text("indicator_column") or defaults.indicator_column,
        period_column=given.text("period_column") or defaults.period_column,
        period=period, value_column=given.text("value_column") or defaults.value_column,
        numerator_column=given.text("numerator_column") or defaults.numerator_column,
        denominator_column=given.text("denominator_column") or defaults.denominator_column,
        columns=columns or None, missing_values=missing, flag_reason_column=given.text("flag_reason_column"),
        boundaries_at=boundaries_at, encoding=encoding, separator=separator, decimal=decimal, thousands=thousands,
        sheet=given.text("sheet"), allow_future_periods=given.flag("allow_future_periods", False))


def genesis_as_long(options: ObservationImportOptions, decimal: str = ",") -> ObservationImportOptions:
    """The options that read the long table indicators.ingest.genesis (or .ffcsv) makes of a GENESIS export (its
    columns are already named by indicator code there); `decimal`: the file's decimal separator."""
    from indicators.ingest.genesis import COLUMNS

    key, period, indicator, value = COLUMNS
    return replace(options, layout="long", key_column=key, period_column=period, period=None,
                   indicator_column=indicator, value_column=value, numerator_column=None, denominator_column=None,
                   columns=None, decimal=decimal, thousands="none")


def parse_period_text(text: str) -> date | None:
    """The reference date a period option names, None when it names none."""
    parsed = parse_period(pd.Series([text])).iloc[0]
    return None if pd.isna(parsed) else parsed.date()


# -- boundaries ------------------------------------------------------------------------------------------
BOUNDARY_FIELDS = {"level", "key_field", "name_field", "valid_from", "parent_field", "parent_key_length",
                   "parent_key", "crs", "layer", "complete", "encoding", "allow_overlaps", "allow_gaps"}


def boundary_options(fields: Fields) -> BoundaryImportOptions:
    """Exactly one of parent_field / parent_key_length / parent_key may be given."""
    given = OptionFields(fields, BOUNDARY_FIELDS)
    level, key_field, name_field, _ = (given.required(name) for name in
                                       ("level", "key_field", "name_field", "valid_from"))
    valid_from = given.date("valid_from")
    parent_key_length = given.positive_int("parent_key_length")
    parents = [n for n in ("parent_field", "parent_key_length", "parent_key") if given.text(n)]
    if len(parents) > 1:
        raise OptionError(parents[1], f"give only one of parent_field, parent_key_length, parent_key (got {parents})")
    return BoundaryImportOptions(
        level=level, key_field=key_field, name_field=name_field, valid_from=valid_from,
        parent_field=given.text("parent_field"), parent_key_length=parent_key_length,
        parent_key=given.text("parent_key"), crs=given.crs(), layer=given.text("layer"),
        complete=given.flag("complete", True), encoding=given.encoding(),
        allow_overlaps=given.flag("allow_overlaps", False), allow_gaps=given.flag("allow_gaps", False))


# -- point, polygon and grid layers ------------------------------------------------------------------------
# The CRS of a layer file is checked while the file is read (an unknown one is a problem in the report).
POLYGON_FIELDS = {"layer", "key_field", "name_field", "name_de", "name_en", "crs", "file_layer"}
POINT_FIELDS = POLYGON_FIELDS | {"capacity_field", "serves"}  # what a facility layer supplies, and to whom
GRID_FIELDS = {"layer", "id_column", "variable", "name_de", "name_en", "separator", "decimal"}


def point_options(fields: Fields) -> PointImportOptions:
    options = _layer_options(PointImportOptions, fields, POINT_FIELDS)
    given = OptionFields(fields, POINT_FIELDS)
    return replace(options, capacity_field=given.text("capacity_field"), serves=given.text("serves"))


def polygon_options(fields: Fields) -> PolygonImportOptions:
    return _layer_options(PolygonImportOptions, fields, POLYGON_FIELDS)


def _layer_options(kind: type, fields: Fields, allowed: set[str]):
    """Point and polygon layers are read from the same fields."""
    given = OptionFields(fields, allowed)
    return kind(layer=given.required("layer"), key_field=given.required("key_field"),
                name_field=given.text("name_field"), name_de=given.text("name_de"), name_en=given.text("name_en"),
                crs=given.text("crs"), file_layer=given.text("file_layer"))


def grid_options(fields: Fields) -> GridImportOptions:
    """`variable` repeats (default: every column but the ids)."""
    given = OptionFields(fields, GRID_FIELDS, repeated=("variable",))
    variables = tuple(v.strip() for v in given.many["variable"] if v.strip())
    return GridImportOptions(layer=given.required("layer"), id_column=given.text("id_column"),
                             variables=variables or None, name_de=given.text("name_de"),
                             name_en=given.text("name_en"), separator=given.separator(),
                             decimal=given.choice("decimal", (",", "."), "use ',' (German) or '.'"))


# -- the address register ----------------------------------------------------------------------------------
ADDRESS_FIELDS = {"level", "street_field", "number_field", "suffix_field", "postcode_field", "locality_field",
                  "area_field", "separator"}


def address_options(fields: Fields) -> AddressImportOptions:
    given = OptionFields(fields, ADDRESS_FIELDS)
    return AddressImportOptions(
        level=given.required("level", "the level of the area keys, e.g. the finest one"),
        street_field=given.text("street_field") or "street", number_field=given.text("number_field") or "house_number",
        area_field=given.text("area_field") or "area_key", suffix_field=given.text("suffix_field"),
        postcode_field=given.text("postcode_field"), locality_field=given.text("locality_field"),
        separator=given.separator() or ",")


# -- territorial changes -------------------------------------------------------------------------------------
TERRITORIAL_FIELDS = {"level", "separator", "encoding"}


def territorial_options(fields: Fields) -> TerritorialChangeOptions:
    """A list of territorial changes names the level its keys belong to."""
    given = OptionFields(fields, TERRITORIAL_FIELDS)
    return TerritorialChangeOptions(level=given.required("level", "the level whose areas changed, e.g. kreis"),
                                    separator=given.separator(), encoding=given.encoding())
