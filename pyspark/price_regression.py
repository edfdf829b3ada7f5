"""The reference price-regression job: next-day price from a feature spec (default: price, volume, market cap, RSI-14).

Implements the definitions in docs/ (the TypeScript engine in src/engine implements them too). Its
functions carry the engine's stage names so the two can be read side by side:

    parse_feature_spec -> read_daily_csv -> sort_and_dedupe -> compute_features -> next_price -> drop_nulls
      -> assemble_features -> random_split | time_split -> fit -> predict -> write_spark_output   (run_pipeline)

Runs unchanged under spark-submit locally and on EMR: input and output may be local, hdfs:// or s3://
paths, so every byte is read and written through Spark or the Hadoop FileSystem API (never Python's
open()).

    spark-submit price_regression.py --input data.csv --output out/ [--seed 42] [--train-ratio 0.7]
                                     [--split random|time] [--features SPEC]

Exit codes: 0 done; 2 bad input (one line on stderr naming file, line, column and value; nothing is
written) or bad arguments; 1 anything else.

It replaces a seed script run from Airflow on EMR. pyspark/README.md lists that script's defects; each
fix is marked "seed-script fix:" where it is made.
"""
from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import math
import operator
import posixpath
import re
import sys
import uuid
import warnings
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import ta
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression, LinearRegressionModel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType

REQUIRED_COLUMNS = ("date", "price", "volume", "marketCap")
# _model.json lists the collapsed dates' count and only the first this many (src/engine/types.ts).
COLLAPSED_DATES_LISTED = 20
# Rows left after clean-up that a split needs to both fit and test.
MIN_ROWS_TO_FIT_AND_TEST = 10

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The engine's DECIMAL (src/engine/ingest/csv.ts): plain decimals and exponent forms; no spaces, hex, NaN, Infinity.
DECIMAL_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# What Spark's summary throws when (A^T A)^-1 is unknown (the fallback solver): "No Std. Error of
# coefficients available ...", "No t-statistic available ...", "No p-value available ...".
NOT_AVAILABLE = re.compile(r"No [\w .-]+ available for this LinearRegressionModel")

# Internal column names, chosen not to clash with a CSV header.
ROW_ID = "__pricecast_row"
CORRUPT = "__pricecast_corrupt"
PROBLEM = "__pricecast_problem"


class BadInput(Exception):
    """docs/input.md's bad input: printed as one line, exit code 2, nothing written.

    The message format is the engine's InputError (src/engine/errors.ts):
    FILE:LINE: column NAME: expected WHAT (got "VALUE"), each part present when known.
    """

    def __init__(self, file: str, line: int, column: Optional[str], value: Optional[str], expected: str):
        # Text from outside (file name, header, cell) is escaped as the engine's escapeControl does.
        name = escape_control(file)
        where = f"{name}:{line}" if line > 0 else name
        col = "" if column is None else f" column {escape_control(column)}:"
        got = "" if value is None else f" (got {escape_control(json.dumps(_truncate(value), ensure_ascii=False))})"
        super().__init__(f"{where}:{col} expected {escape_control(expected)}{got}")


class OutputRefused(Exception):
    """The output path holds something that is not an earlier output of this tool (docs/output.md)."""


def _truncate(value: str) -> str:
    return value[:40] + "\u2026" if len(value) > 40 else value


# --- the Hadoop FileSystem API, through the JVM gateway: works for file://, hdfs:// and s3:// alike -----------

class HadoopFs:
    def __init__(self, spark: SparkSession, path: str):
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        raw = jvm.org.apache.hadoop.fs.Path(path)
        self.fs = raw.getFileSystem(conf)
        self.path = self.fs.makeQualified(raw)

    def child(self, name: str):
        return self._jvm.org.apache.hadoop.fs.Path(self.path, name)

    def sibling(self, name: str):
        return self._jvm.org.apache.hadoop.fs.Path(self.path.getParent(), name)

    def sha256_hex(self) -> str:
        # Streams the file through commons-codec (bundled with Spark and Hadoop) inside the JVM: no size
        # limit and no copy of the bytes into Python, unlike binaryFile (2 GB cap) or collecting them.
        stream = self.fs.open(self.path)
        try:
            return self._jvm.org.apache.commons.codec.digest.DigestUtils.sha256Hex(stream)
        finally:
            stream.close()

    def read_text(self, path) -> str:
        stream = self.fs.open(path)
        try:
            return self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()

    def write_bytes(self, path, data: bytes) -> None:
        stream = self.fs.create(path, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()


# --- stages ---------------------------------------------------------------------------------------------------

# --- ingest: layouts, dates, missing values (docs/input.md#layouts; the engine's src/engine/ingest/layouts.ts,
# dates.ts, missing.ts, parquetInput.ts, input.ts) ----------------------------------------------------------

VALUE_FIELDS = ("price", "volume", "marketCap")
OHLC_FIELDS = ("open", "high", "low")
NUMERIC_FIELDS = VALUE_FIELDS + OHLC_FIELDS
INPUT_FIELDS = ("date",) + VALUE_FIELDS + ("asset",) + OHLC_FIELDS


def _layout(date, price, volume, market_cap, asset, ohlc, signature, thousands=False, date_kind="text"):
    columns = {"date": date, "price": price, "volume": volume, "marketCap": market_cap, "asset": asset,
               "open": ohlc[0] if ohlc else None, "high": ohlc[1] if ohlc else None, "low": ohlc[2] if ohlc else None}
    return {"columns": columns, "signature": signature, "thousands": thousands, "date": date_kind}


# Each layout: the header name of each field, the names that identify it, whether numbers may have thousands
# separators, and how the date is written. The engine's LAYOUTS (src/engine/ingest/layouts.ts), entry for entry.
LAYOUTS = {
    "pricecast": _layout("date", "price", "volume", "marketCap", "asset", ("open", "high", "low"),
                         ["date", "price", "volume", "marketCap"]),
    "coingecko": _layout("snapped_at", "price", "total_volume", "market_cap", None, None,
                         ["snapped_at", "price", "market_cap", "total_volume"]),
    "coinmarketcap": _layout("Date", "Close", "Volume", "Market Cap", None, ("Open", "High", "Low"),
                             ["Date", "Open", "High", "Low", "Close", "Volume", "Market Cap"], thousands=True),
    "coinmarketcap-multi": _layout("Date", "Close", "Volume", "Market Cap", "Currency", ("Open", "High", "Low"),
                                   ["Currency", "Date", "Open", "High", "Low", "Close", "Volume", "Market Cap"],
                                   thousands=True),
    "kaggle": _layout("Date", "Close", "Volume", "Marketcap", "Symbol", ("Open", "High", "Low"),
                      ["SNo", "Name", "Symbol", "Date", "High", "Low", "Open", "Close", "Volume", "Marketcap"]),
    "yahoo": _layout("Date", "Close", "Volume", None, None, ("Open", "High", "Low"),
                     ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]),
    # `Volume BASE` / `Volume QUOTE`: the file's first and second `Volume <currency>` columns.
    "cryptodatadownload": _layout("unix", "close", "Volume QUOTE", None, "symbol", ("open", "high", "low"),
                                  ["unix", "date", "symbol", "open", "high", "low", "close", "Volume BASE",
                                   "Volume QUOTE"], date_kind="unix"),
}
OHLC_CHECKS = ("on", "off")
MISSING_POLICIES = ("error", "previous", "zero", "drop")
THOUSANDS_PATTERN = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DATE_FORMS = "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (optionally UTC, Z or an offset), YYYY-MM-DDTHH:MM:SSZ or Mon DD, YYYY"
DATE_EXPECTED = f"a date that exists, written {DATE_FORMS}"
DATE_BEFORE_GREGORIAN_EXPECTED = "a date on or after 1582-10-15 (Spark's calendar starts there)"
UNIX_EXPECTED = "a unix time: seconds since 1970-01-01 UTC, or milliseconds when >= 1e11"
UNIX_MILLISECONDS_FROM = 1e11
# More repeated days than this share (and at least this many) mean the file is not one daily series.
MAX_REPEATED_DAY_SHARE = 0.01
MIN_REPEATED_DAYS_REFUSED = 3
ASSETS_LISTED = 10
NUMBER_EXPECTED = "a finite decimal number"
NUMBER_WITH_THOUSANDS_EXPECTED = "a finite decimal number (thousands separators allowed: 1,234.5)"
# The bound on each value field (docs/input.md; the engine's src/engine/ingest/valueRules.ts): the
# comparison with 0 and the text an error gives.
VALUE_BOUNDS = {"price": (operator.gt, "> 0"), "volume": (operator.ge, ">= 0"), "marketCap": (operator.ge, ">= 0"),
                "open": (operator.gt, "> 0"), "high": (operator.gt, "> 0"), "low": (operator.gt, "> 0")}
MISSING_EXPECTED = ('a value; an empty, "-" or "null" cell is a missing value, refused by default: '
                    "--missing previous, zero or drop fills or drops it")
FIRST_GREGORIAN = "1582-10-15"
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A date, a time of day and a zone (none, UTC, Z or an offset): dates.ts's DATE_TIME.
DATE_TIME_PATTERN = (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?"
                     r"(?: ?(?:UTC|Z)| ?([+-])([0-9]{2})(?::?([0-9]{2}))?)?$")
_DATE_TIME = re.compile(DATE_TIME_PATTERN)
BANNER_PATTERN = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def escape_control(text: str) -> str:
    """The engine's escapeControl (src/engine/errors.ts): control characters as visible escapes."""
    def one(match):
        c = match.group(0)
        if c == "\n":
            return "\\n"
        if c == "\r":
            return "\\r"
        if c == "\t":
            return "\\t"
        code = ord(c)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return _CONTROL.sub(one, text)


class IngestOptions:
    """--format, --columns, --thousands, --missing, and the value fields the features need."""

    # The first feature item reading open/high/low (normalised text), for the refusal of a file without them
    # (the engine's LayoutOptions.ohlcFor, docs/features.md#high-and-low-indicators); set by the pipeline.
    ohlc_for: Optional[str] = None

    def __init__(self, format: str = "auto", columns: Optional[dict] = None, thousands: Optional[str] = None,
                 missing: str = "error", required: Sequence[str] = VALUE_FIELDS, ohlc_check: str = "on",
                 market_cap_optional: bool = False):
        self.format, self.columns, self.thousands, self.missing = format, columns, thousands, missing
        self.required = ["price"] + [f for f in NUMERIC_FIELDS if f != "price" and f in required]
        self.ohlc_check, self.market_cap_optional = ohlc_check, market_cap_optional
        self.has_market_cap = True  # set by prepare_daily: does the file have a market cap column


def required_inputs(items: List[dict]) -> List[str]:
    """The engine's requiredInputs: price always; the other numeric fields when an item is that column or a
    ta function taking it (volume, open, high, low). Other fields may be absent from the file."""
    catalogue, _ = feature_catalogue()

    def uses(field: str) -> bool:
        return any(i["fn"] == field or field in catalogue.get(i["fn"], {}).get("inputs", []) for i in items)
    return ["price"] + [f for f in ("volume", "marketCap", "open", "high", "low") if uses(f)]


def parse_column_mapping(text: str) -> dict:
    """`date=Date,price=Close,volume=Volume` -> {"date": "Date", ...}; ValueError otherwise (as the engine)."""
    mapping = {}
    for item in text.split(","):
        field, sep, column = item.partition("=")
        field = field.strip()
        if field not in INPUT_FIELDS or not sep or column == "":
            raise ValueError(f"--columns: expected FIELD=COLUMN items, got {text!r}")
        if field in mapping:
            raise ValueError(f"--columns: {field} is given twice in {text!r}")
        mapping[field] = column
    if "date" not in mapping or "price" not in mapping:
        raise ValueError(f"--columns: expected at least date=COLUMN and price=COLUMN, got {text!r}")
    if len([f for f in OHLC_FIELDS if f in mapping]) not in (0, 3):
        raise ValueError(f"--columns: expected open, high and low together (or none of them), got {text!r}")
    return mapping


def normal_name(name: str) -> str:
    """A header name as layouts compare it: trimmed, `*` removed, lower case (layouts.ts normalName)."""
    return name.replace("*", "").strip().lower()


def _locate(names: Sequence[Optional[str]], header: Sequence[str]) -> List[int]:
    """layouts.ts locate: the header index of each name (-1: absent); Volume BASE/QUOTE: the two `Volume x`."""
    normal = [normal_name(h) for h in header]
    volumes = [i for i, n in enumerate(normal) if re.match(r"^volume \S", n)]
    found = []
    for name in names:
        n = normal_name(name) if name is not None else None
        if n == "volume base":
            found.append(volumes[0] if len(volumes) == 2 else -1)
        elif n == "volume quote":
            found.append(volumes[1] if len(volumes) == 2 else -1)
        else:
            found.append(normal.index(n) if n in normal else -1)
    return found


def _matches(name: str, header: Sequence[str]) -> int:
    return sum(i != -1 for i in _locate(LAYOUTS[name]["signature"], header))


def is_banner_line(record: Sequence[str]) -> bool:
    """layouts.ts isBannerLine: one field that is a URL (CryptoDataDownload's line above its header)."""
    return len(record) == 1 and BANNER_PATTERN.match(record[0]) is not None


def layout_has_market_cap(name: str) -> bool:
    return name not in LAYOUTS or LAYOUTS[name]["columns"]["marketCap"] is not None


def resolve_layout(path: str, header: List[str], options: IngestOptions, header_line: int = 1) -> dict:
    """The engine's resolveLayout: the layout of a file with this header, or BadInput at the header's line.

    The returned layout's "columns" are the header names as the file writes them (None: absent), "at" their
    indexes (-1: absent).
    """
    header_text = ",".join(header)
    required = list(dict.fromkeys(["price"] + list(options.required)))
    if options.columns is not None:
        columns = {f: None for f in INPUT_FIELDS}
        columns.update(options.columns)
        name, definition = "columns", {"columns": columns, "signature": [], "thousands": False, "date": "text"}
    elif options.format not in (None, "auto"):
        name, definition = options.format, LAYOUTS[options.format]
    else:
        full = [n for n in LAYOUTS if _matches(n, header) == len(LAYOUTS[n]["signature"])]
        # A layout inside a more specific match (coinmarketcap in coinmarketcap-multi) gives way to it.
        found = [n for n in full if not any(
            m != n and len(LAYOUTS[m]["signature"]) > len(LAYOUTS[n]["signature"])
            and all(i != -1 for i in _locate(LAYOUTS[n]["signature"], LAYOUTS[m]["signature"])) for m in full)]
        if len(found) > 1:
            raise BadInput(path, header_line, None, header_text,
                           f"a header of one layout; this one has the columns of {' and '.join(found)}: "
                           f"choose with --format {'|'.join(found)}")
        if not found:
            near = max(LAYOUTS, key=lambda n: _matches(n, header))  # the first of the largest, as the engine
            if _matches(near, header) < 2:
                described = "; ".join(f"{n} ({','.join(l['signature'])})" for n, l in LAYOUTS.items())
                raise BadInput(path, header_line, None, header_text,
                               f"a header of a recognised layout: {described}; or name the columns with "
                               "--columns date=COL,price=COL,volume=COL,marketCap=COL")
            found = [near]
        name, definition = found[0], LAYOUTS[found[0]]
    indexes = _locate([definition["columns"][f] if definition["columns"][f] is not None else "\u0000"
                       for f in INPUT_FIELDS], header)
    at = {f: (-1 if definition["columns"][f] is None else indexes[k]) for k, f in enumerate(INPUT_FIELDS)}
    if any(at[f] == -1 for f in OHLC_FIELDS):
        at.update({f: -1 for f in OHLC_FIELDS})
    if options.ohlc_for is not None and at["high"] == -1 and any(f in required for f in OHLC_FIELDS):
        raise BadInput(path, header_line, None, None, ohlc_refusal(options.ohlc_for, name))
    if definition["columns"]["marketCap"] is None and options.market_cap_optional:
        required = [f for f in required if f != "marketCap"]
    if (at["marketCap"] == -1 and "marketCap" in required and definition["columns"]["marketCap"] is None
            and name != "columns"):
        raise BadInput(path, header_line, "marketCap", header_text,
                       f"a feature spec without marketCap: the {name} layout has no market cap "
                       "(its default features leave it out)")
    absent = [f for f in ["date"] + required if at[f] == -1]
    if absent:
        columns_of = [definition["columns"][f] or f for f in absent]
        if name == "columns":
            how = ("the columns given by --columns; missing "
                   + ", ".join(f"{f}={definition['columns'][f] or '?'}" for f in absent))
        elif name == "pricecast":
            how = (f"a header with the columns {', '.join(REQUIRED_COLUMNS)} (any order); "
                   f"missing {', '.join(columns_of)}")
        else:
            how = (f"the {name} layout's columns ({','.join(definition['signature'])}); "
                   f"missing {', '.join(columns_of)}"
                   "; for another layout name the columns with --columns date=COL,price=COL,volume=COL,marketCap=COL")
        raise BadInput(path, header_line, ", ".join(columns_of), header_text, how)
    return {"name": name, "columns": {f: (header[at[f]] if at[f] != -1 else None) for f in INPUT_FIELDS},
            "at": at, "signature": definition["signature"], "date": definition["date"],
            "thousands": definition["thousands"] or options.thousands == ","}


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _ymd(text: str) -> Optional[Tuple[int, int, int]]:
    match = _YMD.match(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    return year, month, day


def _utc_day(text: str) -> Optional[Tuple[int, int, int]]:
    """(year, month, day) of the UTC day a date or date-time names (dates.ts parseDateTime), None otherwise."""
    import datetime
    parts = _ymd(text) if len(text) == 10 else None
    if parts is not None:
        return parts
    match = _DATE_TIME.match(text)
    if match:
        parts = _ymd(match.group(1))
        hour, minute, second = int(match.group(2)), int(match.group(3)), float(match.group(4) or 0)
        if parts is None or not (hour <= 23 and minute <= 59 and second < 60):
            return None
        offset = 0
        if match.group(5):
            oh, om = int(match.group(6)), int(match.group(7) or 0)
            if not (oh <= 14 and om <= 59):
                return None
            offset = (-1 if match.group(5) == "-" else 1) * (oh * 3600 + om * 60)
        seconds = hour * 3600 + minute * 60 + second - offset
        day = datetime.date(*parts).toordinal() + math.floor(seconds / 86400)
        if day < 1:
            return (0, 1, 1)
        shifted = datetime.date.fromordinal(day)
        return shifted.year, shifted.month, shifted.day
    match = _MONTH_DAY_YEAR.match(text)
    if not match or match.group(1) not in MONTHS:
        return None
    year, month, day = int(match.group(3)), MONTHS.index(match.group(1)) + 1, int(match.group(2))
    if not (1 <= day <= _days_in_month(year, month)):
        return None
    return year, month, day


def date_expected(text: str) -> str:
    """What a refused date cell should have been: the engine's dateExpected, word for word."""
    parts = _utc_day(text)
    if parts is not None and parts < (1582, 10, 15):
        return DATE_BEFORE_GREGORIAN_EXPECTED
    return DATE_EXPECTED


def unix_expected(text: str) -> str:
    """The engine's unixExpected: a unix time that parses but falls before 1582-10-15, or not a unix time."""
    if re.match(DECIMAL_PATTERN, text):
        value = float(text)
        if math.isfinite(value):
            seconds = value / 1000 if abs(value) >= UNIX_MILLISECONDS_FROM else value
            if math.floor(seconds / 86400) < -141427:
                return DATE_BEFORE_GREGORIAN_EXPECTED
    return UNIX_EXPECTED


EPOCH = "1970-01-01"


def _date_time(text, kind: str):
    """Spark SQL: a date cell -> (its UTC day as DateType, its time in seconds since 1970-01-01 UTC); both
    null for anything else or a date that does not exist (dates.ts parseDateTime / parseUnixTime)."""
    if kind == "unix":
        number = F.when(text.rlike(DECIMAL_PATTERN), text.cast(DoubleType()))
        number = F.when(~F.isnan(number) & (F.abs(number) < float("inf")), number)
        seconds = F.when(F.abs(number) >= UNIX_MILLISECONDS_FROM, number / 1000).otherwise(number)
    else:
        plain = text.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        timed = text.rlike(DATE_TIME_PATTERN)
        ymd = F.when(plain, text).when(timed, F.regexp_extract(text, DATE_TIME_PATTERN, 1))
        from_ymd = F.make_date(F.substring(ymd, 1, 4).cast("int"), F.substring(ymd, 6, 2).cast("int"),
                               F.substring(ymd, 9, 2).cast("int"))
        named = r"^([A-Z][a-z]{2}) ([0-9]{1,2}), ([0-9]{4})$"
        month_of = F.create_map(*[x for i, m in enumerate(MONTHS) for x in (F.lit(m), F.lit(i + 1))])
        month = month_of[F.regexp_extract(text, named, 1)]
        from_named = F.when(text.rlike(named) & month.isNotNull(),
                            F.make_date(F.regexp_extract(text, named, 3).cast("int"), month.cast("int"),
                                        F.regexp_extract(text, named, 2).cast("int")))
        # make_date is null for a date that does not exist (2021-02-30), with ANSI mode off (set in main).
        start = F.when(ymd.isNotNull(), from_ymd).otherwise(from_named)
        part = lambda k: F.regexp_extract(text, DATE_TIME_PATTERN, k)  # noqa: E731
        hour, minute = part(2).cast("int"), part(3).cast("int")
        second = F.when(part(4) == "", F.lit(0.0)).otherwise(part(4).cast(DoubleType()))
        offset_h = part(6).cast("int")
        offset_m = F.when(part(7) == "", F.lit(0)).otherwise(part(7).cast("int"))
        offset = F.when(part(5) == "", F.lit(0)).otherwise(
            F.when(part(5) == "-", F.lit(-1)).otherwise(F.lit(1)) * (offset_h * 3600 + offset_m * 60))
        valid_time = (hour <= 23) & (minute <= 59) & (second < 60) & (
            (part(5) == "") | ((offset_h <= 14) & (offset_m <= 59)))
        time_of_day = F.when(~timed, F.lit(0.0)).when(
            valid_time, (hour * 3600 + minute * 60 + second - offset).cast(DoubleType()))
        seconds = F.datediff(start, F.lit(EPOCH).cast(DateType())).cast(DoubleType()) * 86400.0 + time_of_day
    day = F.date_add(F.lit(EPOCH).cast(DateType()), F.floor(seconds / 86400).cast("int"))
    return F.when(seconds.isNotNull(), day), seconds


def _is_missing(text):
    return text.isNull() | (text == "") | (text == "-") | (F.lower(text) == "null")


def _validated(text: dict, layout: dict, options: IngestOptions, corrupt, not_text, asset=None):
    """The engine's row checks (csv.ts readRow, in its order) as Spark columns: date, seconds, values, problem
    code, and whether the row's open/high/low disagree with its close. `asset`: the trimmed asset cell, whose
    name must match ASSET_NAME (docs/input.md#panels)."""
    day, seconds = _date_time(text["date"], layout.get("date", "text"))
    day = F.when(day >= F.lit(FIRST_GREGORIAN).cast(DateType()), day)
    values, missing, checks = {}, {}, []
    for field in NUMERIC_FIELDS:
        within = VALUE_BOUNDS[field][0]
        if field not in text:
            text[field] = None
        if text[field] is None:
            values[field], missing[field] = F.lit(None).cast(DoubleType()), F.lit(False)
            continue
        raw = text[field]
        plain = (F.when(raw.rlike(THOUSANDS_PATTERN), F.regexp_replace(raw, ",", "")).otherwise(raw)
                 if layout["thousands"] else raw)
        number = F.when(plain.rlike(DECIMAL_PATTERN), plain.cast(DoubleType()))
        finite = number.isNotNull() & ~F.isnan(number) & (F.abs(number) < float("inf"))
        is_missing = _is_missing(raw)
        bound = within(number, 0)
        checks.append((~is_missing & ~finite, field, "number"))
        checks.append((~is_missing & ~bound, field, "bound"))
        values[field] = F.when(~is_missing, number)
        missing[field] = is_missing & F.lit(field in options.required)
    problem = F.when(not_text, F.lit("text")).when(corrupt, F.lit("fields")).when(day.isNull(), F.lit("date"))
    for condition, field, kind in checks:
        problem = problem.when(condition, F.lit(f"{field}:{kind}"))
    if asset is not None:
        problem = problem.when(~asset.rlike(ASSET_NAME_PATTERN), F.lit("asset:name"))
    # open/high/low against the close (valueRules.ts checkOhlc): low first, then high; a missing value skips it.
    inconsistent = F.lit(False)
    if all(text[f] is not None for f in OHLC_FIELDS):
        o, h, lo, c = values["open"], values["high"], values["low"], values["price"]
        present = o.isNotNull() & h.isNotNull() & lo.isNotNull() & c.isNotNull()
        low_bad = present & ~(lo <= F.least(o, c))
        high_bad = present & ~(F.greatest(o, c) <= h)
        inconsistent = F.coalesce(low_bad | high_bad, F.lit(False))
        if options.ohlc_check != "off":
            problem = problem.when(low_bad, F.lit("low:ohlc")).when(high_bad, F.lit("high:ohlc"))
    return day, seconds, values, problem, inconsistent


def read_input_rows(spark: SparkSession, path: str, options: IngestOptions):
    """The engine's readDailyInput: the file's rows checked, in file order (CSV or Parquet).

    Returns (rows; data rows read; sha256; the layout read, with the asset column's names when it has one).
    """
    hfs = HadoopFs(spark, path)
    if not hfs.fs.exists(hfs.path):
        raise BadInput(path, 0, None, None, "an input file; there is no such file")
    if hfs.fs.getFileStatus(hfs.path).isDirectory() or _starts_with_parquet_magic(hfs):
        return read_daily_parquet(spark, path, options)
    return read_daily_csv(spark, path, options=options)


def prepare_daily(spark: SparkSession, path: str, read, options: IngestOptions):
    """The engine's prepareDaily on one series: sort and dedupe, the one-daily-series check, --missing."""
    rows, rows_read, sha256, layout = read
    daily, collapsed = sort_and_dedupe(rows)
    repeated, days = collapsed["count"], daily.count()
    if repeated >= MIN_REPEATED_DAYS_REFUSED and repeated > MAX_REPEATED_DAY_SHARE * days:
        # input.ts checkOneDailySeries: several assets pasted together, or intraday data.
        raise BadInput(path, 0, layout.get("date_column", "date"), None,
                       f"one row a day, give or take a repeated date: {repeated} of the {days} days have several rows "
                       "(more than 1%), so this is several assets pasted together or intraday data, not one daily "
                       "series; name the asset column with --columns asset=COL, or use a daily file")
    daily, missing = fill_missing(spark, path, daily, options, layout)
    options.has_market_cap = layout["at"]["marketCap"] != -1  # run_pipeline drops marketCap from the default
    return daily, rows_read, sha256, collapsed, {"layout": layout["read"], "missing": missing,
                                                 "asset": layout.get("asset"),
                                                 "ohlcInconsistentRows": layout.get("ohlc_inconsistent", 0)}


def _starts_with_parquet_magic(hfs: HadoopFs) -> bool:
    stream = hfs.fs.open(hfs.path)
    try:
        head = bytes(stream.read() & 0xFF for _ in range(4))  # py4j cannot fill a Python buffer
        return head == b"PAR1"
    finally:
        stream.close()


def fill_missing(spark: SparkSession, path: str, daily: DataFrame, options: IngestOptions, layout: dict):
    """--missing, after sort and dedupe (the engine's fillMissing, src/engine/ingest/missing.ts).

    `daily` has ROW_ID (file position) so a refused cell is named by its line; it is dropped here.
    """
    required = [f for f in NUMERIC_FIELDS if f in options.required and layout["at"][f] != -1]
    any_missing = None
    for f in required:
        any_missing = F.col(f).isNull() if any_missing is None else (any_missing | F.col(f).isNull())
    counts = daily.agg(*[F.sum(F.col(f).isNull().cast("int")).alias(f) for f in required],
                       F.sum(any_missing.cast("int")).alias("__rows")).first()
    cells = {f: int(counts[f] or 0) if f in required else 0 for f in VALUE_FIELDS}
    cells.update({f: int(counts[f]) for f in OHLC_FIELDS if f in required and (counts[f] or 0) > 0})
    rows_with_missing = int(counts["__rows"] or 0)
    report = {"policy": options.missing, "cells": cells, "rowsDropped": 0}
    if rows_with_missing == 0:
        return daily.drop(ROW_ID), {**report, "cells": {f: 0 for f in VALUE_FIELDS}}

    def fail(condition, fields: List[str], expected_of) -> None:
        first = daily.where(condition).orderBy("date").first()
        field = next(f for f in fields if first[f] is None)
        line, cell = layout["locate"](first[ROW_ID], field)
        raise BadInput(path, line, layout["columns"][field], cell, expected_of(field))

    if options.missing == "error":
        fail(any_missing, required, lambda f: MISSING_EXPECTED)
    if options.missing == "drop":
        return daily.where(~any_missing).drop(ROW_ID), {**report, "rowsDropped": rows_with_missing}
    if options.missing == "zero":
        positive = [f for f in ("price",) + OHLC_FIELDS if f in required]
        if any(cells.get(f, 0) > 0 for f in positive):
            unfillable = None
            for f in positive:
                unfillable = F.col(f).isNull() if unfillable is None else (unfillable | F.col(f).isNull())
            fail(unfillable, positive,
                 lambda f: "a value; --missing zero cannot fill a price (a price must be > 0): use previous or drop"
                 if f == "price" else
                 f"a value; --missing zero cannot fill {'an' if f == 'open' else 'a'} {f} (it must be > 0): "
                 "use previous or drop")
        return daily.fillna(0.0, subset=[f for f in required if f in ("volume", "marketCap")]).drop(ROW_ID), report
    # previous: each field's last value in date order; a field missing on the first date cannot be filled.
    upto = Window.orderBy("date").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    filled = daily
    for f in required:
        filled = filled.withColumn(f, F.last(F.col(f), ignorenulls=True).over(upto))
    filled = filled.cache()
    still = None
    for f in required:
        still = F.col(f).isNull() if still is None else (still | F.col(f).isNull())
    if filled.where(still).limit(1).count() > 0:
        first = filled.where(still).orderBy("date").first()
        field = next(f for f in required if first[f] is None)
        line, cell = layout["locate"](first[ROW_ID], field)
        raise BadInput(path, line, layout["columns"][field], cell,
                       f"a value; --missing previous has no earlier {field} to carry forward (it is the first date)")
    return filled.drop(ROW_ID), report


def read_daily_parquet(spark: SparkSession, path: str, options: IngestOptions):
    """Parquet input (src/engine/ingest/parquetInput.ts): a file or a Spark-style folder, any layout's columns.

    File order = data files by name, rows in order; sha256 over those files' bytes in that order. A bad cell
    is named by its data file and 1-based row.
    """
    hfs = HadoopFs(spark, path)
    if hfs.fs.getFileStatus(hfs.path).isDirectory():
        files = sorted((s.getPath() for s in hfs.fs.listStatus(hfs.path) if s.isFile()
                        and not s.getPath().getName().startswith(("_", "."))), key=lambda p: p.getName())
        if not files:
            raise BadInput(path, 0, None, None, "a CSV file, or a Parquet folder with data files; this folder has none")
    else:
        files = [hfs.path]
    digest = hfs._jvm.java.security.MessageDigest.getInstance("SHA-256")
    for file in files:
        stream = hfs.fs.open(file)
        try:
            hfs._jvm.org.apache.commons.codec.digest.DigestUtils.updateDigest(digest, stream)
        finally:
            stream.close()
    sha256 = hfs._jvm.org.apache.commons.codec.binary.Hex.encodeHexString(digest.digest())
    frame = spark.read.parquet(*[f.toString() for f in files])
    layout = resolve_layout(path, frame.columns, options)
    layout["read"] = f"parquet ({layout['name']})"
    layout["date_column"] = "date"
    types = dict(frame.dtypes)
    date_name = layout["columns"]["date"]
    if types[date_name] not in ("date", "string"):
        raise BadInput(path, 0, date_name, None, f"a date column of Parquet type DATE or a string; it is {types[date_name]}")
    numbered = (frame.withColumn("__file", F.input_file_name()).withColumn("__mono", F.monotonically_increasing_id())
                .withColumn(ROW_ID, F.row_number().over(Window.orderBy("__file", "__mono")) - 1)
                .withColumn("__row", F.row_number().over(Window.partitionBy("__file").orderBy("__mono"))))
    text = {}
    for f in ("date",) + VALUE_FIELDS:
        name = layout["columns"][f]
        if name is None or name not in types:
            text[f] = None
        elif f == "date":
            text[f] = F.col(f"`{name}`").cast(StringType())
        else:
            if not re.match(r"^(double|float|int|bigint|smallint|tinyint|decimal)", types[name]):
                raise BadInput(path, 0, name, None, f"a numeric column; it is {types[name]}")
            text[f] = F.col(f"`{name}`").cast(DoubleType()).cast(StringType())
    for f in OHLC_FIELDS:  # Parquet input reads the four-column series (parquetInput.ts)
        text[f] = None
    layout["at"] = {**layout["at"], **{f: -1 for f in OHLC_FIELDS}}
    day, _seconds, values, problem, _ohlc = _validated(text, {**layout, "thousands": False, "date": "text"}, options,
                                                       F.lit(False), F.lit(False))
    checked = numbered.select(F.col(ROW_ID), "__file", "__row", day.alias("date"), F.lit(None).cast(DoubleType()).alias("__seconds"),
                              *[values[f].alias(f) for f in VALUE_FIELDS], problem.alias(PROBLEM),
                              *[(text[f] if text[f] is not None else F.lit(None)).alias(f"__text_{f}")
                                for f in ("date",) + VALUE_FIELDS]).cache()
    rows_read = checked.count()
    if rows_read == 0:
        raise BadInput(path, 0, None, None, "data rows; the Parquet input has none")
    bad = checked.where(F.col(PROBLEM).isNotNull()).orderBy(ROW_ID).first()
    if bad is not None:
        field, _, kind = bad[PROBLEM].partition(":")
        cell = bad[f"__text_{field}"]
        if field == "date":
            expected = date_expected(cell or "")
        elif kind == "number":
            expected = NUMBER_EXPECTED
        else:
            expected = bound_expected(field)
        raise BadInput(bad["__file"], int(bad["__row"]), layout["columns"][field], cell or "", expected)
    rows_at = {}

    def locate(row_id, field):
        if not rows_at:
            rows_at.update({r[ROW_ID]: int(r["__row"]) for r in checked.select(ROW_ID, "__row").collect()})
        return rows_at[row_id], ""
    layout["locate"] = locate
    return checked.select(ROW_ID, "date", "__seconds", *VALUE_FIELDS), int(rows_read), sha256, layout


def read_daily_csv(spark: SparkSession, path: str, check_text: bool = True,
                   options: Optional[IngestOptions] = None):
    """docs/input.md: the file's data rows in file order, validated, missing cells null.

    Returns (rows with date (DateType), price, volume, marketCap (doubles) and ROW_ID = file position;
    data rows read; sha256 of the file's bytes; the layout read).

    The file is read with multiLine=True: RFC 4180 quoted line breaks are allowed, and Spark then reads the
    file as one unsplittable stream, so monotonically_increasing_id numbers the records 0 (the header),
    1, 2, ... in file order; that number is what "last row in file order" means in sort_and_dedupe.
    It is read without a header so the job, not Spark, interprets it: Spark would silently rename repeated
    header names and pad or cut rows with the wrong number of fields.
    """
    options = options or IngestOptions()
    hfs = HadoopFs(spark, path)
    if not hfs.fs.exists(hfs.path):
        raise BadInput(path, 0, None, None, "an input file; there is no such file")
    if hfs.fs.getFileStatus(hfs.path).isDirectory():
        raise BadInput(path, 0, None, None, "a CSV file; this is a folder")
    sha256 = hfs.sha256_hex()

    reader = spark.read.option("multiLine", True).option("header", False).option("encoding", "UTF-8")
    # The first two lines, parsed here: a banner line (CryptoDataDownload's URL) may stand above the header.
    head_lines = [r[0] for r in spark.read.text(path).limit(2).collect()]
    if not head_lines:
        raise BadInput(path, 0, None, None, "a CSV with a header row and data rows; the file is empty")
    first_record = next(csv.reader([head_lines[0].lstrip("\ufeff")]), [""])
    header_record = 1 if is_banner_line(first_record) and len(head_lines) > 1 else 0
    first = reader.csv(path).limit(1).collect() if header_record == 0 else None
    if header_record == 0:
        header = ["" if v is None else v for v in first[0]]
    else:
        header = next(csv.reader([head_lines[1]]), [])
    header_line = header_record + 1
    seen = set()
    for name in header:
        if name in seen:
            raise BadInput(path, header_line, name, name,
                           "a header whose column names are all different; this name appears twice")
        seen.add(name)
    layout = resolve_layout(path, header, options, header_line)
    layout["read"] = layout["name"]
    layout["date_column"] = layout["columns"]["date"]

    fields = [f"c{i}" for i in range(len(header))]
    schema = StructType([StructField(f, StringType()) for f in fields] + [StructField(CORRUPT, StringType())])
    records = (reader.schema(schema)
               .option("mode", "PERMISSIVE")
               .option("columnNameOfCorruptRecord", CORRUPT)
               # An empty field stays "" (a missing value, like "-"), not Spark's default null.
               .csv(path)
               .withColumn(ROW_ID, F.monotonically_increasing_id()))
    if records.rdd.getNumPartitions() != 1:
        # multiLine CSV is never split; if a Spark version ever did, ROW_ID would not be file order.
        raise RuntimeError("expected the CSV to be read as one partition (multiLine); file order is lost")
    text = {f: (F.col(fields[layout["at"][f]]) if layout["at"][f] != -1 else None)
            for f in ("date",) + NUMERIC_FIELDS}
    # Not UTF-8 text (docs/input.md): Spark decodes bytes that are not UTF-8 as U+FFFD, and keeps NUL.
    # A genuine U+FFFD in valid UTF-8 also matches; _describe_bad_record tells the two apart.
    raw_text = F.concat_ws("\n", *[F.col(f) for f in fields], F.col(CORRUPT))
    not_text = raw_text.rlike("[\\x00\\x{FFFD}]") if check_text else F.lit(False)
    asset = (F.coalesce(F.trim(F.col(fields[layout["at"]["asset"]])), F.lit("")) if layout["at"]["asset"] != -1
             else None)
    day, seconds, values, problem, inconsistent = _validated(text, layout, options, F.col(CORRUPT).isNotNull(), not_text,
                                                             asset)
    read = [f for f in NUMERIC_FIELDS if f in VALUE_FIELDS or layout["at"][f] != -1]
    asset = asset if asset is not None else F.lit(None).cast(StringType())
    checked = (records.where(F.col(ROW_ID) > header_record)
               .select(F.col(ROW_ID), day.alias("date"), seconds.alias("__seconds"), *[values[f].alias(f) for f in read],
                       problem.alias(PROBLEM), inconsistent.alias("__ohlc_inconsistent"), asset.alias("__asset"))
               .cache())
    counts = checked.agg(F.count(F.lit(1)).alias("rows"),
                         F.min(F.when(F.col(PROBLEM).isNotNull(), F.col(ROW_ID))).alias("first_bad"),
                         F.sum(F.col("__ohlc_inconsistent").cast("int")).alias("inconsistent")).first()
    if counts["rows"] == 0:
        raise BadInput(path, 0, None, None, "data rows after the header; the file has only a header")
    if counts["first_bad"] is not None:
        bad = checked.where(F.col(ROW_ID) == counts["first_bad"]).select(PROBLEM).first()
        error = _describe_bad_record(spark, path, header, layout, counts["first_bad"], bad[PROBLEM])
        if error is None:  # a genuine U+FFFD, not a decoding error: check again without the text test
            checked.unpersist()
            return read_daily_csv(spark, path, check_text=False, options=options)
        raise error
    layout["ohlc_inconsistent"] = int(counts["inconsistent"] or 0) if layout["at"]["open"] != -1 else 0
    if layout["at"]["asset"] != -1:
        # The asset column's names (trimmed, checked above) in order of first appearance: one names the asset,
        # several make the file a panel (docs/input.md#panels), run by run_panel.
        found = checked.groupBy("__asset").agg(F.min(ROW_ID).alias("__first")).orderBy("__first").collect()
        layout["assets"] = [r["__asset"] for r in found]
        layout["asset"] = layout["assets"][0] if len(layout["assets"]) == 1 else None
        layout["asset_rows"] = checked.drop(PROBLEM)

    def locate(row_id, field):
        line, cells = _record_at(spark, path, row_id)
        return line, cells[layout["at"][field]]
    layout["locate"] = locate
    return checked.drop(PROBLEM, "__ohlc_inconsistent", "__asset"), int(counts["rows"]), sha256, layout


def _record_at(spark: SparkSession, path: str, record_index: int):
    """(line the record ends on, its fields) of record `record_index` (0 = header). Error path only: Spark's
    CSV rows carry no line numbers, so the file is parsed again with Python's csv module (same RFC 4180
    rules; blank lines skipped as Spark skips them). The bytes come through Spark (binaryFile), so this
    works on HDFS and S3 too."""
    content = bytes(spark.read.format("binaryFile").load(path).select("content").first()[0])
    text = content.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    index = -1
    fields: List[str] = []
    for fields in reader:
        if not fields:
            continue  # a blank line: Spark skips it and so does the engine
        index += 1
        if index == record_index:
            break
    return reader.line_num, fields


def _describe_bad_record(spark: SparkSession, path: str, header: List[str], layout: dict, record_index: int,
                         problem: str) -> Optional[BadInput]:
    """The error line for record number `record_index` (0 = header) of the file, as the engine words it."""
    if problem == "text":
        content = bytes(spark.read.format("binaryFile").load(path).select("content").first()[0])
        try:
            content.decode("utf-8")
            invalid_at = None
        except UnicodeDecodeError as error:
            invalid_at = error.start
        nul_at = content.find(b"\x00")
        if invalid_at is None and nul_at < 0:
            return None  # valid UTF-8 without NUL: the U+FFFD Spark saw is a real character
    line, fields = _record_at(spark, path, record_index)
    if problem == "text":
        at = min(x for x in (invalid_at, nul_at if nul_at >= 0 else None) if x is not None)
        what = "a NUL byte" if at == nul_at else "bytes that are not UTF-8"
        names = header + [f"[{i + 1}]" for i in range(len(header), len(fields))]
        column = next((names[i] for i, f in enumerate(fields) if "\x00" in f or "\ufffd" in f), None)
        value = next((f for f in fields if "\x00" in f or "\ufffd" in f), None)
        return BadInput(path, line, column, value, f"a UTF-8 text CSV; found {what} at byte {at}: not a UTF-8 text CSV")
    if problem == "fields":
        return BadInput(path, line, None, ",".join(fields),
                        f"{len(header)} fields as in the header, found {len(fields)}")
    field, _, kind = problem.partition(":")
    column = layout["columns"][field]
    value = fields[layout["at"][field]]
    if field == "asset":
        return BadInput(path, line, column, value, ASSET_NAME_EXPECTED)
    if field == "date":
        expected = unix_expected(value) if layout.get("date") == "unix" else date_expected(value)
    elif kind == "ohlc":
        expected = _ohlc_expected(layout, fields)
    elif kind == "number":
        expected = NUMBER_WITH_THOUSANDS_EXPECTED if layout["thousands"] else NUMBER_EXPECTED
    else:
        expected = bound_expected(field)
    return BadInput(path, line, column, value, expected)


def bound_expected(field: str) -> str:
    """What an error says is expected of a value outside its field's bound, e.g. "a price > 0"."""
    return f"{'an' if field == 'open' else 'a'} {field} {VALUE_BOUNDS[field][1]}"


def _js_float(value: float) -> str:
    """A double as JavaScript's String() writes it (1, 0.5, 1e+21, 1.5e-7)."""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        exp = int(exponent)
        if -7 < exp < 21:
            return format(value, "f").rstrip("0").rstrip(".") if "." in format(value, "f") else format(value, "f")
        return f"{mantissa.rstrip('0').rstrip('.') if '.' in mantissa else mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"
    return text


def _ohlc_expected(layout: dict, fields: List[str]) -> str:
    """csv.ts ohlcExpected: the rule and the row's four values."""
    def value(field: str) -> float:
        text = fields[layout["at"][field]]
        if layout["thousands"] and re.match(THOUSANDS_PATTERN, text):
            text = text.replace(",", "")
        return float(text)
    o, h, lo, c = (value(f) for f in ("open", "high", "low", "price"))
    return (f"low <= min(open, close) and max(open, close) <= high; this row has open {_js_float(o)}, "
            f"high {_js_float(h)}, low {_js_float(lo)}, close {_js_float(c)} (--ohlc-check off accepts such rows "
            "and counts them)")


def sort_and_dedupe(rows: DataFrame) -> Tuple[DataFrame, dict]:
    """Ascending dates, one row per date: the LAST row in file order (docs/input.md).

    seed-script fix (pyspark/README.md): the seed script computed RSI in file order before sorting by date, and a repeated date made
    the order ambiguous. Here the repeated date keeps its last row (highest file position, ROW_ID) and the
    collapsed dates are reported.
    """
    # The latest time first, then the last in file order (days.ts): a date-only file's times are all equal.
    last_first = Window.partitionBy("date").orderBy(F.col("__seconds").desc_nulls_last(), F.col(ROW_ID).desc())
    by_date = Window.partitionBy("date")
    ranked = rows.withColumn("__copies", F.count(F.lit(1)).over(by_date)) \
                 .withColumn("__times", F.max("__seconds").over(by_date) != F.min("__seconds").over(by_date)) \
                 .withColumn("__rank", F.row_number().over(last_first))
    kept = ranked.where(F.col("__rank") == 1)
    repeated = kept.where(F.col("__copies") > 1)
    facts = repeated.agg(F.count(F.lit(1)).alias("n"),
                         F.sum(F.coalesce(F.col("__times"), F.lit(False)).cast("int")).alias("snapshots")).first()
    collapsed = {"count": int(facts["n"]),
                 "first": [r["day"] for r in repeated.orderBy("date").limit(COLLAPSED_DATES_LISTED)
                           .select(F.date_format("date", "yyyy-MM-dd").alias("day")).collect()],
                 "severalSnapshots": int(facts["snapshots"] or 0)}
    ohlc = [f for f in OHLC_FIELDS if f in rows.columns]
    # ROW_ID: for fill_missing's messages
    daily = kept.select("date", "price", "volume", "marketCap", *ohlc, ROW_ID)
    return daily, collapsed


# --- feature specs (docs/features.md#feature-specs): the same rules and messages as src/engine/features/spec.ts --------------

DEFAULT_FEATURE_SPEC = "price,volume,marketCap,rsi"
INPUT_FEATURES = ("price", "volume", "marketCap", "open", "high", "low")
# The items only an input with open, high and low can feed (docs/features.md#high-and-low-indicators).
OHLC_FEATURES = ("open", "high", "low")
TA_MODULES = ("momentum", "trend", "volatility", "volume", "others")
# ta's signatures give each argument's default; its type follows from the default except where the default
# understates it: bollinger's window_dev=2 is any real number, volume_price_trend's smoothing_factor=None means
# "no smoothing", which 0 also means (ta tests `if smoothing_factor:`).
FLOAT_ARGS = {"window_dev"}
NONE_DEFAULTS = {"smoothing_factor": 0}
# Integer arguments are windows and periods (positive), except these (counts: 0 or more; donchian's offset
# is a shift of 0 or more rows: a negative one would read later rows).
NOT_PERIODS = {"smoothing_factor", "offset"}
MAX_SAFE_INTEGER = 2 ** 53 - 1

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VALUE = re.compile(r"[^ \t\r\n,()=]+")
_SPACES = " \t\r\n"
_INTEGER = re.compile(r"[+-]?[0-9]+")
# The CSV reader's decimal syntax: no spaces, hex, NaN or Infinity.
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class FeatureSpecError(Exception):
    """A bad --features text: one line, exit code 2 (the engine's UsageError with the same message)."""

    def __init__(self, at: Optional[int], message: str):
        super().__init__("--features: " + ("" if at is None else f"position {at + 1}: ") + message)


def feature_catalogue() -> Tuple[dict, List[str]]:
    """ta 0.11.0's functional API, read from ta itself: ({name: {module, inputs, args}}, names needing high/low).

    Every function is usable: those whose series arguments are only close and/or volume on any input, those
    that also take high and low on an input that has them. Keyword arguments (all but fillna, in ta's order)
    are {name, type, default, positive}. test/engine/features/spec.test.ts checks this equals
    the engine's catalogue (src/engine/features/indicators/catalogue.ts).
    """
    functions, needs_high_low = {}, []
    for module in TA_MODULES:
        namespace = getattr(ta, module)
        for name, function in inspect.getmembers(namespace, inspect.isfunction):
            if function.__module__ != namespace.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(function).parameters
            series = [p for p, v in params.items() if v.default is inspect.Parameter.empty]
            if not set(series) <= {"close", "volume"}:
                needs_high_low.append(name)
            args = []
            for p, v in params.items():
                if v.default is inspect.Parameter.empty or p == "fillna":
                    continue
                default = NONE_DEFAULTS[p] if v.default is None else v.default
                kind = ("bool" if isinstance(default, bool) else "float" if p in FLOAT_ARGS or isinstance(default, float)
                        else "int")
                arg = {"name": p, "type": kind, "default": float(default) if kind == "float" else default}
                if kind == "int" and p not in NOT_PERIODS:
                    arg["positive"] = True
                args.append(arg)
            functions[name] = {"module": module, "inputs": series, "args": args}
    return functions, sorted(needs_high_low)


def _js_number_text(value: Any) -> str:
    """String(value) in JavaScript: true/false, integers without '.0', the shortest round-trip digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    sign, text = ("-", repr(-value)) if value < 0 else ("", repr(value))
    mantissa, _, exponent = text.partition("e")
    point = mantissa.index(".") if "." in mantissa else len(mantissa)
    digits = mantissa.replace(".", "")
    stripped = digits.lstrip("0")
    n = point - (len(digits) - len(stripped)) + (int(exponent) if exponent else 0)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = f"{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + e


def format_feature_item(item: dict) -> str:
    """The normalised text of an item: rsi(window=14), price, on_balance_volume."""
    args = item["args"]
    if not args:
        return item["fn"]
    return item["fn"] + "(" + ",".join(f"{k}={_js_number_text(v)}" for k, v in args.items()) + ")"


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i]
        for j in range(1, len(b) + 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1])))
        previous = current
    return previous[len(b)]


def _closest_name(name: str, names: Iterable[str]) -> Optional[str]:
    """featureSpec.ts's closestName: the first name extending it with "_...", else the nearest by edit distance."""
    limit = max(2, len(name) // 3)
    candidates = sorted(names)
    extension = next((c for c in candidates if c.lower().startswith(name.lower() + "_")), None)
    if extension is not None:
        return extension
    best, best_distance = None, None
    for candidate in candidates:
        d = _edit_distance(name.lower(), candidate.lower())
        if best_distance is None or d < best_distance:
            best, best_distance = candidate, d
    return best if best_distance is not None and best_distance <= limit else None


def _scan_feature_spec(text: str) -> List[dict]:
    """The syntax pass: [{name, at, args: [{name, value, at}]}], positions 0-based."""
    i = 0
    n = len(text)

    def got(j: int) -> str:
        return "the end of the spec" if j >= n else json.dumps(text[j], ensure_ascii=False)

    def skip_spaces() -> None:
        nonlocal i
        while i < n and text[i] in _SPACES:
            i += 1

    def name() -> Optional[str]:
        nonlocal i
        match = _NAME.match(text, i)
        if match is None:
            return None
        i = match.end()
        return match.group(0)

    items = []
    while True:
        skip_spaces()
        if i >= n or text[i] == ",":
            raise FeatureSpecError(i, "empty item")
        at = i
        fn = name()
        if fn is None:
            raise FeatureSpecError(i, f"expected a function name, got {got(i)}")
        item = {"name": fn, "at": at, "args": []}
        skip_spaces()
        if i < n and text[i] == "(":
            opened = i
            i += 1
            skip_spaces()
            if i < n and text[i] == ")":
                i += 1
            else:
                while True:
                    skip_spaces()
                    if i >= n:
                        raise FeatureSpecError(opened, '"(" is never closed')
                    arg_at = i
                    arg = name()
                    if arg is None:
                        raise FeatureSpecError(i, f"expected an argument name, got {got(i)}")
                    skip_spaces()
                    if i >= n:
                        raise FeatureSpecError(opened, '"(" is never closed')
                    if text[i] != "=":
                        raise FeatureSpecError(i, f'expected "=" after {arg}, got {got(i)}')
                    i += 1
                    skip_spaces()
                    value = _VALUE.match(text, i)
                    if value is None:
                        if i >= n:
                            raise FeatureSpecError(opened, '"(" is never closed')
                        raise FeatureSpecError(i, f"expected a value for {arg}, got {got(i)}")
                    i = value.end()
                    item["args"].append({"name": arg, "value": value.group(0), "at": arg_at})
                    skip_spaces()
                    if i >= n:
                        raise FeatureSpecError(opened, '"(" is never closed')
                    if text[i] == ")":
                        i += 1
                        break
                    if text[i] != ",":
                        raise FeatureSpecError(i, f'expected "," or ")", got {got(i)}')
                    i += 1
            skip_spaces()
        items.append(item)
        if i >= n:
            return items
        if text[i] == ")":
            raise FeatureSpecError(i, 'unexpected ")"')
        if text[i] != ",":
            raise FeatureSpecError(i, f'expected ",", got {got(i)}')
        i += 1


def _parse_feature_value(fn: str, arg: dict, text: str, at: int) -> Any:
    what = f"{fn} argument {arg['name']}"
    quoted = json.dumps(text, ensure_ascii=False)
    if arg["type"] == "bool":
        if text.lower() not in ("true", "false"):
            raise FeatureSpecError(at, f"{what} expects true or false, got {quoted}")
        return text.lower() == "true"
    if arg["type"] == "int":
        if not _INTEGER.fullmatch(text) or abs(int(text)) > MAX_SAFE_INTEGER:
            raise FeatureSpecError(at, f"{what} expects an integer, got {quoted}")
        value = int(text)
    else:
        value = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if not math.isfinite(value):
            raise FeatureSpecError(at, f"{what} expects a number, got {quoted}")
        value = 0.0 if value == 0 else value
    if arg.get("positive") and value <= 0:
        raise FeatureSpecError(at, f"{what} must be positive, got {quoted}")
    if arg["type"] == "int" and not arg.get("positive") and value < 0:
        raise FeatureSpecError(at, f"{what} must not be negative, got {quoted}")
    return value


def _column_name(fn: str, args: dict, signature: List[dict]) -> str:
    """The naming rule of featureSpec.ts: fn, then _<arg>_<value> for each argument off its default."""
    parts = [fn]
    for arg in signature:
        if args[arg["name"]] != arg["default"]:
            text = _js_number_text(args[arg["name"]]).replace(".", "p").replace("-", "m").replace("+", "")
            parts.append(f"{arg['name']}_{text}")
    return "_".join(parts)


def parse_feature_spec(text: str) -> List[dict]:
    """--features text -> normalised items [{column, fn, args}]; FeatureSpecError (one line) when bad."""
    if text.strip(_SPACES) == "":
        raise FeatureSpecError(None, "expected a comma-separated list of items such as "
                                     f'"{DEFAULT_FEATURE_SPEC}", got an empty spec')
    catalogue, _ = feature_catalogue()
    items, seen, columns = [], {}, {}
    for raw in _scan_feature_spec(text):
        fn = raw["name"]
        if fn in INPUT_FEATURES:
            if raw["args"]:
                raise FeatureSpecError(raw["at"], f"{fn} takes no arguments")
            item = {"column": fn, "fn": fn, "args": {}}
        else:
            if fn not in catalogue:
                suggestion = _closest_name(fn, list(INPUT_FEATURES) + list(catalogue))
                raise FeatureSpecError(raw["at"], f"unknown function {json.dumps(fn)} " + (
                    f'(did you mean "{suggestion}"?)' if suggestion is not None else "(pricecast features lists them)"))
            signature = catalogue[fn]["args"]
            names = [a["name"] for a in signature]
            given = {}
            for arg in raw["args"]:
                if arg["name"] not in names:
                    valid = ", ".join(names)
                    raise FeatureSpecError(arg["at"], f"{fn} has no argument {json.dumps(arg['name'])} "
                                           + ("(it takes none)" if not valid else f"(its arguments: {valid})"))
                if arg["name"] in given:
                    raise FeatureSpecError(arg["at"], f"argument {arg['name']} of {fn} is given twice")
                given[arg["name"]] = arg
            args = {}
            for arg in signature:
                written = given.get(arg["name"])
                args[arg["name"]] = (arg["default"] if written is None
                                     else _parse_feature_value(fn, arg, written["value"], written["at"]))
            item = {"column": _column_name(fn, args, signature), "fn": fn, "args": args}
        normalised = format_feature_item(item)
        if normalised in seen:
            raise FeatureSpecError(raw["at"], f"duplicate item {normalised} (same as item {seen[normalised]})")
        if item["column"] in columns:
            raise FeatureSpecError(raw["at"], f"item {normalised} makes the column {item['column']}, as item "
                                              f"{columns[item['column']]} does")
        items.append(item)
        seen[normalised] = len(items)
        columns[item["column"]] = len(items)
    return items


def _json_args(args: dict) -> dict:
    """Arguments as the engine writes them in JSON: a float with an integral value as an integer (2, not 2.0)."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in args.items()}


def needs_ohlc(item: dict) -> bool:
    """The engine's needsOhlc: the item is open/high/low or a ta function that takes high and low."""
    catalogue, needs_high_low = feature_catalogue()
    return item["fn"] in OHLC_FEATURES or item["fn"] in needs_high_low


def ohlc_refusal(item: str, layout: str) -> str:
    """The engine's ohlcRefusal (src/engine/features/ohlcRefusal.ts), word for word."""
    fn = item.split("(")[0]
    what = f"the day's {fn} price" if fn in OHLC_FEATURES else "high and low prices"
    return f"an input with open, high and low for {item}: it needs {what}, which this input ({layout} layout) does not have"


def check_feature_inputs(items: List[dict], columns: Sequence[str], file: str, layout: str) -> None:
    """The engine's checkFeatureInputs: the first item needing open/high/low, on a series without them (a
    Parquet input), is bad input naming the item and the layout."""
    item = next((i for i in items if needs_ohlc(i)), None)
    if item is None or all(c in columns for c in OHLC_FEATURES):
        return
    raise BadInput(file, 0, None, None, ohlc_refusal(format_feature_item(item), layout))


def compute_features(spark: SparkSession, daily: DataFrame, items: List[dict]) -> Tuple[DataFrame, dict]:
    """One column per item (docs/features.md#feature-specs), computed with ta on the driver; (table, first defined row).

    seed-script fix (pyspark/README.md): computed on the series in DATE order (the seed script used file order). An indicator needs
    its series whole and in order, so it goes through pandas on the driver: getattr(ta.<module>, fn)(close=,
    volume=, **args, fillna=False). Warm-up values are NaN and stay missing (Arrow hands them back to Spark
    as null); ±inf (e.g. a zero band width) stays, for drop_nulls to remove. The second value maps each
    column to the index of its first finite value in date order (None: none), for the too-few-rows message.
    """
    ohlc = [c for c in OHLC_FEATURES if c in daily.columns]
    series = daily.select("date", "price", "volume", "marketCap", *ohlc).orderBy("date").toPandas()
    every, first_defined = feature_values(series, items)
    # The input columns are already in `daily`: only the indicators are joined to it.
    values = {item["column"]: every[item["column"]] for item in items if item["fn"] not in INPUT_FEATURES}
    labelled = daily
    if values:
        frame = pd.DataFrame({"date": series["date"], **values})
        schema = StructType([StructField("date", DateType())]
                            + [StructField(name, DoubleType()) for name in values])
        labelled = daily.join(spark.createDataFrame(frame, schema), "date")
    return labelled, first_defined


def next_price(labelled: DataFrame) -> DataFrame:
    """docs/label-and-clean.md: the next date's price; null on the last row.

    The unpartitioned window gathers every row into ONE partition, which section 5 relies on: randomSplit
    then runs one sampler seeded with seed + 0.
    """
    return labelled.withColumn("next_price", F.lead("price").over(Window.orderBy("date")))


def drop_nulls(labelled: DataFrame, columns: List[str]) -> DataFrame:
    """docs/label-and-clean.md#clean-up: rows where a feature or next_price is null, NaN or ±inf go (warm-up rows, a
    zero band width, the last row). Spark's dropna covers null and NaN only, so ±inf is filtered explicitly."""
    kept = labelled.dropna(subset=[*columns, "next_price"])
    for name in columns:
        kept = kept.where(F.abs(F.col(name)) < float("inf"))
    return kept


# ta's parabolic SAR sides: NaN by design on every row of the other trend (about half the rows).
TREND_SIDE_FUNCTIONS = ("psar_up", "psar_down")


def psar_dropped_rows(labelled: DataFrame, items: List[dict]) -> int:
    """The engine's trendSideDroppedRows: rows dropped only because psar_up/psar_down is NaN there (every
    other feature and next_price finite); 0 when the spec has neither (docs/features.md#high-and-low-indicators)."""
    sides = [i["column"] for i in items if i["fn"] in TREND_SIDE_FUNCTIONS]
    if not sides:
        return 0
    others = [i["column"] for i in items if i["column"] not in sides] + ["next_price"]

    def finite(name: str):
        return F.col(name).isNotNull() & ~F.isnan(F.col(name)) & (F.abs(F.col(name)) < float("inf"))
    every_other = F.lit(True)
    for name in others:
        every_other = every_other & finite(name)
    every_side = F.lit(True)
    for name in sides:
        every_side = every_side & finite(name)
    return labelled.where(every_other & ~every_side).count()


def assemble_features(cleaned: DataFrame, columns: List[str]) -> DataFrame:
    """docs/features.md#the-default-features, 5 and 9: the vector of the feature columns, in spec order, as `features`.

    seed-script fix (pyspark/README.md): the seed script split the vector back into columns with UDFs defined twice (so price got
    marketCap's value and volume, marketCap, rsi all got rsi's) returning FloatType, and dropped `date`.
    Here the input columns are kept as they are (doubles, never re-derived from the vector), and `date`
    stays, as the FIRST column: randomSplit sorts each partition by every orderable column in schema
    order, and unique dates first make that order simply date order (docs/split.md).
    """
    assembler = VectorAssembler(inputCols=columns, outputCol="features")
    frame = assembler.transform(cleaned).select("date", *columns, "next_price", "features")
    if frame.rdd.getNumPartitions() != 1:
        raise RuntimeError("expected one partition after the unpartitioned window (docs/split.md)")
    return frame.cache()


def random_split(frame: DataFrame, train_ratio: float, seed: int) -> Tuple[DataFrame, DataFrame]:
    """docs/split.md: Spark's randomSplit([r, 1 - r], seed), called ONCE.

    seed-script fix (pyspark/README.md): the seed script called randomSplit twice and without a seed, so runs were not reproducible
    (and the two calls' splits were not each other's complement).
    """
    train, test = frame.randomSplit([train_ratio, 1.0 - train_ratio], seed)
    return train, test


def time_split(frame: DataFrame, train_ratio: float) -> Tuple[DataFrame, DataFrame]:
    """The first floor(n * r) dates train, the rest test (n * r as a plain double product, as in JS)."""
    n = frame.count()
    train_count = math.floor(n * train_ratio)
    position = frame.withColumn("__position", F.row_number().over(Window.orderBy("date")))
    train = position.where(F.col("__position") <= train_count).drop("__position")
    test = position.where(F.col("__position") > train_count).drop("__position")
    return train, test


def fit(train: DataFrame, reg_param: float = 0.0, elastic_net: float = 0.0) -> LinearRegressionModel:
    """docs/fit.md: Spark ML LinearRegression with its defaults (solver auto -> normal equations);
    docs/regularisation.md: regParam and elasticNetParam, the other defaults kept."""
    return LinearRegression(featuresCol="features", labelCol="next_price", regParam=reg_param,
                            elasticNetParam=elastic_net).fit(train)


def predict(model: LinearRegressionModel, test: DataFrame, columns: List[str]) -> DataFrame:
    """docs/output.md: the test rows with their predictions, in date order, every value a double.

    seed-script fix (pyspark/README.md): the output has `date` (the seed script's had none) and full double precision.
    """
    return model.transform(test).select("date", *columns, "next_price", "prediction").orderBy("date")


def model_report(model: LinearRegressionModel, test: DataFrame, *, input_file: str, sha256: str,
                 rows_read: int, collapsed: dict, seed: int, split: str, train_ratio: float,
                 rows: dict, items: List[dict], reg_param: float = 0.0, elastic_net: float = 0.0) -> dict:
    """_model.json: exactly the ModelReport interface of src/engine/types.ts, with engine "pyspark"."""
    summary = model.summary
    # Spark's Cholesky solve leaves objectiveHistory = [0.0]; when it fails (a constant feature) Spark
    # falls back to L-BFGS, whose history has one entry per iteration. An L1 part (λ > 0, α > 0) always
    # takes OWL-QN (docs/regularisation.md).
    if reg_param != 0.0 and elastic_net != 0.0:
        solver = "owlqn"
    else:
        solver = "cholesky" if len(summary.objectiveHistory) <= 1 else "fallback"
    evaluation = model.evaluate(test)
    return {
        "tool": "pricecast",
        "engine": "pyspark",
        "input": {
            "file": input_file,
            "sha256": sha256,
            "rowsRead": rows_read,
            "duplicateDatesCollapsed": collapsed,
        },
        "seed": seed,
        "split": split,
        "trainRatio": train_ratio,
        "rows": rows,
        "features": [item["column"] for item in items],
        "featureSpecs": [{**item, "args": _json_args(item["args"])} for item in items],
        "model": {
            "featureNames": [item["column"] for item in items],
            "coefficients": _numbers(model.coefficients.toArray()),
            "intercept": _number(model.intercept),
            "solver": solver,
            "regParam": float(reg_param),
            "elasticNetParam": float(elastic_net),
        },
        "training": {
            "numInstances": int(summary.numInstances),
            "degreesOfFreedom": int(summary.degreesOfFreedom),
            "coefficientStandardErrors": _statistic(lambda: summary.coefficientStandardErrors),
            "tValues": _statistic(lambda: summary.tValues),
            "pValues": _statistic(lambda: summary.pValues),
            "r2": _number(summary.r2),
            "r2adj": _number(summary.r2adj),
            "meanSquaredError": _number(summary.meanSquaredError),
            "rootMeanSquaredError": _number(summary.rootMeanSquaredError),
            "meanAbsoluteError": _number(summary.meanAbsoluteError),
            "explainedVariance": _number(summary.explainedVariance),
        },
        "test": {
            "numInstances": int(evaluation.numInstances),
            "rootMeanSquaredError": _number(evaluation.rootMeanSquaredError),
            "meanAbsoluteError": _number(evaluation.meanAbsoluteError),
            "r2": _number(evaluation.r2),
        },
    }


def _number(value: Any) -> Optional[float]:
    """A JSON number at full precision (json writes repr, the shortest round-trip form); NaN/inf -> null."""
    value = float(value)
    return value if math.isfinite(value) else None


def _numbers(values: Iterable[Any]) -> List[Optional[float]]:
    return [_number(v) for v in values]


def _statistic(read) -> Optional[List[Optional[float]]]:
    """Standard errors, t- or p-values; null where Spark says they are not available, as the engine does."""
    try:
        return _numbers(read())
    except Exception as error:  # pyspark wraps the JVM's UnsupportedOperationException
        if NOT_AVAILABLE.search(str(error)):
            return None
        raise


def write_spark_output(spark: SparkSession, predictions: DataFrame, report: dict, output: str,
                       partition_by: Optional[str] = None) -> str:
    """docs/output.md: OUTPUT/part-00000-*.snappy.parquet, OUTPUT/_SUCCESS and OUTPUT/_model.json; with
    `partition_by` (a panel), Spark's partitionBy layout, OUTPUT/asset=<name>/part-*.snappy.parquet, one file
    per asset in date order.

    Written to a hidden temporary sibling and renamed into place, so a failed run leaves no half folder
    and an earlier output stays whole until the new one is complete. An existing OUTPUT is replaced only
    when it is empty or an earlier output of this tool: nothing in it but regular files of the output's
    names (OUTPUT_FILE) and its _model.json says tool "pricecast" (the engine's rule, src/engine/output/folder.ts).
    """
    target = HadoopFs(spark, output)
    check_output_replaceable(target)
    token = uuid.uuid4().hex[:12]
    name = target.path.getName()
    staging = target.sibling(f".{name}.pricecast-tmp-{token}")
    retired = target.sibling(f".{name}.pricecast-old-{token}")
    fs = target.fs
    try:
        if partition_by is None:
            predictions.coalesce(1).write.mode("overwrite").parquet(staging.toString())
        else:
            # Each asset in one partition, so one part file per asset folder, its rows in date order.
            (predictions.repartition(partition_by).sortWithinPartitions(partition_by, "date")
             .write.mode("overwrite").partitionBy(partition_by).parquet(staging.toString()))
        body = json.dumps(report, indent=2, allow_nan=False) + "\n"
        target.write_bytes(target._jvm.org.apache.hadoop.fs.Path(staging, "_model.json"), body.encode("utf-8"))
        check_output_replaceable(target)
        had_earlier = fs.exists(target.path)
        if had_earlier and not fs.rename(target.path, retired):
            raise RuntimeError(f"could not move the earlier output {output} aside")
        if not fs.rename(staging, target.path):
            if had_earlier:
                fs.rename(retired, target.path)
            raise RuntimeError(f"could not rename {staging.toString()} to {output}")
        if had_earlier:
            _delete_output_folder(fs, retired)
    finally:
        if fs.exists(staging):
            fs.delete(staging, True)
    return target.path.toString()


# The names an output folder may hold (src/engine/output/folder.ts OUTPUT_FILE): our part file, Spark's, _SUCCESS,
# _model.json, and Hadoop's .crc checksums of them.
_OUTPUT_NAME = (r"(?:part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-c\d{3})?\.snappy\.parquet"
                r"|_SUCCESS|_model\.json)")
OUTPUT_FILE = re.compile(rf"^(?:{_OUTPUT_NAME}|\.{_OUTPUT_NAME}\.crc)$")


# A panel's partition folder (partitionBy("asset")): asset=<name>, the name as ASSET_NAME allows.
PARTITION_FOLDER = re.compile(r"^asset=[A-Za-z0-9._ -]+$")
PART_FILE = re.compile(rf"^(?:{_OUTPUT_NAME}|\.{_OUTPUT_NAME}\.crc)$")


def _is_partition_folder(fs, status) -> bool:
    """A panel's asset=<name> folder holding only part files (and their .crc)."""
    if not status.isDirectory() or status.isSymlink() or not PARTITION_FOLDER.match(status.getPath().getName()):
        return False
    return all(s.isFile() and PART_FILE.match(s.getPath().getName()) and s.getPath().getName().lstrip(".").startswith("part-")
               for s in fs.listStatus(status.getPath()))


def _delete_output_folder(fs, folder) -> None:
    """Deletes an earlier output file by file, then the empty folder: never recursively, so that anything
    that appeared in it since the check stays (the folder then stays too)."""
    for status in fs.listStatus(folder):
        if status.isFile() and OUTPUT_FILE.match(status.getPath().getName()):
            fs.delete(status.getPath(), False)
        elif _is_partition_folder(fs, status):
            _delete_output_folder(fs, status.getPath())
    if len(fs.listStatus(folder)) == 0:
        fs.delete(folder, False)


def check_output_replaceable(target: HadoopFs) -> None:
    fs, path = target.fs, target.path
    if not fs.exists(path):
        return
    if not fs.getFileStatus(path).isDirectory():
        raise OutputRefused(f"--output {path.toString()} is a file; refusing to replace it")
    entries = fs.listStatus(path)
    if len(entries) == 0:
        return
    foreign = sorted(s.getPath().getName() for s in entries
                     if (not OUTPUT_FILE.match(s.getPath().getName()) or not s.isFile() or s.isSymlink())
                     and not _is_partition_folder(fs, s))
    if foreign:
        raise OutputRefused(f"--output {path.toString()} exists and is not a pricecast output (it also holds "
                            f"{', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); refusing to replace it")
    model_json = target.child("_model.json")
    try:
        earlier = json.loads(target.read_text(model_json)) if fs.exists(model_json) else None
    except ValueError:
        earlier = None
    if not isinstance(earlier, dict) or earlier.get("tool") != "pricecast":
        raise OutputRefused(f"--output {path.toString()} exists and is not an earlier pricecast output; "
                            "refusing to replace it")


# --- panels: many assets in one file, one grouped map (docs/parity.md#panels, pyspark/README.md#panels) -----------
#
# A file whose asset column names several assets runs per asset as `groupBy("asset").applyInPandas(fit_asset)`,
# never a driver loop over assets, so that 10,000 assets are one Spark job on a cluster. Inside a group there
# is no Spark ML (a DataFrame cannot be used from a task), so the group replays the definitions Spark ML runs:
# docs/split.md (XORShiftRandom, the BernoulliCellSampler, rows in date order, one partition) and docs/fit.md
# (the normal equations of WeightedLeastSquares, reference LAPACK on the packed triangle, the L-BFGS fallback,
# Spark's summary formulas), in the engine's order of operations (src/engine/split.ts, src/engine/model/).
# The parity suite shows the group equal to Spark ML's own randomSplit and LinearRegression on one-asset
# files (test/parity/panel.test.ts).

ASSET_NAME = re.compile(r"^[A-Za-z0-9._ -]+$")
ASSET_NAME_PATTERN = r"^[A-Za-z0-9._ -]+$"
ASSET_NAME_EXPECTED = ("an asset name of letters, digits, dots, underscores, hyphens or spaces "
                       "([A-Za-z0-9._ -]+)")
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant
_FAST_MAX = 2.0 ** 900
_FAST_MIN = 2.0 ** -900


def fma(a: float, b: float, c: float) -> float:
    """a*b + c rounded once (Java's Math.fma, docs/fit.md#fused-multiply-add). Fast path: Dekker's exact
    product p + e = a*b, then math.fsum, which rounds p + e + c correctly; magnitudes where the product's
    split is not exact take exact integer arithmetic and Python's correctly rounded int/int division."""
    if a == 0.0 or b == 0.0 or c == 0.0 or not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        # c = 0: the product rounded once is the answer (a product that underflows to a signed zero aside,
        # which the engine's unrolled ddot treats the same way).
        return a * b + c
    p = a * b
    if abs(p) < _FAST_MAX and abs(a) < _FAST_MAX and abs(b) < _FAST_MAX and abs(c) < _FAST_MAX and abs(p) > _FAST_MIN:
        t = _SPLITTER * a
        ah = t - (t - a)
        al = a - ah
        t = _SPLITTER * b
        bh = t - (t - b)
        bl = b - bh
        return math.fsum((p, ah * bh - p + ah * bl + al * bh + al * bl, c))
    pa, qa = a.as_integer_ratio()
    pb, qb = b.as_integer_ratio()
    pc, qc = c.as_integer_ratio()
    numerator = pa * pb * qc + pc * qa * qb
    if numerator == 0:
        return 0.0
    try:
        return numerator / (qa * qb * qc)
    except OverflowError:
        return math.inf if numerator > 0 else -math.inf


# docs/split.md#the-generator and #seeding: Spark's XORShiftRandom, seeded through Scala's MurmurHash3.bytesHash.

def _murmur_mix_last(h: int, k: int) -> int:
    k = (k * 0xCC9E2D51) & _M32
    k = ((k << 15) | (k >> 17)) & _M32
    k = (k * 0x1B873593) & _M32
    return h ^ k


def _murmur_bytes_hash(data: bytes, seed: int) -> int:
    h = seed & _M32
    for i in range(0, len(data) - len(data) % 4, 4):
        h = _murmur_mix_last(h, int.from_bytes(data[i:i + 4], "little"))
        h = ((h << 13) | (h >> 19)) & _M32
        h = (h * 5 + 0xE6546B64) & _M32
    h ^= len(data)  # the 8-byte seed leaves no tail
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


class XORShiftRandom:
    """Spark's org.apache.spark.util.random.XORShiftRandom (docs/split.md#the-generator)."""

    def __init__(self, seed: int):
        data = (seed & _M64).to_bytes(8, "big")
        lo = _murmur_bytes_hash(data, 0x3C074A61)
        hi = _murmur_bytes_hash(data, lo)
        self.state = (hi << 32) | lo

    def next(self, bits: int) -> int:
        s = self.state
        s ^= (s << 21) & _M64
        s ^= s >> 35
        s ^= (s << 4) & _M64
        self.state = s
        return s & ((1 << bits) - 1)

    def next_double(self) -> float:
        return (self.next(26) * 134217728 + self.next(27)) * (1.0 / 9007199254740992.0)


ROLE_TEST, ROLE_TRAIN, ROLE_NONE = 0, 1, 2


def bernoulli_cell_split(n: int, train_ratio: float, seed: int) -> List[int]:
    """docs/split.md#the-sampler: randomSplit([r, 1 - r], seed) on one partition of n rows in date order."""
    w0, w1 = train_ratio, 1.0 - train_ratio
    total = 0.0 + w0 + w1
    cum1 = 0.0 + w0 / total
    cum2 = cum1 + w1 / total
    train_open, test_open = cum1 - 0.0 > 0, cum2 - cum1 > 0
    rng = XORShiftRandom(seed + 0)  # seed + partitionIndex, one partition
    roles = []
    for _ in range(n):
        x = rng.next_double()
        if train_open and 0.0 <= x < cum1:
            roles.append(ROLE_TRAIN)
        elif test_open and cum1 <= x < cum2:
            roles.append(ROLE_TEST)
        else:
            roles.append(ROLE_NONE)
    return roles


def time_split_roles(n: int, train_ratio: float) -> List[int]:
    """docs/split.md#time-split: the first floor(n * r) rows train."""
    train = math.floor(n * train_ratio)
    return [ROLE_TRAIN] * train + [ROLE_TEST] * (n - train)


# docs/fit.md#cholesky-solve: reference LAPACK on the packed upper triangle (the engine's lapack.ts, loop for loop).

def _packed(i: int, j: int) -> int:
    return j * (j + 1) // 2 + i


def _dtpsv_upper_trans(n: int, ap: List[float], x: List[float], xo: int) -> None:
    kk = 1
    for j in range(1, n + 1):
        temp = x[xo + j - 1]
        k = kk
        for i in range(1, j):
            temp = temp - ap[k - 1] * x[xo + i - 1]
            k += 1
        x[xo + j - 1] = temp / ap[kk + j - 2]
        kk += j


def _dtpsv_upper_notrans(n: int, ap: List[float], x: List[float]) -> None:
    kk = n * (n + 1) // 2
    for j in range(n, 0, -1):
        if x[j - 1] != 0.0:
            x[j - 1] = x[j - 1] / ap[kk - 1]
            temp = x[j - 1]
            k = kk - 1
            for i in range(j - 1, 0, -1):
                x[i - 1] = x[i - 1] - temp * ap[k - 1]
                k -= 1
        kk -= j


def _dpptrf(n: int, ap: List[float]) -> int:
    jj = 0
    for j in range(1, n + 1):
        jc = jj + 1
        jj += j
        if j > 1:
            _dtpsv_upper_trans(j - 1, ap, ap, jc - 1)
        dot = 0.0
        for i in range(j - 1):
            dot = dot + ap[jc - 1 + i] * ap[jc - 1 + i]
        ajj = ap[jj - 1] - dot
        if ajj <= 0.0:
            ap[jj - 1] = ajj
            return j
        ap[jj - 1] = math.sqrt(ajj)
    return 0


def _dpptri(n: int, ap: List[float]) -> int:
    jj = 0
    for info in range(1, n + 1):  # dtptri: a zero diagonal is singular
        jj += info
        if ap[jj - 1] == 0.0:
            return info
    jc = 1
    for j in range(1, n + 1):
        ap[jc + j - 2] = 1.0 / ap[jc + j - 2]
        ajj = -ap[jc + j - 2]
        kk = 1  # dtpmv('U', 'N'): x := U x on the first j - 1 entries of column j
        xo = jc - 1
        for jj2 in range(1, j):
            if ap[xo + jj2 - 1] != 0.0:
                temp = ap[xo + jj2 - 1]
                k = kk
                for i in range(1, jj2):
                    ap[xo + i - 1] = ap[xo + i - 1] + temp * ap[k - 1]
                    k += 1
                ap[xo + jj2 - 1] = ap[xo + jj2 - 1] * ap[kk + jj2 - 2]
            kk += jj2
        for i in range(j - 1):
            ap[xo + i] = ajj * ap[xo + i]
        jc += j
    jj = 0
    for j in range(1, n + 1):
        jc = jj + 1
        jj += j
        if j > 1:  # dspr('U', alpha 1) with the column itself
            kk = 1
            for jj2 in range(1, j):
                if ap[jc - 1 + jj2 - 1] != 0.0:
                    temp = 1.0 * ap[jc - 1 + jj2 - 1]
                    k = kk
                    for i in range(1, jj2 + 1):
                        ap[k - 1] = ap[k - 1] + ap[jc - 1 + i - 1] * temp
                        k += 1
                kk += jj2
        ajj = ap[jj - 1]
        for i in range(j):
            ap[jc - 1 + i] = ajj * ap[jc - 1 + i]
    return 0


# docs/fit.md#fallback-solver: Breeze's L-BFGS as Spark configures it (the engine's quasiNewton.ts, step for step).

class _FirstOrderFailure(Exception):
    pass


def _breeze_dot(a: List[float], b: List[float]) -> float:
    n = len(a)
    if n < 8:
        sum_a = sum_b = 0.0
        for i in range(n - 1, -1, -1):
            p = a[i] * b[i]
            if i % 2 == 0:
                sum_a = p if i == 6 else sum_a + p
            else:
                sum_b = p if i == 5 else sum_b + p
        return sum_a + sum_b
    extra = n % 8
    sums = [0.0] * 8
    i = 0
    while i < extra:
        sums[0] += a[i] * b[i]
        i += 1
    while i < n:
        for u in range(8):
            sums[u] += a[i + u] * b[i + u]
        i += 8
    return sums[0] + sums[1] + sums[2] + sums[3] + sums[4] + sums[5] + sums[6] + sums[7]


def _java_ddot(x: List[float], y: List[float]) -> float:
    """netlib Java11BLAS ddot: four fused partial sums, then the tail fused into their sum."""
    n = len(x)
    bound = n - n % 4
    s0 = s1 = s2 = s3 = 0.0
    for i in range(0, bound, 4):
        s0 = fma(x[i], y[i], s0)
        s1 = fma(x[i + 1], y[i + 1], s1)
        s2 = fma(x[i + 2], y[i + 2], s2)
        s3 = fma(x[i + 3], y[i + 3], s3)
    total = 0.0
    total += s0 + s1 + s2 + s3
    for i in range(bound, n):
        total = fma(x[i], y[i], total)
    return total


def _java_dspmv_upper(n: int, alpha: float, a: List[float], x: List[float], beta: float, y: List[float]) -> None:
    """netlib Java8BLAS dspmvU: columns in blocks of 4, left-to-right sums, no fused operations."""
    def at(row, col):
        return a[row + col * (col + 1) // 2]
    col = 0
    bound = n - n % 4
    while col < bound:
        ax0, ax1, ax2, ax3 = alpha * x[col], alpha * x[col + 1], alpha * x[col + 2], alpha * x[col + 3]
        s0 = s1 = s2 = s3 = 0.0
        row = 0
        while row < col:
            a0, a1, a2, a3 = at(row, col), at(row, col + 1), at(row, col + 2), at(row, col + 3)
            y[row] += ax0 * a0 + ax1 * a1 + ax2 * a2 + ax3 * a3
            xr = x[row]
            s0 += xr * a0
            s1 += xr * a1
            s2 += xr * a2
            s3 += xr * a3
            row += 1
        a00, a01, a02, a03 = at(row, col), at(row, col + 1), at(row, col + 2), at(row, col + 3)
        a11, a12, a13 = at(row + 1, col + 1), at(row + 1, col + 2), at(row + 1, col + 3)
        a22, a23, a33 = at(row + 2, col + 2), at(row + 2, col + 3), at(row + 3, col + 3)
        x0, x1, x2, x3 = x[row], x[row + 1], x[row + 2], x[row + 3]
        s0 += x0 * a00 + x1 * a01 + x2 * a02 + x3 * a03
        s1 += x0 * a01 + x1 * a11 + x2 * a12 + x3 * a13
        s2 += x0 * a02 + x1 * a12 + x2 * a22 + x3 * a23
        s3 += x0 * a03 + x1 * a13 + x2 * a23 + x3 * a33
        for d, s in enumerate((s0, s1, s2, s3)):
            y[col + d] = alpha * s + beta * y[col + d] if beta != 0.0 else alpha * s
        col += 4
    while col < n:
        ax = alpha * x[col]
        s = 0.0
        row = 0
        while row < col:
            y[row] += ax * at(row, col)
            s += x[row] * at(row, col)
            row += 1
        s += x[row] * at(row, col)
        y[col] = alpha * s + beta * y[col] if beta != 0.0 else alpha * s
        col += 1


def _norm(v: List[float]) -> float:
    total = 0.0
    for value in v:
        total += value * value
    return math.sqrt(total)


def _cached_cost(aa, ab, a_bar, b_bar, bb_bar):
    """NormalEquationCostFun behind Breeze's CachedDiffFunction: the intercept is overwritten in place."""
    k = len(a_bar)
    size = k + 1
    cache = {"x": None, "value": None}

    def cost(x: List[float]):
        if cache["x"] is not None and cache["x"] == x:
            return cache["value"]
        dot = 0.0
        for j in range(k):
            dot += x[j] * a_bar[j]
        x[k] = b_bar - dot
        aax = [0.0] * size
        _java_dspmv_upper(size, 1.0, aa, x, 1.0, aax)
        loss = 0.5 * bb_bar - _java_ddot(ab, x) + 0.5 * _java_ddot(x, aax)
        grad = [aax[i] - ab[i] for i in range(size)]
        cache["x"], cache["value"] = list(x), (loss, grad)
        return loss, grad
    return cost


def _take_step(x, direction, step):
    out = []
    for i in range(len(x)):
        v = direction[i] * step
        v += x[i] * 1.0
        out.append(v)
    return out


def _inverse_hessian_times(steps, grad_deltas, grad):
    m = len(steps)
    diag = 1.0
    if m > 0:
        sy = _breeze_dot(steps[0], grad_deltas[0])
        yy = _breeze_dot(grad_deltas[0], grad_deltas[0])
        if sy < 0 or math.isnan(sy):
            raise _FirstOrderFailure("NaN history")
        diag = _div(sy, yy)
    direction = list(grad)
    alphas, rhos = [0.0] * m, [0.0] * m
    for i in range(m):
        rhos[i] = _breeze_dot(steps[i], grad_deltas[i])
        alphas[i] = _div(_breeze_dot(steps[i], direction), rhos[i])
        if math.isnan(alphas[i]):
            raise _FirstOrderFailure("NaN history")
        for j in range(len(direction)):
            direction[j] += grad_deltas[i][j] * -alphas[i]
    direction = [d * diag for d in direction]
    for i in range(m - 1, -1, -1):
        beta = _div(_breeze_dot(grad_deltas[i], direction), rhos[i])
        for j in range(len(direction)):
            direction[j] += steps[i][j] * (alphas[i] - beta)
    return [d * -1.0 for d in direction]


def _div(a: float, b: float) -> float:
    """a / b as IEEE 754 (and the JVM) divide: ±inf or NaN for a zero divisor, where Python raises."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0 else math.nan


def _interp(l, r) -> float:
    """CubicLineSearch.interp: a (time, slope, value) bracket's safeguarded cubic minimiser."""
    d1 = l[1] + r[1] - _div(3 * (l[2] - r[2]), l[0] - r[0])
    d2 = _sqrt(d1 * d1 - l[1] * r[1])
    multiplier = r[0] - l[0]
    t = r[0] - _div(multiplier * (r[1] + d2 - d1), r[1] - l[1] + 2 * d2)
    lbound = l[0] + 0.1 * (r[0] - l[0])
    ubound = l[0] + 0.9 * (r[0] - l[0])
    if t < lbound:
        return lbound
    if t > ubound:
        return ubound
    return t


def _strong_wolfe(phi, init: float) -> float:
    t = init
    low = phi(0.0)
    fval, dd = low[2], low[1]
    if dd > 0:
        raise _FirstOrderFailure("non-descent direction")

    def zoom(linit, rinit):
        lo, hi = linit, rinit
        for _ in range(10):
            tz = _interp(hi, lo) if lo[0] > hi[0] else _interp(lo, hi)
            c = phi(tz)
            if math.isnan(tz):
                raise _FirstOrderFailure("line search zoom failed")
            if c[2] > fval + 1e-4 * c[0] * dd or c[2] >= lo[2]:
                hi = c
            else:
                if abs(c[1]) <= 0.9 * abs(dd):
                    return c[0]
                if c[1] * (hi[0] - lo[0]) >= 0:
                    hi = lo
                lo = c
        raise _FirstOrderFailure("line search zoom failed")

    for i in range(10):
        c = phi(t)
        if not math.isfinite(c[2]):
            t /= 2.0
            continue
        if c[2] > fval + 1e-4 * t * dd or (c[2] >= low[2] and i > 0):
            return zoom(low, c)
        if abs(c[1]) <= 0.9 * abs(dd):
            return c[0]
        if c[1] >= 0:
            return zoom(c, low)
        low = c
        t *= 1.5
    raise _FirstOrderFailure("line search failed")


def quasi_newton(aa, ab, a_bar, b_bar, bb_bar, max_iter: int = 100, tolerance: float = 1e-6):
    """Spark's QuasiNewtonSolver without L1 (docs/fit.md#fallback-solver): (x, objective history)."""
    size = len(ab)
    cost = _cached_cost(aa, ab, a_bar, b_bar, bb_bar)
    x0 = [0.0] * size
    x0[size - 1] = b_bar
    value, grad = cost(x0)
    state = {"x": x0, "value": value, "grad": grad, "iter": 0, "steps": [], "deltas": [],
             "values": [math.inf], "failed": False}
    initial = value
    history = [value]
    failed_once = False
    while True:
        if state["iter"] >= max_iter:
            break
        if len(state["values"]) >= 2 and abs(state["value"] - max(state["values"])) <= tolerance * abs(initial):
            break
        if _norm(state["grad"]) <= max(tolerance * abs(state["value"]), 1e-8):
            break
        if state["failed"]:
            break
        try:
            direction = _inverse_hessian_times(state["steps"], state["deltas"], state["grad"])

            def phi(t):
                v, g = cost(_take_step(state["x"], direction, t))
                return (t, _breeze_dot(g, direction), v)
            alpha = _strong_wolfe(phi, _div(1.0, _norm(direction)) if state["iter"] == 0 else 1.0)
            if alpha * _norm(state["grad"]) < 1e-10:
                raise _FirstOrderFailure("step size underflow")
            x = _take_step(state["x"], direction, alpha)
            value, grad = cost(x)
            step = [x[i] + state["x"][i] * -1.0 for i in range(size)]
            delta = [grad[i] + state["grad"][i] * -1.0 for i in range(size)]
            failed_once = False
            state = {"x": x, "value": value, "grad": grad, "iter": state["iter"] + 1,
                     "steps": ([step] + state["steps"])[:10], "deltas": ([delta] + state["deltas"])[:10],
                     "values": (state["values"] + [value])[-20:], "failed": False}
        except _FirstOrderFailure:
            state = dict(state, failed=True) if failed_once else dict(state, steps=[], deltas=[])
            failed_once = True
        history.append(state["value"])
    return state["x"], history


# docs/regularisation.md#the-quasi-newton-path: the elastic net's OWL-QN as Spark configures it (the engine's
# owlqn.ts, step for step), on the same cost function as the fallback.

def _sign(v: float) -> float:
    """Java's Math.signum: ±1, a zero as itself, NaN as NaN."""
    return 1.0 if v > 0 else -1.0 if v < 0 else v


def _owlqn_adjust(l1, x, grad, value):
    """OWLQN.adjust: F and the pseudo-gradient from f and ∇f, coordinates in order."""
    adjusted = value
    out = []
    for weight, g, xv in zip(l1, grad, x):
        if weight == 0.0:
            out.append(g)
            continue
        adjusted += abs(weight * xv)
        if xv == 0.0:
            plus, minus = g + weight, g - weight
            out.append(minus if minus > 0 else plus if plus < 0 else 0.0)
        else:
            out.append(g + _sign(xv) * weight)
    return adjusted, out


def _orthant_step(state, direction, step):
    out = []
    for i in range(len(state["x"])):
        xi = state["x"][i]
        v = xi + direction[i] * step
        orthant = _sign(xi) if xi != 0 else _sign(-state["adjusted_grad"][i])
        out.append(v * (1.0 if _sign(v) == orthant else 0.0))
    return out


def _backtracking_step(state, cost, l1, direction) -> float:
    """OWLQN.determineStepSize with Breeze's BacktrackingLineSearch."""
    def phi(alpha):
        x = _orthant_step(state, direction, alpha)
        value, grad = cost(x)
        adjusted, adjusted_grad = _owlqn_adjust(l1, x, grad, value)
        return adjusted, _breeze_dot(adjusted_grad, direction)
    shrink = 0.1 if state["iter"] < 1 else 0.5
    init = _div(0.5, _norm(state["grad"])) if state["iter"] < 1 else 1.0
    f0, df0 = phi(0.0)
    alpha = init
    fval = state["value"]  # Breeze's initfval: the current raw value, not F at the first trial
    fderiv = phi(init)[1]
    tries = 0
    while True:
        if fval > f0 + alpha * df0 * 1e-4:
            multiplier = shrink
        elif fderiv < 0.9 * df0:
            multiplier = 2.1
        elif fderiv > -0.9 * df0:
            multiplier = shrink
        else:
            multiplier = 1.0
        if multiplier == 1.0:
            return alpha
        following = alpha * multiplier
        if tries >= 20:
            raise _FirstOrderFailure("line search failed")
        if following < 1e-10:
            raise _FirstOrderFailure("step size underflow")
        if following > 1e10:
            raise _FirstOrderFailure("step size overflow")
        f_next, d_next = phi(following)
        tries += 1
        if tries >= 20:  # Breeze stops before the 20th trial's state: the previous trial is the answer
            return alpha
        alpha, fval, fderiv = following, f_next, d_next


def owlqn(aa, ab, a_bar, b_bar, bb_bar, l1, max_iter: int = 100, tolerance: float = 1e-6):
    """Spark's QuasiNewtonSolver with an L1 term (OWL-QN): (x, objective history)."""
    size = len(ab)
    cost = _cached_cost(aa, ab, a_bar, b_bar, bb_bar)
    x0 = [0.0] * size
    x0[size - 1] = b_bar
    value, grad = cost(x0)
    adjusted, adjusted_grad = _owlqn_adjust(l1, x0, grad, value)
    state = {"x": x0, "value": value, "grad": grad, "adjusted": adjusted, "adjusted_grad": adjusted_grad, "iter": 0,
             "steps": [], "deltas": [], "values": [math.inf], "failed": False}
    initial = adjusted
    history = [adjusted]
    failed_once = False
    while True:
        if state["iter"] >= max_iter:
            break
        if len(state["values"]) >= 2 and abs(state["adjusted"] - max(state["values"])) <= tolerance * abs(initial):
            break
        if _norm(state["adjusted_grad"]) <= max(tolerance * abs(state["adjusted"]), 1e-8):
            break
        if state["failed"]:
            break
        try:
            direction = _inverse_hessian_times(state["steps"], state["deltas"], state["adjusted_grad"])
            direction = [d if d * g < 0 else 0.0 for d, g in zip(direction, state["adjusted_grad"])]
            step = _backtracking_step(state, cost, l1, direction)
            x = _orthant_step(state, direction, step)
            value, grad = cost(x)  # overwrites x's intercept, as Spark's cost function does
            adjusted, adjusted_grad = _owlqn_adjust(l1, x, grad, value)
            moved = [x[i] + state["x"][i] * -1.0 for i in range(size)]
            delta = [grad[i] + state["grad"][i] * -1.0 for i in range(size)]
            failed_once = False
            state = {"x": x, "value": value, "grad": grad, "adjusted": adjusted, "adjusted_grad": adjusted_grad,
                     "iter": state["iter"] + 1, "steps": ([moved] + state["steps"])[:10],
                     "deltas": ([delta] + state["deltas"])[:10], "values": (state["values"] + [adjusted])[-20:],
                     "failed": False}
        except _FirstOrderFailure:
            state = dict(state, failed=True) if failed_once else dict(state, steps=[], deltas=[])
            failed_once = True
        history.append(state["adjusted"])
    return state["x"], history


def wls_fit(features: List[List[float]], label: List[float], reg_param: float = 0.0, elastic_net: float = 0.0) -> dict:
    """docs/fit.md: Spark ML's WeightedLeastSquares (standardized normal equations, Cholesky, the L-BFGS
    fallback), unit weights, rows in date order; the penalty (docs/regularisation.md#the-penalty): its L2
    part (1 − α)·λ/δ on the standardized diagonal, and with an L1 part (λ > 0, α > 0) OWL-QN instead of
    Cholesky. Returns coefficients, intercept, diag((AᵀWA)⁻¹) or None, solver."""
    k = len(features)
    n = len(label)
    # docs/fit.md#sums, rows in date order. Every sum but Σ b·a is a plain running sum, which numpy's
    # add.accumulate computes in row order (no pairwise summation); dspr's skipped zero columns would
    # only have added ±0 to a sum that is never −0. Σ b·a is Java's axpy: one fused multiply-add a row.
    columns = np.array(features, dtype=np.float64).reshape(k, n)
    b_column = np.asarray(label, dtype=np.float64)

    def running_sum(values) -> float:
        return float(np.add.accumulate(values)[-1]) if n else 0.0
    w_sum = float(n)
    b_sum = running_sum(b_column)
    bb_sum = running_sum(b_column * b_column)
    a_sum = [running_sum(columns[j]) for j in range(k)]
    aa_sum = [running_sum(columns[i] * columns[j]) for j in range(k) for i in range(j + 1)]
    ab_sum = [0.0] * k
    for r in range(n):
        b = label[r]
        for j in range(k):
            ab_sum[j] = fma(b, features[j][r], ab_sum[j])
    sums = [bb_sum] + aa_sum + ab_sum
    if not all(math.isfinite(v) for v in sums):
        raise FitOverflow(f"the fit overflows: the sums over the {int(w_sum)} training rows exceed the largest double; "
                          "rescale the data and rerun")
    inv = 1.0 / w_sum
    a_bar = [inv * v for v in a_sum]
    ab_bar = [inv * v for v in ab_sum]
    aa_bar = [inv * v for v in aa_sum]
    raw_b_bar = b_sum / w_sum
    b_std = math.sqrt(max(bb_sum / w_sum - raw_b_bar * raw_b_bar, 0.0))
    a_std = []
    for j in range(k):
        aw = a_sum[j] / w_sum
        a_std.append(math.sqrt(max(aa_sum[_packed(j, j)] / w_sum - aw * aw, 0.0)))
    if b_std == 0:
        return {"coefficients": [0.0] * k, "intercept": raw_b_bar, "diag": None, "solver": "cholesky"}
    b_bar = raw_b_bar / b_std
    for j in range(k):
        a_bar[j] = 0.0 if a_std[j] == 0.0 else a_bar[j] / a_std[j]
        ab_bar[j] = 0.0 if a_std[j] == 0.0 else ab_bar[j] / (a_std[j] * b_std)
    p = 0
    for j in range(k):
        for i in range(j + 1):
            aa_bar[p] = 0.0 if a_std[j] == 0.0 or a_std[i] == 0.0 else aa_bar[p] / (a_std[i] * a_std[j])
            p += 1
    effective = reg_param / b_std
    l1_weight = elastic_net * effective
    l2 = (1.0 - elastic_net) * effective
    for j in range(k):
        aa_bar[_packed(j, j)] += l2
    size = k + 1
    ata = list(aa_bar) + list(a_bar) + [1.0]
    atb = list(ab_bar) + [b_bar]
    factor = list(ata)
    inverse, solver = None, None
    if elastic_net != 0.0 and reg_param != 0.0:
        bb_bar = bb_sum / w_sum / (b_std * b_std)
        x, _history = owlqn(ata, atb, a_bar, b_bar, bb_bar, [l1_weight] * k + [0.0])
        solver = "owlqn"
    elif _dpptrf(size, factor) == 0:
        x = list(atb)
        _dtpsv_upper_trans(size, factor, x, 0)
        _dtpsv_upper_notrans(size, factor, x)
        if _dpptri(size, factor) == 0:
            inverse, solver = factor, "cholesky"
    if inverse is None and solver != "owlqn":
        bb_bar = bb_sum / w_sum / (b_std * b_std)
        x, _history = quasi_newton(ata, atb, a_bar, b_bar, bb_bar)
        solver = "fallback"
    coefficients = [x[j] * (b_std / a_std[j] if a_std[j] != 0.0 else 0.0) for j in range(k)]
    intercept = x[k] * b_std
    if not all(math.isfinite(c) for c in coefficients + [intercept]):
        raise FitOverflow(f"the fit overflows: the {n} training rows give a non-finite coefficient or intercept "
                          "(features or label too large or too spread for double precision); rescale the data and rerun")
    diag = None
    if inverse is not None:
        diag = []
        for i in range(1, size + 1):
            multiplier = 1.0 if i == size else a_std[i - 1] * a_std[i - 1]
            diag.append(inverse[i + (i - 1) * i // 2 - 1] / (w_sum * multiplier))
    return {"coefficients": coefficients, "intercept": intercept, "diag": diag, "solver": solver}


class FitOverflow(Exception):
    """The fit's sums or solution are not finite: bad input (exit 2), as the engine's FitOverflowError."""


def linear_predict(coefficients: List[float], intercept: float, features: List[List[float]]) -> List[float]:
    """docs/fit.md#predictions: Java11BLAS ddot (four fused lanes, the tail fused) plus the intercept."""
    k = len(coefficients)
    n = len(features[0]) if k else 0
    bound = k - k % 4
    out = []
    for r in range(n):
        s = [0.0, 0.0, 0.0, 0.0]
        for j in range(0, bound, 4):
            for lane in range(4):
                s[lane] = fma(features[j + lane][r], coefficients[j + lane], s[lane])
        dot = 0.0
        dot += s[0] + s[1] + s[2] + s[3]
        for j in range(bound, k):
            dot = fma(features[j][r], coefficients[j], dot)
        out.append(dot + intercept)
    return out


def regression_metrics(prediction: List[float], label: List[float]) -> dict:
    """docs/fit.md#training-summary: Spark's RegressionMetrics (its summarizer's update order) on unit weights."""
    mean0 = m2n0 = nnz0 = 0.0
    m2err = l1err = 0.0
    mean2 = nnz2 = m2pred = 0.0
    for y, yhat in zip(label, prediction):
        err = y - yhat
        if y != 0:
            prev = mean0
            diff = y - prev
            mean0 = prev + (1.0 * diff) / (nnz0 + 1.0)
            m2n0 += 1.0 * (y - mean0) * diff
            nnz0 += 1.0
        if err != 0:
            m2err += 1.0 * err * err
            l1err += 1.0 * abs(err)
        if yhat != 0:
            prev = mean2
            mean2 = prev + (1.0 * (yhat - prev)) / (nnz2 + 1.0)
            nnz2 += 1.0
            m2pred += 1.0 * yhat * yhat
    n = float(len(label))
    real_mean0 = mean0 * (nnz0 / n)
    real_mean2 = mean2 * (nnz2 / n)
    denominator = n - n / n
    variance0 = max((m2n0 + mean0 * mean0 * nnz0 * (n - nnz0) / n) / denominator, 0.0) if denominator > 0.0 else 0.0
    norm_err, norm_pred = math.sqrt(m2err), math.sqrt(m2pred)
    ss_err = norm_err * norm_err
    ss_tot = variance0 * (n - 1)
    ss_reg = norm_pred * norm_pred + real_mean0 * real_mean0 * n - 2 * real_mean0 * real_mean2 * n
    mse = ss_err / n
    r2 = 1 - _div(ss_err, ss_tot)
    return {"numInstances": int(n), "meanSquaredError": mse, "rootMeanSquaredError": math.sqrt(mse),
            "meanAbsoluteError": l1err / n, "r2": r2, "explainedVariance": ss_reg / n}


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta I_x(a, b) (Lentz's continued fraction), for Student's t."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0
    for i in range(0, 400):
        m = i // 2
        if i == 0:
            numerator = 1.0
        elif i % 2 == 0:
            numerator = (m * (b - m) * x) / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        else:
            numerator = -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1))
        d = 1.0 + numerator * d
        d = tiny if abs(d) < tiny else d
        d = 1.0 / d
        c = 1.0 + numerator / c
        c = tiny if abs(c) < tiny else c
        cd = c * d
        f *= cd
        if abs(1.0 - cd) < 1e-16:
            break
    return front * (f - 1.0)


def t_two_sided_p(t: float, dof: int) -> float:
    """2·(1 − T_dof.cdf(|t|)) = I_{dof/(dof+t²)}(dof/2, 1/2), computed directly (no cancellation near 0)."""
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0
    return _incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t))


def spark_p_value(t: float, dof: int) -> float:
    """Spark's p-value, 2·(1 − T_dof.cdf(|t|)) through the CDF as Spark (Breeze) and the engine compute it,
    so that it cancels to 0 where theirs does (docs/parity.md#tolerances)."""
    if math.isnan(t) or math.isinf(t):
        return t_two_sided_p(t, dof)
    cdf = 1.0 - 0.5 * t_two_sided_p(t, dof)
    return 2.0 * (1.0 - cdf)


def training_summary(fitted: dict, prediction: List[float], label: List[float], p: int) -> dict:
    """docs/fit.md#training-summary: Spark's LinearRegressionTrainingSummary."""
    metrics = regression_metrics(prediction, label)
    n = metrics["numInstances"]
    dof = n - p - 1
    r2adj = 1 - ((1 - metrics["r2"]) * (n - 1)) / (n - p - 1)
    errors = t_values = p_values = None
    if fitted["diag"] is not None:
        rss = metrics["meanSquaredError"] * n
        sigma2 = rss / dof
        errors = [math.sqrt(d * sigma2) for d in fitted["diag"]]
        estimates = fitted["coefficients"] + [fitted["intercept"]]
        t_values = [_div(estimate, error) for estimate, error in zip(estimates, errors)]
        p_values = [spark_p_value(abs(t), dof) for t in t_values]
    return {"numInstances": n, "degreesOfFreedom": dof,
            "coefficientStandardErrors": None if errors is None else _numbers(errors),
            "tValues": None if t_values is None else _numbers(t_values),
            "pValues": None if p_values is None else _numbers(p_values),
            "r2": _number(metrics["r2"]), "r2adj": _number(r2adj),
            "meanSquaredError": _number(metrics["meanSquaredError"]),
            "rootMeanSquaredError": _number(metrics["rootMeanSquaredError"]),
            "meanAbsoluteError": _number(metrics["meanAbsoluteError"]),
            "explainedVariance": _number(metrics["explainedVariance"])}


# --- panels: the per-asset work inside the group, and the driver around it ---------------------------------------

def feature_values(series: pd.DataFrame, items: List[dict]) -> Tuple[dict, dict]:
    """Every item's column on one date-sorted series (pandas), and the index of its first finite value: ta's
    functions as compute_features calls them (docs/features.md#feature-specs)."""
    catalogue, _ = feature_catalogue()
    ohlc = [c for c in OHLC_FEATURES if c in series.columns]
    inputs = {"close": series["price"].astype("float64"), "volume": series["volume"].astype("float64"),
              **{c: series[c].astype("float64") for c in ohlc if c != "open"}}
    values, first_defined = {}, {}
    for item in items:
        fn = item["fn"]
        if fn in INPUT_FEATURES:
            column = series[fn].astype("float64")
        else:
            entry = catalogue[fn]
            function = getattr(getattr(ta, entry["module"]), fn)
            with warnings.catch_warnings():
                # ta 0.11 uses pandas idioms that pandas 2.2 reports as deprecated; the values are unaffected.
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                result = function(**{name: inputs[name] for name in entry["inputs"]}, **item["args"], fillna=False)
            # volume_price_trend(dropnans=True) returns fewer rows: align by the input's index.
            column = pd.Series(result).reindex(series.index).astype("float64")
        values[item["column"]] = column
        finite = np.isfinite(column.to_numpy())
        first_defined[item["column"]] = int(finite.argmax()) if finite.any() else None
    return values, first_defined


class AssetProblem(Exception):
    """Bad input found inside a group: where (the row's file position and column, or neither) and what."""

    def __init__(self, expected: str, row_id: Optional[int] = None, field: Optional[str] = None,
                 column: Optional[str] = None):
        super().__init__(expected)
        self.problem = {"expected": expected, "rowId": row_id, "field": field, "column": column}


def _sorted_deduped(pdf: pd.DataFrame) -> Tuple[pd.DataFrame, dict]:
    """sort_and_dedupe on one asset's rows: each date's latest time, then its last row in file order."""
    ordered = pdf.sort_values(["date", "__seconds", ROW_ID], ascending=[True, False, False], na_position="last",
                              kind="mergesort")
    kept = ordered.drop_duplicates("date", keep="first").reset_index(drop=True)
    per_day = ordered.groupby("date", sort=True)["__seconds"].agg(["size", "max", "min"])
    repeated = per_day[per_day["size"] > 1]
    collapsed = {"count": int(len(repeated)),
                 "first": [d.isoformat() for d in list(repeated.index)[:COLLAPSED_DATES_LISTED]],
                 "severalSnapshots": int((repeated["max"] != repeated["min"]).where(repeated["max"].notna(), False).sum())}
    return kept, collapsed


def _fill_missing_frame(daily: pd.DataFrame, plan: dict) -> Tuple[pd.DataFrame, dict]:
    """fill_missing on one asset's date-sorted rows (docs/input.md#missing-values)."""
    required = plan["missing_fields"]
    policy = plan["missing"]
    nulls = {f: daily[f].isna() for f in required}
    any_missing = pd.Series(False, index=daily.index)
    for f in required:
        any_missing = any_missing | nulls[f]
    cells = {f: int(nulls[f].sum()) if f in required else 0 for f in VALUE_FIELDS}
    cells.update({f: int(nulls[f].sum()) for f in OHLC_FIELDS if f in required and nulls[f].sum() > 0})
    rows_with_missing = int(any_missing.sum())
    report = {"policy": policy, "cells": cells, "rowsDropped": 0}
    if rows_with_missing == 0:
        return daily, {**report, "cells": {f: 0 for f in VALUE_FIELDS}}

    def fail(mask, fields, expected_of):
        first = daily[mask].iloc[0]
        field = next(f for f in fields if pd.isna(first[f]))
        raise AssetProblem(expected_of(field), int(first[ROW_ID]), field)

    if policy == "error":
        fail(any_missing, required, lambda f: MISSING_EXPECTED)
    if policy == "drop":
        return daily[~any_missing].reset_index(drop=True), {**report, "rowsDropped": rows_with_missing}
    if policy == "zero":
        positive = [f for f in ("price",) + OHLC_FIELDS if f in required]
        if any(cells.get(f, 0) > 0 for f in positive):
            unfillable = pd.Series(False, index=daily.index)
            for f in positive:
                unfillable = unfillable | nulls[f]
            fail(unfillable, positive,
                 lambda f: "a value; --missing zero cannot fill a price (a price must be > 0): use previous or drop"
                 if f == "price" else
                 f"a value; --missing zero cannot fill {'an' if f == 'open' else 'a'} {f} (it must be > 0): "
                 "use previous or drop")
        filled = daily.copy()
        for f in required:
            if f in ("volume", "marketCap"):
                filled[f] = filled[f].fillna(0.0)
        return filled, report
    filled = daily.copy()
    for f in required:
        filled[f] = filled[f].ffill()
    still = pd.Series(False, index=daily.index)
    for f in required:
        still = still | filled[f].isna()
    if still.any():
        first = filled[still].iloc[0]
        field = next(f for f in required if pd.isna(first[f]))
        raise AssetProblem(f"a value; --missing previous has no earlier {field} to carry forward (it is the first date)",
                           int(first[ROW_ID]), field)
    return filled, report


def fit_asset(pdf: pd.DataFrame, plan: dict) -> Tuple[pd.DataFrame, dict]:
    """One asset's whole pipeline on its rows (file positions, dates, values), as run_pipeline runs a file
    holding only them: sort and dedupe, missing values, features, label, clean-up, the split (docs/split.md,
    replayed), the fit (docs/fit.md, replayed), predictions and summaries. Returns (test rows, report);
    a report with "skipped" gives the reason the asset has too few rows."""
    columns = plan["columns"]
    daily, collapsed = _sorted_deduped(pdf)
    repeated, days = collapsed["count"], len(daily)
    if repeated >= MIN_REPEATED_DAYS_REFUSED and repeated > MAX_REPEATED_DAY_SHARE * days:
        raise AssetProblem(f"one row a day, give or take a repeated date: {repeated} of the {days} days have several "
                           "rows (more than 1%), so this is several assets pasted together or intraday data, not one "
                           "daily series; name the asset column with --columns asset=COL, or use a daily file",
                           column=plan["date_column"])
    daily, missing = _fill_missing_frame(daily, plan)
    daily = daily.reset_index(drop=True)
    days = len(daily)  # the distinct dates the later stages see (--missing drop removes some)
    values, first_defined = feature_values(daily, plan["items"])
    table = pd.DataFrame({"date": daily["date"], **{c: values[c] for c in columns}})
    table["next_price"] = daily["price"].astype("float64").shift(-1)
    finite = {c: np.isfinite(table[c].to_numpy()) for c in columns + ["next_price"]}
    keep = np.logical_and.reduce([finite[c] for c in columns + ["next_price"]])
    sides = [i["column"] for i in plan["items"] if i["fn"] in TREND_SIDE_FUNCTIONS]
    dropped_for_psar = 0
    if sides:
        others = np.logical_and.reduce([finite[c] for c in columns if c not in sides] + [finite["next_price"]])
        every_side = np.logical_and.reduce([finite[c] for c in sides])
        dropped_for_psar = int((others & ~every_side).sum())
    cleaned = table[keep].reset_index(drop=True)
    n = len(cleaned)
    inconsistent = int(pdf["__ohlc_inconsistent"].sum()) if plan["ohlc_counted"] else 0
    base = {"input": {"rowsRead": int(len(pdf)), "duplicateDatesCollapsed": collapsed, "missing": missing,
                      "ohlcInconsistentRows": inconsistent}}
    if n < MIN_ROWS_TO_FIT_AND_TEST:
        return None, {**base, "skipped": "too few rows: expected " + too_few_rows_message(first_defined, columns, days, n)}
    roles = (bernoulli_cell_split(n, plan["train_ratio"], plan["seed"]) if plan["split"] == "random"
             else time_split_roles(n, plan["train_ratio"]))
    train = cleaned[[r == ROLE_TRAIN for r in roles]]
    test = cleaned[[r == ROLE_TEST for r in roles]]
    min_train = len(columns) + 2
    if len(train) < min_train or len(test) < 1:
        seed_text = f", seed {plan['seed']}" if plan["split"] == "random" else ""
        return None, {**base, "skipped": (
            f"too few rows: expected a split with at least {min_train} training rows and 1 test row; the {plan['split']} split "
            f"(train ratio {_js_number(plan['train_ratio'])}{seed_text}) of {n} rows gave {len(train)} train "
            f"and {len(test)} test (use more data or another ratio/seed)")}
    train_features = [train[c].tolist() for c in columns]
    test_features = [test[c].tolist() for c in columns]
    try:
        fitted = wls_fit(train_features, train["next_price"].tolist(), plan["reg_param"], plan["elastic_net"])
    except FitOverflow as error:
        raise AssetProblem(str(error))
    train_prediction = linear_predict(fitted["coefficients"], fitted["intercept"], train_features)
    test_prediction = linear_predict(fitted["coefficients"], fitted["intercept"], test_features)
    training = training_summary(fitted, train_prediction, train["next_price"].tolist(), len(columns))
    metrics = regression_metrics(test_prediction, test["next_price"].tolist())
    report = {
        **base,
        "rows": {"afterDedupe": int(days), "afterDropNulls": int(n), "train": int(len(train)), "test": int(len(test)),
                 "droppedForPsar": dropped_for_psar},
        "model": {"featureNames": list(columns), "coefficients": _numbers(fitted["coefficients"]),
                  "intercept": _number(fitted["intercept"]), "solver": fitted["solver"],
                  "regParam": float(plan["reg_param"]), "elasticNetParam": float(plan["elastic_net"])},
        "training": training,
        "test": {"numInstances": metrics["numInstances"], "rootMeanSquaredError": _number(metrics["rootMeanSquaredError"]),
                 "meanAbsoluteError": _number(metrics["meanAbsoluteError"]), "r2": _number(metrics["r2"])},
    }
    predictions = test.reset_index(drop=True).copy()
    predictions["prediction"] = test_prediction
    return predictions, report


ASSET = "asset"
KIND = "__kind"
REPORT = "__report"


def grouped_fit(plan: dict, schema: StructType):
    """The function applyInPandas runs once per asset: test rows (kind "row") and one report row (kind "report",
    the asset's report or its bad input as JSON). Nothing in it touches Spark."""
    names = [field.name for field in schema.fields]

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        asset = str(pdf[ASSET].iloc[0])
        try:
            predictions, report = fit_asset(pdf, plan)
        except AssetProblem as problem:
            predictions, report = None, {"error": problem.problem}
        count = 0 if predictions is None else len(predictions)
        out = {name: [None] * (count + 1) for name in names}
        for name in names:
            if predictions is not None and name in predictions.columns:
                out[name][:count] = predictions[name].tolist()
        out[ASSET] = [asset] * (count + 1)
        out[KIND] = ["row"] * count + ["report"]
        out[REPORT][count] = json.dumps(report, allow_nan=True)
        return pd.DataFrame(out, columns=names)
    return run


class UsageRefused(Exception):
    """A combination of settings the job does not run (one line, exit 2)."""


def select_assets(path: str, layout: dict, wanted: Optional[List[str]]) -> Optional[List[str]]:
    """The engine's splitAssets choice: every asset of the file, or the --assets names (each must be there), in
    name order; None for a file without an asset column."""
    names = layout.get("assets")
    if names is None:
        if wanted:
            raise BadInput(path, 0, None, None, "an asset column for --assets to choose from; this file has none "
                                                "(name it with --columns asset=COL)")
        return None
    if not wanted:
        return sorted(names)
    found = set(names)
    unknown = [name for name in wanted if name not in found]
    if unknown:
        ordered = sorted(names)
        listed = ", ".join(ordered[:ASSETS_LISTED]) + (
            f", \u2026 {len(ordered) - ASSETS_LISTED} more" if len(ordered) > ASSETS_LISTED else "")
        which = "this one is" if len(unknown) == 1 else f"{len(unknown)} are"
        raise BadInput(path, 0, layout["columns"]["asset"] or "asset", unknown[0],
                       f"--assets to name assets of this file; {which} not in it (found {len(names)}: {listed})")
    return sorted(dict.fromkeys(wanted))


def run_panel(spark: SparkSession, input_path: str, output: str, *, rows: DataFrame, rows_read: int, sha256: str,
              layout: dict, chosen: List[str], wanted: Optional[List[str]], items: List[dict], ingest: IngestOptions,
              seed: int, split: str, train_ratio: float, reg_param: float, elastic_net: float) -> dict:
    """A panel (docs/parity.md#panels): every chosen asset through fit_asset as one grouped map, the test rows
    written in Spark's partitionBy("asset") layout, one _model.json listing each asset's model."""
    columns = [item["column"] for item in items]
    asset_column = layout["columns"]["asset"] or "asset"
    check_feature_inputs(items, rows.columns, input_path, layout["read"])
    plan = {"items": items, "columns": columns, "seed": seed, "split": split, "train_ratio": train_ratio,
            "reg_param": reg_param, "elastic_net": elastic_net, "missing": ingest.missing,
            "missing_fields": [f for f in NUMERIC_FIELDS if f in ingest.required and layout["at"][f] != -1],
            "date_column": layout.get("date_column", "date")}
    schema = StructType([StructField(ASSET, StringType()), StructField(KIND, StringType()),
                         StructField("date", DateType()),
                         *[StructField(c, DoubleType()) for c in columns + ["next_price", "prediction"]],
                         StructField(REPORT, StringType())])
    values = [f for f in ("price", "volume", "marketCap") + OHLC_FIELDS if f in rows.columns]
    plan["ohlc_counted"] = "__ohlc_inconsistent" in rows.columns and layout["at"]["open"] != -1
    source = rows.where(F.col("__asset").isin(chosen)).select(
        F.col(ROW_ID), F.col("__asset").alias(ASSET), "date", "__seconds", *values,
        *(["__ohlc_inconsistent"] if plan["ohlc_counted"] else []))
    if __name__ != "__main__":
        # Imported (test/py/job_batch.py runs the job so): the Python workers cannot import this module by
        # name, so the group's function and everything it calls travel by value, as a script's do.
        from pyspark import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    results = source.groupBy(ASSET).applyInPandas(grouped_fit(plan, schema), schema).cache()
    reports = {r[ASSET]: json.loads(r[REPORT]) for r in results.where(F.col(KIND) == "report").collect()}
    assets, skipped = [], []
    for asset in chosen:
        report = reports[asset]
        if "error" in report:
            problem = report["error"]
            if problem["rowId"] is not None:
                line, cell = layout["locate"](problem["rowId"], problem["field"])
                raise BadInput(input_path, line, layout["columns"][problem["field"]], cell, problem["expected"])
            raise BadInput(input_path, 0, problem["column"], None, problem["expected"])
    for asset in chosen:
        report = reports[asset]
        if "skipped" in report:
            if wanted and asset in wanted:
                # --assets named it: too few rows is then bad input (the engine's panelPipeline.ts).
                raise BadInput(input_path, 0, asset_column, asset, report["skipped"][len("too few rows: expected "):])
            skipped.append({"asset": asset, "reason": report["skipped"]})
        else:
            assets.append({"asset": asset, "rows": report["rows"], "input": report["input"], "model": report["model"],
                           "training": report["training"], "test": report["test"]})
    if not assets:
        raise BadInput(input_path, 0, None, None,
                       f"at least one asset with enough rows to fit and test; all {len(chosen)} were skipped "
                       f"({skipped[0]['asset']}: {skipped[0]['reason']})")
    for entry in skipped:
        print_error(spark, f"skipped asset {entry['asset']}: {entry['reason']}")
    report = {
        "tool": "pricecast",
        "engine": "pyspark",
        "input": {"file": posixpath.basename(input_path.rstrip("/")), "sha256": sha256, "rowsRead": rows_read,
                  "layout": layout["read"], "assetColumn": asset_column,
                  "assetsInFile": len(layout.get("assets") or [None])},
        "seed": seed,
        "split": split,
        "trainRatio": train_ratio,
        "features": columns,
        "featureSpecs": [{**item, "args": _json_args(item["args"])} for item in items],
        "assets": assets,
        "skipped": skipped,
    }
    predictions = results.where(F.col(KIND) == "row").select(ASSET, "date", *columns, "next_price", "prediction")
    written = write_spark_output(spark, predictions, report, output, partition_by=ASSET)
    print(f"read {rows_read} rows from {report['input']['file']}: {len(chosen)} assets, {len(assets)} fitted, "
          f"{len(skipped)} skipped; {split} split (train ratio {train_ratio}, seed {seed})\nwrote {written}", flush=True)
    results.unpersist()
    return report


def run_pipeline(spark: SparkSession, input_path: str, output: str, seed: int, split: str,
                 train_ratio: float, features: str = DEFAULT_FEATURE_SPEC,
                 ingest: Optional[IngestOptions] = None, reg_param: float = 0.0, elastic_net: float = 0.0,
                 assets: Optional[List[str]] = None, as_panel: Optional[str] = None) -> dict:
    """The whole job. Raises FeatureSpecError or BadInput before anything is written.

    A file whose asset column names several assets (or any file, with `as_panel`: a file without an asset
    column is then one asset of that name) goes to run_panel; `assets` (--assets) chooses some.
    """
    items = parse_feature_spec(features)
    ingest = ingest or IngestOptions()
    ingest.required = required_inputs(items)
    ingest.ohlc_for = next((format_feature_item(i) for i in items if needs_ohlc(i)), None)
    ingest.market_cap_optional = features == DEFAULT_FEATURE_SPEC
    columns = [item["column"] for item in items]
    min_train_rows = len(columns) + 2  # the fit needs degrees of freedom n - p - 1 >= 1
    check_output_replaceable(HadoopFs(spark, output))  # fail before the work, not after it
    read = read_input_rows(spark, input_path, ingest)
    layout = read[3]
    chosen = select_assets(input_path, layout, assets)
    if len(layout.get("assets") or []) > 1 or as_panel is not None:
        if not layout["at"]["marketCap"] != -1 and features == DEFAULT_FEATURE_SPEC:
            items = [item for item in items if item["fn"] != "marketCap"]  # docs/input.md#no-market-cap
        rows = layout.get("asset_rows")
        if rows is None:
            rows, chosen = read[0].withColumn("__asset", F.lit(as_panel)), [as_panel]
        return run_panel(spark, input_path, output, rows=rows, rows_read=read[1], sha256=read[2], layout=layout,
                         chosen=chosen, wanted=assets, items=items, ingest=ingest, seed=seed, split=split,
                         train_ratio=train_ratio, reg_param=reg_param, elastic_net=elastic_net)
    daily, rows_read, sha256, collapsed, input_facts = prepare_daily(spark, input_path, read, ingest)
    if not ingest.has_market_cap and features == DEFAULT_FEATURE_SPEC:
        # A layout without market cap: the default features without it (docs/input.md#no-market-cap).
        items = [item for item in items if item["fn"] != "marketCap"]
        columns = [item["column"] for item in items]
        min_train_rows = len(columns) + 2
    daily = daily.cache()
    distinct_dates = daily.count()
    check_feature_inputs(items, daily.columns, input_path, input_facts.get("layout", "pricecast"))
    labelled, first_defined = compute_features(spark, daily, items)
    labelled = next_price(labelled)
    dropped_for_psar = psar_dropped_rows(labelled, items)
    cleaned = drop_nulls(labelled, columns)
    frame = assemble_features(cleaned, columns)
    n = frame.count()
    if n < MIN_ROWS_TO_FIT_AND_TEST:
        raise BadInput(input_path, 0, None, None, too_few_rows_message(first_defined, columns, distinct_dates, n))
    if split == "random":
        train, test = random_split(frame, train_ratio, seed)
    else:
        train, test = time_split(frame, train_ratio)
    train, test = train.cache(), test.cache()
    train_count, test_count = train.count(), test.count()
    if train_count < min_train_rows or test_count < 1:
        seed_text = f", seed {seed}" if split == "random" else ""
        raise BadInput(input_path, 0, None, None,
                       f"a split with at least {min_train_rows} training rows and 1 test row; the {split} split "
                       f"(train ratio {_js_number(train_ratio)}{seed_text}) of {n} rows gave {train_count} train "
                       f"and {test_count} test (use more data or another ratio/seed)")
    model = fit(train, reg_param, elastic_net)
    report = model_report(
        model, test, input_file=posixpath.basename(input_path.rstrip("/")), sha256=sha256, rows_read=rows_read,
        collapsed=collapsed, seed=seed, split=split, train_ratio=train_ratio,
        rows={"afterDedupe": int(distinct_dates), "afterDropNulls": int(n), "train": int(train_count),
              "test": int(test_count), "droppedForPsar": int(dropped_for_psar)}, items=items, reg_param=reg_param, elastic_net=elastic_net)
    report["input"].update(input_facts)
    written = write_spark_output(spark, predict(model, test, columns), report, output)
    print_summary(report, written)
    return report


def too_few_rows_message(first_defined: dict, columns: List[str], distinct: int, rows_left: int) -> str:
    """The engine's tooFewRowsMessage (src/engine/pipeline.ts): the dates the spec's warm-up needs, or the
    feature that has no value at all."""
    warm_up = 0
    for name in columns:
        if first_defined.get(name) is None:
            return (f"every feature to have values: {name} is null, NaN or \u00b1inf on all {distinct} dates (too few "
                    "dates for its warm-up, or arguments that leave it undefined)")
        warm_up = max(warm_up, first_defined[name])
    others = distinct - rows_left - warm_up - 1
    return (f"at least {warm_up + 1 + MIN_ROWS_TO_FIT_AND_TEST} distinct dates ({warm_up} warm-up rows, 1 row without "
            f"a next price, {MIN_ROWS_TO_FIT_AND_TEST} to fit and test), found {distinct}"
            + (f"; {others} more rows were dropped where a feature is NaN or \u00b1inf" if others > 0 else ""))


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it for ordinary values (0.7, not 0.7000; 1, not 1.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def print_summary(report: dict, written: str) -> None:
    rows, training, test, model = report["rows"], report["training"], report["test"], report["model"]
    collapsed = report["input"]["duplicateDatesCollapsed"]
    lines = [
        f"read {report['input']['rowsRead']} rows from {report['input']['file']}; "
        f"{rows['afterDedupe']} distinct dates"
        + (f" ({collapsed['count']} repeated, last row kept: {', '.join(collapsed['first'][:10])}"
           f"{', ...' if collapsed['count'] > 10 else ''})" if collapsed["count"] else ""),
        f"{rows['afterDropNulls']} rows after feature warm-up and the last day; {report['split']} split "
        f"(train ratio {report['trainRatio']}, seed {report['seed']}): {rows['train']} train, {rows['test']} test"
        + (f"; {rows['droppedForPsar']} of the rows dropped only for psar_up/psar_down (NaN by design on the other "
           "trend's days)" if rows.get("droppedForPsar") else ""),
        "coefficients: " + ", ".join(f"{n}={c!r}" for n, c in zip(model["featureNames"], model["coefficients"]))
        + f"; intercept={model['intercept']!r} (solver {model['solver']})",
        f"training: r2={training['r2']!r} rmse={training['rootMeanSquaredError']!r} "
        f"mae={training['meanAbsoluteError']!r}",
        f"test: r2={test['r2']!r} rmse={test['rootMeanSquaredError']!r} mae={test['meanAbsoluteError']!r}",
        f"wrote {written}",
    ]
    print("\n".join(lines), flush=True)


def print_error(spark: SparkSession, message: str) -> None:
    """One line on the stderr of the spark-submit process.

    Not Python's sys.stderr: under spark-submit the Python driver is a child of the JVM, which merges the
    child's stderr into its own STDOUT (PythonRunner's redirectErrorStream). The JVM's System.err is the
    process's real stderr, locally and in an EMR step's stderr log alike.
    """
    try:
        err = spark.sparkContext._jvm.System.err
        err.println(message)
        err.flush()
    except Exception:  # no gateway (should not happen once the session exists): best effort
        print(message, file=sys.stderr, flush=True)


# --- forecast: the days after the last one (docs/forecast.md; the engine's src/forecast/) -----------------------

FORECAST_MAX_HORIZON = 366
FORECAST_DEFAULT_LEVELS = (0.8, 0.95)
FORECAST_FILE = "_forecast.json"
FORECAST_STALE_AFTER_DAYS = 2


def conformal_rank(n: int, level: float) -> int:
    """docs/forecast.md#intervals: k = ceil((n + 1)·L − 1e-9), in double precision; k > n: too few scores."""
    return math.ceil((n + 1) * level - 1e-9)


def scores_needed(level: float) -> int:
    n = 1
    while conformal_rank(n, level) > n:
        n += 1
    return n


def level_suffix(level: float) -> str:
    """lower_80, upper_97p5: L·100 rounded to 6 decimals, trailing zeros dropped, '.' written 'p'."""
    text = f"{level * 100:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", "p")


def interval_history(forecast, actual, price, h: int, level: float, window: Optional[int]) -> dict:
    """docs/forecast.md#intervals: the rule replayed over the walk-forward origins (the engine's intervalHistory)."""
    import bisect
    T = len(forecast)
    scores = [abs(forecast[t] - actual[t]) / price[t] for t in range(T)]
    known_sorted: List[float] = []
    start = 0
    origins = covered = 0
    sum_width = sum_score = 0.0
    penalty = 2 / (1 - level)
    for i in range(T):
        known = i - h + 1
        if known <= 0:
            continue
        bisect.insort(known_sorted, scores[known - 1])
        if window is not None and known - start > window:
            known_sorted.pop(bisect.bisect_left(known_sorted, scores[start]))
            start += 1
        k = conformal_rank(len(known_sorted), level)
        if k > len(known_sorted) or k < 1:
            continue
        half = known_sorted[k - 1] * price[i]
        lower, upper = max(0.0, forecast[i] - half), forecast[i] + half
        y = actual[i]
        origins += 1
        if lower <= y <= upper:
            covered += 1
        sum_width += (upper - lower) / price[i]
        miss = lower - y if y < lower else (y - upper if y > upper else 0.0)
        sum_score += (upper - lower + penalty * miss) / price[i]
    nan = float("nan")
    return {"level": level, "origins": origins, "coverage": covered / origins if origins else nan,
            "width": sum_width / origins if origins else nan, "score": sum_score / origins if origins else nan}


def diebold_mariano(e: List[float], eb: List[float], h: int) -> Optional[dict]:
    """docs/forecast.md#track-record: DM against persistence at horizon h (HLN correction, Student t)."""
    from scipy.stats import t as student_t
    T = len(e)
    d = [e[t] * e[t] - eb[t] * eb[t] for t in range(T)]
    mean = sum(d) / T if T else float("nan")
    gamma0 = sum((x - mean) * (x - mean) for x in d) / T if T else float("nan")
    if T < 2 or not gamma0 > 0:
        return {"statistic": float("nan"), "pValue": float("nan")}
    variance, fallback = gamma0, False
    if h > 1:
        gammas = sum(sum((d[t] - mean) * (d[t - k] - mean) for t in range(k, T)) / T for k in range(1, min(h, T)))
        variance = gamma0 + 2 * gammas
        if not variance > 0:
            variance, fallback = gamma0, True
    statistic = mean / math.sqrt(variance / T) * math.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T)
    result = {"statistic": statistic, "pValue": float(2 * student_t.cdf(-abs(statistic), T - 1))}
    if fallback:
        result["varianceFallback"] = True
    return result


def forecast_metrics(forecast, actual, price, baseline, h: int, train_prices) -> dict:
    """The experiment's metrics of a walk-forward (docs/experiment.md#metrics) plus mase and rmsse."""
    T = len(forecast)
    e = [forecast[t] - actual[t] for t in range(T)]
    mse = sum(x * x for x in e) / T
    mae = sum(abs(x) for x in e) / T
    mean_actual = sum(actual) / T
    moved = [t for t in range(T) if actual[t] != price[t]]
    right = sum(1 for t in moved if np.sign(forecast[t] - price[t]) == np.sign(actual[t] - price[t]))
    result = {"rmse": math.sqrt(mse), "mae": mae, "mape": sum(abs(e[t]) / abs(actual[t]) for t in range(T)) / T,
              "r2": 1 - sum(x * x for x in e) / sum((y - mean_actual) ** 2 for y in actual),
              "directionalAccuracy": right / len(moved) if moved else float("nan")}
    if baseline is None:
        result["skill"], result["dm"] = 0.0, None
    else:
        eb = [baseline[t] - actual[t] for t in range(T)]
        result["skill"] = 1 - mse / (sum(x * x for x in eb) / T)
        result["dm"] = diebold_mariano(e, eb, h)
    steps = [train_prices[i] - train_prices[i - 1] for i in range(1, len(train_prices))]
    if steps:
        result["mase"] = mae / (sum(abs(s) for s in steps) / len(steps))
        result["rmsse"] = math.sqrt(mse) / math.sqrt(sum(s * s for s in steps) / len(steps))
    else:
        result["mase"] = result["rmsse"] = float("nan")
    return result


def forecast_usable_rows(spark: SparkSession, daily: DataFrame, items: List[dict], as_of: Optional[str],
                         horizon: int) -> DataFrame:
    """docs/forecast.md#rows-and-labels: the series cut after --as-of, the features, the price h rows ahead
    (lead over the whole cut series, before any row is dropped), then the usable rows numbered 0 … N − 1."""
    if as_of is not None:
        daily = daily.where(F.col("date") <= F.to_date(F.lit(as_of)))
    labelled, _ = compute_features(spark, daily, items)
    columns = [item["column"] for item in items]
    order = Window.orderBy("date")
    for h in range(1, horizon + 1):
        labelled = labelled.withColumn(f"__ahead_{h}", F.lead("price", h).over(order))
    usable = labelled.dropna(subset=columns)
    for name in columns:
        usable = usable.where(F.abs(F.col(name)) < float("inf"))
    usable = usable.withColumn("__row", F.row_number().over(order) - 1)
    return VectorAssembler(inputCols=columns, outputCol="features").transform(usable).cache()


def forecast_horizon(frame: DataFrame, h: int, o: int, train_ratio: float, refit_every: int, target: str,
                     price: List[float], ahead: List[float], reg_param: float = 0.0, elastic_net: float = 0.0) -> dict:
    """docs/forecast.md#the-forecast and #track-record: the walk-forward of horizon h (refits as a loop on the
    driver) and the fit of every row whose label is known at o, applied to row o."""
    label = f"__label_{h}"
    labelled = frame.withColumn(label, F.col(f"__ahead_{h}") if target == "price"
                                else F.col(f"__ahead_{h}") / F.col("price") - 1)
    as_price = (lambda m, p: m) if target == "price" else (lambda m, p: p * (1 + m))

    def fit_rows(last_row: int) -> LinearRegressionModel:
        return LinearRegression(featuresCol="features", labelCol=label, regParam=reg_param,
                                elasticNetParam=elastic_net).fit(labelled.where(F.col("__row") <= last_row))

    def predictions(model, first: int, end: int) -> List[float]:
        rows = model.transform(labelled.where((F.col("__row") >= first) & (F.col("__row") < end))) \
            .select("__row", "prediction").orderBy("__row").collect()
        return [as_price(r["prediction"], price[r["__row"]]) for r in rows]

    M = o - h + 1
    s0 = math.floor(M * train_ratio)
    last = o - h
    history: List[float] = []
    for s in range(s0, last + 1, refit_every):
        end = min(s + refit_every, last + 1)
        history.extend(predictions(fit_rows(s - h), s, end))
    model = fit_rows(M - 1)
    forecast = predictions(model, o, o + 1)[0]
    return {"firstOrigin": s0, "history": history, "actual": ahead[s0:last + 1], "price": price[s0:last + 1],
            "forecast": forecast,
            "model": {"coefficients": [float(c) for c in model.coefficients], "intercept": float(model.intercept),
                      "fittedRows": M}}


def forecast_too_short(N: int, origin: Optional[str], p: int, horizon: int, train_ratio: float, levels: List[float],
                       calibration_window: Optional[int], first_day: Optional[str], as_of: Optional[str]) -> Optional[str]:
    """Why N usable rows up to the origin cannot carry the forecast asked (the `expected` of a one-line refusal),
    or None: no usable row; fewer than p + 2 rows in some horizon's first walk-forward window; fewer walk-forward
    scores than a level needs (docs/forecast.md#bad-input). All of it follows from the row count, so a panel
    knows which assets to skip before fitting any (docs/forecast.md#panels)."""
    if N == 0:
        why = (f"--as-of {as_of} is before the first row ({first_day})"
               if as_of is not None and first_day is not None and first_day > as_of
               else f"--as-of {as_of or ''} leaves no row where every feature has a value")
        return "a usable row on or before the origin: " + ("no row has every feature" if as_of is None else why)
    o = N - 1
    for h in range(1, horizon + 1):
        M = o - h + 1
        first_window = math.floor(M * train_ratio) - h + 1
        if first_window < p + 2:
            return (f"at least {p + 2} fitting rows for {p} features at horizon {h}: {N} usable rows up to "
                    f"{origin} leave {max(0, M)} with a known label and {max(0, first_window)} in "
                    f"the first walk-forward window (train ratio {_js_number(train_ratio)})")
    for h in range(1, horizon + 1):
        M = o - h + 1
        scores = M - math.floor(M * train_ratio)
        calibration = scores if calibration_window is None else min(calibration_window, scores)
        for level in levels:
            if conformal_rank(calibration, level) > calibration:
                window_text = "" if calibration_window is None else f" (--calibration-window {calibration_window})"
                return (f"a history long enough for a {_js_number(level)} interval at horizon {h}: "
                        f"{scores_needed(level)} walk-forward scores are needed, {calibration} are "
                        f"available{window_text}")
    return None


def replay_horizon(features: List[List[float]], price: List[float], ahead: List[float], h: int, train_ratio: float,
                   refit_every: int, target: str, reg_param: float, elastic_net: float) -> dict:
    """forecast_horizon inside a group, where Spark ML cannot run: the same walk-forward and final fit on usable
    rows 0 … o (feature columns, prices, the price h rows ahead), each fit the replayed WeightedLeastSquares of
    its rows from scratch (wls_fit: docs/fit.md) and each forecast Spark's dot product (linear_predict)."""
    o = len(price) - 1
    M = o - h + 1
    s0 = math.floor(M * train_ratio)
    label = list(ahead) if target == "price" else [ahead[i] / price[i] - 1 for i in range(len(price))]

    def as_price(m: float, p: float) -> float:
        return m if target == "price" else p * (1 + m)

    def fit_rows(end: int) -> dict:
        try:
            return wls_fit([column[:end] for column in features], label[:end], reg_param, elastic_net)
        except FitOverflow as error:
            raise AssetProblem(str(error))

    def outputs(fitted: dict, first: int, end: int) -> List[float]:
        return linear_predict(fitted["coefficients"], fitted["intercept"], [column[first:end] for column in features])

    history: List[float] = []
    for s in range(s0, M, refit_every):
        end = min(s + refit_every, M)
        history.extend(as_price(m, price[s + i]) for i, m in enumerate(outputs(fit_rows(s - h + 1), s, end)))
    model = fit_rows(M)
    return {"firstOrigin": s0, "history": history, "actual": list(ahead[s0:M]), "price": list(price[s0:M]),
            "forecast": as_price(outputs(model, o, o + 1)[0], price[o]),
            "model": {"coefficients": [float(c) for c in model["coefficients"]], "intercept": float(model["intercept"]),
                      "fittedRows": M}}


def horizon_entry(result: dict, h: int, dates: list, price: List[float], levels: List[float],
                  calibration_window: Optional[int]) -> dict:
    """One horizon of _forecast.json from its walk-forward (docs/forecast.md#intervals, #track-record): the
    conformal bounds from its scores, the track record, the target date. The row count was checked before
    (forecast_too_short), so every level has enough scores."""
    from datetime import timedelta
    o = len(price) - 1
    f, y, at = result["history"], result["actual"], result["price"]
    scores = [abs(f[t] - y[t]) / at[t] for t in range(len(f))]
    calibration = scores if calibration_window is None else scores[max(0, len(scores) - calibration_window):]
    ordered = sorted(calibration)
    bounds = []
    for level in levels:
        width = ordered[conformal_rank(len(ordered), level) - 1]
        half = width * price[o]
        bounds.append({"level": level, "lower": max(0.0, result["forecast"] - half),
                       "upper": result["forecast"] + half, "width": width})
    s0 = result["firstOrigin"]
    last = s0 + len(f) - 1
    record = {
        "horizon": h, "origins": len(f), "trainRows": s0,
        "firstOriginDate": dates[s0].isoformat() if f else None,
        "lastOriginDate": dates[last].isoformat() if f else None,
        "metrics": forecast_metrics(f, y, at, at, h, price[:s0]),
        "intervals": [interval_history(f, y, at, h, level, calibration_window) for level in levels],
        "persistence": {"metrics": forecast_metrics(at, y, at, None, h, price[:s0]),
                        "intervals": [interval_history(at, y, at, h, level, calibration_window) for level in levels]},
    }
    return {"horizon": h, "targetDate": (dates[o] + timedelta(days=h)).isoformat(), "forecast": result["forecast"],
            "bounds": bounds, "model": result["model"], "trackRecord": record}


def check_forecast_partition(target: HadoopFs) -> None:
    """The engine's replace rule for a partition (src/forecast/partition.ts): absent, empty, or an earlier
    forecast partition (part files, _forecast.json saying command "forecast", their .crc)."""
    fs, path = target.fs, target.path
    if not fs.exists(path):
        return
    entries = fs.listStatus(path)
    foreign = sorted(s.getPath().getName() for s in entries if not FORECAST_PARTITION_FILE.match(s.getPath().getName())
                     or not s.isFile())
    if foreign:
        raise OutputRefused(f"{path.toString()} exists and is not a pricecast forecast output (it also holds "
                            f"{', '.join(foreign[:3])}); refusing to replace it")
    if len(entries) == 0:
        return
    marker = target.child(FORECAST_FILE)
    try:
        earlier = json.loads(target.read_text(marker)) if fs.exists(marker) else None
    except ValueError:
        earlier = None
    if not isinstance(earlier, dict) or earlier.get("tool") != "pricecast" or earlier.get("command") != "forecast":
        raise OutputRefused(f"{path.toString()} exists and is not a pricecast forecast output; refusing to replace it")


_FORECAST_PARTITION_NAME = (r"(?:part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                            r"(?:\.c\d{3}|-c\d{3})?\.snappy\.parquet|_forecast\.json)")
FORECAST_PARTITION_FILE = re.compile(rf"^(?:{_FORECAST_PARTITION_NAME}|\.{_FORECAST_PARTITION_NAME}\.crc)$")


def forecast_table_schema(levels: List[float]) -> StructType:
    """docs/forecast.md#the-forecast-table: horizon, target_date, last_price, forecast, the bounds, set, and
    origin_date, the partition column (the folder's name, not a column of the file)."""
    from pyspark.sql.types import IntegerType
    return StructType([StructField("horizon", IntegerType()), StructField("target_date", DateType()),
                       StructField("last_price", DoubleType()), StructField("forecast", DoubleType()),
                       *[StructField(f"{side}_{level_suffix(level)}", DoubleType())
                         for level in levels for side in ("lower", "upper")],
                       StructField("set", StringType()), StructField("origin_date", DateType())])


def write_forecast_partition(spark: SparkSession, table: DataFrame, document: dict, output: str,
                             partition: HadoopFs) -> None:
    """docs/forecast.md#replacing-a-day: the table's rows by Spark's dynamic partition overwrite (only the origin's
    partition is replaced), then its _forecast.json, then the table's _SUCCESS."""
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    table.write.mode("overwrite").partitionBy("origin_date").parquet(output)
    body = json.dumps(document, indent=2, allow_nan=True).replace("NaN", "null") + "\n"
    partition.write_bytes(partition.child(FORECAST_FILE), body.encode("utf-8"))
    # Spark's dynamic overwrite leaves no _SUCCESS at the table's root; the layout has one, written last.
    table_root = HadoopFs(spark, output)
    table_root.write_bytes(table_root.child("_SUCCESS"), b"")


def forecast_set(set_name: str, items: List[dict], target: str, reg_param: Optional[float],
                 elastic_net: Optional[float]) -> dict:
    """The set as _forecast.json names it (λ and α only when given)."""
    return {"name": set_name, "features": [format_feature_item(i) for i in items], "target": target,
            **({"regParam": reg_param or 0.0, "elasticNet": elastic_net or 0.0}
               if reg_param is not None or elastic_net is not None else {})}


def run_forecast(spark: SparkSession, input_path: str, output: str, *, features: str, set_name: str,
                 target: str, horizon: int, levels: List[float], calibration_window: Optional[int],
                 train_ratio: float, refit_every: int, as_of: Optional[str],
                 ingest: Optional[IngestOptions] = None, reg_param: Optional[float] = None,
                 elastic_net: Optional[float] = None, assets: Optional[List[str]] = None) -> dict:
    """`forecast` (docs/forecast.md): one partition origin_date=… of the table in OUTPUT, written by Spark's dynamic
    partition overwrite (only this origin's partition is replaced), then its _forecast.json. A file whose asset
    column names several assets goes to run_panel_forecast (docs/forecast.md#panels); `assets` (--assets)
    chooses some."""
    items = parse_feature_spec(features)
    ingest = ingest or IngestOptions()
    ingest.required = required_inputs(items)
    ingest.ohlc_for = next((format_feature_item(i) for i in items if needs_ohlc(i)), None)
    read = read_input_rows(spark, input_path, ingest)
    layout = read[3]
    chosen = select_assets(input_path, layout, assets)
    if len(layout.get("assets") or []) > 1:
        return run_panel_forecast(
            spark, input_path, output, rows=layout["asset_rows"], rows_read=read[1], sha256=read[2], layout=layout,
            chosen=chosen, wanted=assets, items=items, ingest=ingest, set_name=set_name, target=target,
            horizon=horizon, levels=levels, calibration_window=calibration_window, train_ratio=train_ratio,
            refit_every=refit_every, as_of=as_of, reg_param=reg_param, elastic_net=elastic_net)
    daily, rows_read, sha256, _collapsed, input_facts = prepare_daily(spark, input_path, read, ingest)
    first_day = daily.agg(F.min("date")).first()[0]
    frame = forecast_usable_rows(spark, daily, items, as_of, horizon)
    aheads = [f"__ahead_{h}" for h in range(1, horizon + 1)]
    rows = frame.select("__row", "date", "price", *aheads).orderBy("__row").collect()
    N = len(rows)
    short = forecast_too_short(N, rows[-1]["date"].isoformat() if rows else None, len(items), horizon, train_ratio,
                               levels, calibration_window, first_day.isoformat() if first_day is not None else None,
                               as_of)
    if short is not None:
        raise BadInput(input_path, 0, None, None, short)
    o = N - 1
    price = [float(r["price"]) for r in rows]
    dates = [r["date"] for r in rows]
    origin = dates[o]
    partition = HadoopFs(spark, output.rstrip("/") + f"/origin_date={origin.isoformat()}")
    check_forecast_partition(partition)

    horizons, table = [], []
    for h in range(1, horizon + 1):
        ahead = [float("nan") if r[f"__ahead_{h}"] is None else float(r[f"__ahead_{h}"]) for r in rows]
        result = forecast_horizon(frame, h, o, train_ratio, refit_every, target, price, ahead,
                                  reg_param or 0.0, elastic_net or 0.0)
        entry = horizon_entry(result, h, dates, price, levels, calibration_window)
        horizons.append(entry)
        table.append((h, date_of(entry["targetDate"]), price[o], entry["forecast"],
                      *[v for b in entry["bounds"] for v in (b["lower"], b["upper"])], set_name, origin))
    document = {
        "tool": "pricecast", "command": "forecast", "originDate": origin.isoformat(), "lastPrice": price[o],
        "input": {"file": posixpath.basename(input_path.rstrip("/")), "sha256": sha256, "rowsRead": rows_read},
        "set": forecast_set(set_name, items, target, reg_param, elastic_net),
        "asOf": as_of, "trainRatio": train_ratio, "refitEvery": refit_every,
        "calibrationWindow": calibration_window, "levels": levels, "rows": N, "horizons": horizons,
    }
    table_frame = spark.createDataFrame(table, forecast_table_schema(levels)).coalesce(1)
    write_forecast_partition(spark, table_frame, document, output, partition)
    print(f"pricecast forecast (reference job): {set_name} from {origin.isoformat()}, horizons 1-{horizon}, "
          f"wrote {partition.path.toString()}")
    return document


def date_of(text: str):
    """A YYYY-MM-DD text as the date a DateType column takes."""
    from datetime import date
    return date.fromisoformat(text)


# --- forecast on a panel: one grouped map per pass over the assets (docs/forecast.md#panels) -----------------------
#
# As for predict's panels (pyspark/README.md#panels), the per-asset work is `groupBy("asset").applyInPandas`, never
# a loop on the driver, and Spark ML cannot run inside a group: each fit is wls_fit, each forecast linear_predict.
# Two passes: the first finds every asset's last usable day and whether its rows are enough (cheap: features
# only), the driver takes the newest of those days as the run's origin, the second forecasts the assets whose
# last usable day it is.

def forecast_asset_rows(pdf: pd.DataFrame, plan: dict) -> dict:
    """One asset's rows as forecast_usable_rows makes them from a file of its rows alone: sorted and de-duplicated,
    --missing, cut after --as-of, the features, the prices h rows ahead over the cut series, the usable rows."""
    from datetime import date
    daily, collapsed = _sorted_deduped(pdf)
    repeated, days = collapsed["count"], len(daily)
    if repeated >= MIN_REPEATED_DAYS_REFUSED and repeated > MAX_REPEATED_DAY_SHARE * days:
        raise AssetProblem(f"one row a day, give or take a repeated date: {repeated} of the {days} days have several "
                           "rows (more than 1%), so this is several assets pasted together or intraday data, not one "
                           "daily series; name the asset column with --columns asset=COL, or use a daily file",
                           column=plan["date_column"])
    daily, _missing = _fill_missing_frame(daily, plan)
    daily = daily.reset_index(drop=True)
    first_day = daily["date"].iloc[0].isoformat() if len(daily) else None
    if plan["as_of"] is not None:
        daily = daily[daily["date"] <= date.fromisoformat(plan["as_of"])].reset_index(drop=True)
    columns = [item["column"] for item in plan["items"]]
    if len(daily):
        values, _ = feature_values(daily, plan["items"])
        usable = np.logical_and.reduce([np.isfinite(values[c].to_numpy()) for c in columns])
    else:
        values, usable = {c: pd.Series([], dtype="float64") for c in columns}, np.zeros(0, dtype=bool)
    keep = np.flatnonzero(usable)
    price = daily["price"].astype("float64").to_numpy()
    n = len(price)
    return {"first_day": first_day, "dates": [daily["date"].iloc[r] for r in keep],
            "price": [float(price[r]) for r in keep],
            "features": [[float(values[c].iloc[r]) for r in keep] for c in columns],
            "ahead": {h: [float(price[r + h]) if r + h < n else float("nan") for r in keep]
                      for h in range(1, plan["horizon"] + 1)}}


def forecast_asset(pdf: pd.DataFrame, plan: dict) -> Tuple[list, dict]:
    """One asset of a panel, as run_forecast runs a file of its rows alone. Without plan["origin"] (the first
    pass): its last usable day, or why it is too short. With it: every horizon's forecast (replay_horizon,
    horizon_entry), as (rows of the table, the asset's entry of _forecast.json)."""
    rows = forecast_asset_rows(pdf, plan)
    dates, price = rows["dates"], rows["price"]
    N = len(dates)
    short = forecast_too_short(N, dates[-1].isoformat() if N else None, len(plan["items"]), plan["horizon"],
                               plan["train_ratio"], plan["levels"], plan["calibration_window"], rows["first_day"],
                               plan["as_of"])
    if plan["origin"] is None:
        return [], {"short": short} if short is not None else {"lastDay": dates[-1].isoformat()}
    o = N - 1
    horizons, table = [], []
    for h in range(1, plan["horizon"] + 1):
        result = replay_horizon(rows["features"], price, rows["ahead"][h], h, plan["train_ratio"], plan["refit_every"],
                                plan["target"], plan["reg_param"], plan["elastic_net"])
        entry = horizon_entry(result, h, dates, price, plan["levels"], plan["calibration_window"])
        horizons.append(entry)
        table.append({"horizon": h, "target_date": date_of(entry["targetDate"]), "last_price": price[o],
                      "forecast": entry["forecast"],
                      **{f"{side}_{level_suffix(b['level'])}": b[side] for b in entry["bounds"] for side in ("lower", "upper")}})
    return table, {"lastPrice": price[o], "rows": N, "horizons": horizons}


def grouped_forecast(plan: dict, schema: StructType):
    """The function applyInPandas runs once per asset: its table rows (kind "row") and one report row (kind
    "report": forecast_asset's report, or the asset's bad input, as JSON). Nothing in it touches Spark."""
    names = [field.name for field in schema.fields]

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        asset = str(pdf[ASSET].iloc[0])
        try:
            table, report = forecast_asset(pdf, plan)
        except AssetProblem as problem:
            table, report = [], {"error": problem.problem}
        count = len(table)
        out = {name: [None] * (count + 1) for name in names}
        for i, row in enumerate(table):
            for name, value in row.items():
                out[name][i] = value
        out["horizon"][count] = 0
        out[ASSET] = [asset] * (count + 1)
        out[KIND] = ["row"] * count + ["report"]
        out[REPORT][count] = json.dumps(report, allow_nan=True)
        return pd.DataFrame(out, columns=names)
    return run


def run_panel_forecast(spark: SparkSession, input_path: str, output: str, *, rows: DataFrame, rows_read: int,
                       sha256: str, layout: dict, chosen: List[str], wanted: Optional[List[str]], items: List[dict],
                       ingest: IngestOptions, set_name: str, target: str, horizon: int, levels: List[float],
                       calibration_window: Optional[int], train_ratio: float, refit_every: int, as_of: Optional[str],
                       reg_param: Optional[float], elastic_net: Optional[float]) -> dict:
    """docs/forecast.md#panels: every chosen asset forecast from its own rows, all into the partition of one origin
    date (the newest last usable day of the assets); an asset ending earlier or too short is skipped with its
    reason, unless --assets named it (then bad input). One row per asset and horizon, `asset` first."""
    from pyspark.sql.types import IntegerType
    asset_column = layout["columns"]["asset"] or "asset"
    check_feature_inputs(items, rows.columns, input_path, layout["read"])
    plan = {"items": items, "horizon": horizon, "levels": levels, "calibration_window": calibration_window,
            "train_ratio": train_ratio, "refit_every": refit_every, "target": target, "as_of": as_of,
            "reg_param": reg_param or 0.0, "elastic_net": elastic_net or 0.0, "missing": ingest.missing,
            "missing_fields": [f for f in NUMERIC_FIELDS if f in ingest.required and layout["at"][f] != -1],
            "date_column": layout.get("date_column", "date"), "origin": None}
    bounds = [f"{side}_{level_suffix(level)}" for level in levels for side in ("lower", "upper")]
    schema = StructType([StructField(ASSET, StringType()), StructField(KIND, StringType()),
                         StructField("horizon", IntegerType()), StructField("target_date", DateType()),
                         *[StructField(c, DoubleType()) for c in ["last_price", "forecast", *bounds]],
                         StructField(REPORT, StringType())])
    values = [f for f in ("price", "volume", "marketCap") + OHLC_FIELDS if f in rows.columns]
    source = rows.where(F.col("__asset").isin(chosen)).select(
        F.col(ROW_ID), F.col("__asset").alias(ASSET), "date", "__seconds", *values).cache()
    if __name__ != "__main__":
        # Imported (test/py/forecast_batch.py runs the job so): the Python workers cannot import this module by
        # name, so the group's function and everything it calls travel by value, as a script's do.
        from pyspark import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])

    def grouped(assets_in: List[str], origin: Optional[str]) -> DataFrame:
        step = {**plan, "origin": origin}
        return (source.where(F.col(ASSET).isin(assets_in)).groupBy(ASSET)
                .applyInPandas(grouped_forecast(step, schema), schema))

    def reports_of(results: DataFrame) -> dict:
        return {r[ASSET]: json.loads(r[REPORT]) for r in results.where(F.col(KIND) == "report").collect()}

    def refuse(problem: dict) -> None:
        if problem["rowId"] is not None:
            line, cell = layout["locate"](problem["rowId"], problem["field"])
            raise BadInput(input_path, line, layout["columns"][problem["field"]], cell, problem["expected"])
        raise BadInput(input_path, 0, problem["column"], None, problem["expected"])

    named = set(wanted or [])
    skipped, last_day = [], {}

    def skip(asset: str, reason: str) -> None:
        if asset in named:
            raise BadInput(input_path, 0, asset_column, asset, reason)
        skipped.append({"asset": asset, "reason": "too few rows: expected " + reason})

    scanned = reports_of(grouped(chosen, None))
    for asset in chosen:
        report = scanned[asset]
        if "error" in report:
            refuse(report["error"])
        if "short" in report:
            skip(asset, report["short"])
        else:
            last_day[asset] = report["lastDay"]
    origin = max(last_day.values()) if last_day else None
    for asset, day in last_day.items():
        if day < origin:
            skip(asset, f"rows up to the run's origin date {origin} (the newest asset's last usable day); its last "
                        f"usable day is {day}: --as-of {day} forecasts it from there")
    skipped.sort(key=lambda entry: entry["asset"])
    forecast_assets = [asset for asset in chosen if last_day.get(asset) == origin]
    if not forecast_assets:
        first = skipped[0]
        raise BadInput(input_path, 0, None, None, f"at least one asset with enough rows to forecast; all {len(skipped)} "
                                                  f"were skipped ({first['asset']}: {first['reason']})")
    partition = HadoopFs(spark, output.rstrip("/") + f"/origin_date={origin}")
    check_forecast_partition(partition)

    results = grouped(forecast_assets, origin).cache()
    reports = reports_of(results)
    for asset in forecast_assets:
        if "error" in reports[asset]:
            refuse(reports[asset]["error"])
    for entry in skipped:
        print_error(spark, f"skipped asset {entry['asset']}: {entry['reason']}")
    document = {
        "tool": "pricecast", "command": "forecast", "originDate": origin,
        "input": {"file": posixpath.basename(input_path.rstrip("/")), "sha256": sha256, "rowsRead": rows_read,
                  "assetColumn": asset_column, "assetsInFile": len(layout.get("assets") or [None])},
        "set": forecast_set(set_name, items, target, reg_param, elastic_net),
        "asOf": as_of, "trainRatio": train_ratio, "refitEvery": refit_every,
        "calibrationWindow": calibration_window, "levels": levels,
        "assets": [{"asset": asset, **reports[asset]} for asset in forecast_assets],
        "skipped": skipped,
    }
    table = (results.where(F.col(KIND) == "row")
             .select(ASSET, "horizon", "target_date", "last_price", "forecast", *bounds, F.lit(set_name).alias("set"),
                     F.to_date(F.lit(origin)).alias("origin_date"))
             .coalesce(1).sortWithinPartitions("origin_date", ASSET, "horizon"))
    write_forecast_partition(spark, table, document, output, partition)
    print(f"pricecast forecast (reference job): {set_name} from {origin}, horizons 1-{horizon}, {len(forecast_assets)} "
          f"of {len(chosen)} assets ({len(skipped)} skipped), wrote {partition.path.toString()}")
    results.unpersist()
    source.unpersist()
    return document


def parse_forecast_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="price_regression.py forecast",
                                     description="The price after the last day, with conformal intervals (docs/forecast.md).")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", default="out/forecasts")
    parser.add_argument("--features", default=None)
    parser.add_argument("--from", dest="from_results", default=None, help="an experiment's results.json")
    parser.add_argument("--set", dest="set_name", default=None)
    parser.add_argument("--target", choices=["price", "return"], default="price")
    parser.add_argument("--horizon", type=int, default=1)
    parser.add_argument("--level", default=",".join(str(level) for level in FORECAST_DEFAULT_LEVELS))
    parser.add_argument("--calibration-window", type=int, default=None)
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--refit-every", type=int, default=1)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--format", choices=["auto"] + list(LAYOUTS), default="auto")
    parser.add_argument("--columns", default=None)
    parser.add_argument("--thousands", choices=[","], default=None)
    parser.add_argument("--missing", choices=list(MISSING_POLICIES), default="error")
    parser.add_argument("--reg-param", type=float, default=None, help="penalty weight λ (Spark's regParam)")
    parser.add_argument("--elastic-net", type=float, default=None, help="the penalty's L1 share α (elasticNetParam)")
    parser.add_argument("--assets", default=None,
                        help="on a file with an asset column: only these assets (comma-separated names as written)")
    args = parser.parse_args(argv)
    if args.assets is not None:
        names = [name.strip() for name in args.assets.split(",")]
        if any(name == "" for name in names):
            parser.error(f"--assets: expected comma-separated asset names, got {json.dumps(args.assets)}")
        args.assets = names
    if not 1 <= args.horizon <= FORECAST_MAX_HORIZON:
        parser.error(f"--horizon: expected an integer from 1 to {FORECAST_MAX_HORIZON}, got {args.horizon}")
    try:
        args.levels = [float(text) for text in args.level.split(",")]
    except ValueError:
        parser.error(f"--level: expected levels strictly between 0 and 1, comma-separated, got {args.level!r}")
    if any(not 0 < level < 1 for level in args.levels) or len(set(args.levels)) != len(args.levels):
        parser.error(f"--level: expected levels strictly between 0 and 1, none twice, got {args.level!r}")
    if args.calibration_window is not None and args.calibration_window < 1:
        parser.error(f"--calibration-window: expected a positive integer, got {args.calibration_window}")
    if args.as_of is not None and (not _YMD.match(args.as_of) or _date_parts(args.as_of) is None):
        parser.error(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}")
    args.columns = parse_column_mapping(args.columns) if args.columns is not None else None
    set_name = "features"
    if args.from_results is not None:
        with open(args.from_results, encoding="utf-8") as handle:
            results = json.load(handle)
        chosen = [s for s in results.get("sets", []) if s.get("name") == args.set_name and s.get("name") != "persistence"]
        if not chosen:
            parser.error(f"--from {args.from_results}: no set named {args.set_name!r}")
        args.features, args.target, set_name = ",".join(chosen[0]["features"]), results.get("target", "price"), args.set_name
        if "regParam" in chosen[0]:
            args.reg_param, args.elastic_net = chosen[0]["regParam"], chosen[0].get("elasticNet", 0.0)
    args.features = args.features or DEFAULT_FEATURE_SPEC
    args.set_label = set_name
    return args


def start_session(app_name: str) -> SparkSession:
    """The session with the runtime settings the job depends on, set here so they hold whatever
    spark-submit or EMR configures: make_date gives null (not an error) for a date that does not exist;
    Arrow for the driver-side RSI round trip."""
    spark = SparkSession.builder.appName(app_name).getOrCreate()
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return spark


def forecast_main(argv: Sequence[str]) -> int:
    args = parse_forecast_args(argv)
    spark = start_session("pricecast-forecast")
    try:
        run_forecast(spark, args.input, args.output, features=args.features, set_name=args.set_label,
                     target=args.target, horizon=args.horizon, levels=args.levels,
                     calibration_window=args.calibration_window, train_ratio=args.train_ratio,
                     refit_every=args.refit_every, as_of=args.as_of,
                     ingest=IngestOptions(format=args.format, columns=args.columns, thousands=args.thousands,
                                          missing=args.missing),
                     reg_param=args.reg_param, elastic_net=args.elastic_net, assets=args.assets)
        return 0
    except (BadInput, OutputRefused, FeatureSpecError) as error:
        print_error(spark, str(error))
        return 2
    finally:
        spark.stop()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Next-day price regression (the pricecast reference job).")
    parser.add_argument("--input", required=True, help="daily CSV: date, price, volume, marketCap")
    parser.add_argument("--output", required=True, help="output folder (Parquet + _model.json)")
    parser.add_argument("--seed", type=int, default=42, help="randomSplit seed (default 42)")
    parser.add_argument("--train-ratio", type=float, default=0.7, help="share of rows that train (default 0.7)")
    parser.add_argument("--split", choices=["random", "time"], default="random",
                        help="random: Spark's randomSplit (default); time: the first dates train")
    parser.add_argument("--features", default=DEFAULT_FEATURE_SPEC,
                        help=f"feature spec, e.g. price,rsi(window=9),macd_diff (default {DEFAULT_FEATURE_SPEC})")
    parser.add_argument("--format", choices=["auto"] + list(LAYOUTS), default="auto",
                        help="input layout (default auto: recognised from the header)")
    parser.add_argument("--columns", default=None, help="date=COL,price=COL,volume=COL,marketCap=COL")
    parser.add_argument("--thousands", choices=[","], default=None, help="allow 1,234.5 in any layout")
    parser.add_argument("--missing", choices=list(MISSING_POLICIES), default="error",
                        help="empty, '-' or 'null' cells: error (default), previous, zero, drop")
    parser.add_argument("--ohlc-check", choices=list(OHLC_CHECKS), default="on",
                        help="on: a row whose open/high/low disagree with its close is bad input; off: count them")
    parser.add_argument("--reg-param", type=float, default=0.0,
                        help="penalty weight, Spark's regParam (default 0: unpenalised)")
    parser.add_argument("--elastic-net", type=float, default=0.0,
                        help="the penalty's L1 share, Spark's elasticNetParam: 0 ridge (default), 1 lasso")
    parser.add_argument("--assets", default=None,
                        help="on a file with an asset column: only these assets (comma-separated names as written)")
    # Tests only (test/parity/panel.test.ts): the grouped map on a one-asset file, as the asset NAME.
    parser.add_argument("--as-panel", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.assets is not None:
        names = [name.strip() for name in args.assets.split(",")]
        if any(name == "" for name in names):
            parser.error(f"--assets: expected comma-separated asset names, got {json.dumps(args.assets)}")
        args.assets = names
    if not (math.isfinite(args.reg_param) and args.reg_param >= 0.0):
        parser.error(f"--reg-param: expected a finite number >= 0, got {args.reg_param!r}")
    if not (0.0 <= args.elastic_net <= 1.0):
        parser.error(f"--elastic-net: expected a number between 0 and 1, got {args.elastic_net!r}")
    try:
        args.columns = parse_column_mapping(args.columns) if args.columns is not None else None
    except ValueError as error:
        parser.error(str(error))
    if not (0.0 < args.train_ratio < 1.0):
        parser.error(f"--train-ratio: expected a number strictly between 0 and 1, got {args.train_ratio!r}")
    return args


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "forecast":
        return forecast_main(argv[1:])
    args = parse_args(argv)
    spark = start_session("pricecast-price-regression")
    try:
        ingest = IngestOptions(format=args.format, columns=args.columns, thousands=args.thousands,
                               missing=args.missing, ohlc_check=args.ohlc_check)
        run_pipeline(spark, args.input, args.output, args.seed, args.split, args.train_ratio, args.features,
                     ingest, args.reg_param, args.elastic_net, args.assets, args.as_panel)
        return 0
    except (BadInput, OutputRefused, FeatureSpecError, UsageRefused) as error:
        print_error(spark, str(error))
        return 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
