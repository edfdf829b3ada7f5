"""The reference price-regression job: next-day price from a feature spec (default: price, volume, market cap, RSI-14).

Implements ../../shared/SPEC.md (the contract the TypeScript engine in src/engine implements too). Its
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

It replaces a seed script run from Airflow on EMR. SPEC.md section 8 lists that script's defects; each
fix is marked "SPEC 8 fix:" where it is made.
"""
from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import math
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
# The engine's DECIMAL (src/engine/csv.ts): plain decimals and exponent forms; no spaces, hex, NaN, Infinity.
DECIMAL_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# What Spark's summary throws when (A^T A)^-1 is unknown (the fallback solver): "No Std. Error of
# coefficients available ...", "No t-statistic available ...", "No p-value available ...".
NOT_AVAILABLE = re.compile(r"No [\w .-]+ available for this LinearRegressionModel")

# Internal column names, chosen not to clash with a CSV header.
ROW_ID = "__pricecast_row"
CORRUPT = "__pricecast_corrupt"
PROBLEM = "__pricecast_problem"


class BadInput(Exception):
    """SPEC.md section 1's bad input: printed as one line, exit code 2, nothing written.

    The message format is the engine's InputError (src/engine/errors.ts):
    FILE:LINE: column NAME: expected WHAT (got "VALUE"), each part present when known.
    """

    def __init__(self, file: str, line: int, column: Optional[str], value: Optional[str], expected: str):
        where = f"{file}:{line}" if line > 0 else file
        col = "" if column is None else f" column {column}:"
        got = "" if value is None else f" (got {json.dumps(_truncate(value), ensure_ascii=False)})"
        super().__init__(f"{where}:{col} expected {expected}{got}")


class OutputRefused(Exception):
    """The output path holds something that is not an earlier output of this tool (SPEC.md section 7)."""


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

def read_daily_csv(spark: SparkSession, path: str, check_text: bool = True) -> Tuple[DataFrame, int, str]:
    """SPEC.md section 1: the file's data rows in file order, validated.

    Returns (rows with date (DateType), price, volume, marketCap (doubles) and ROW_ID = file position;
    data rows read; sha256 of the file's bytes).

    The file is read with multiLine=True: RFC 4180 quoted line breaks are allowed, and Spark then reads the
    file as one unsplittable stream, so monotonically_increasing_id numbers the records 0 (the header),
    1, 2, ... in file order; that number is what "last row in file order" means in sort_and_dedupe.
    It is read without a header so the job, not Spark, interprets it: Spark would silently rename repeated
    header names and pad or cut rows with the wrong number of fields.
    """
    hfs = HadoopFs(spark, path)
    if not hfs.fs.exists(hfs.path):
        raise BadInput(path, 0, None, None, "an input file; there is no such file")
    if hfs.fs.getFileStatus(hfs.path).isDirectory():
        raise BadInput(path, 0, None, None, "a CSV file; this is a folder")
    sha256 = hfs.sha256_hex()

    reader = spark.read.option("multiLine", True).option("header", False).option("encoding", "UTF-8")
    first = reader.csv(path).limit(1).collect()
    if not first:
        raise BadInput(path, 0, None, None, "a CSV with a header row and data rows; the file is empty")
    header = ["" if v is None else v for v in first[0]]
    seen = set()
    for name in header:
        if name in seen:
            raise BadInput(path, 1, name, name,
                           "a header whose column names are all different; this name appears twice")
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise BadInput(path, 1, ", ".join(missing), ",".join(header),
                       f"a header with the columns {', '.join(REQUIRED_COLUMNS)} (any order); "
                       f"missing {', '.join(missing)}")

    fields = [f"c{i}" for i in range(len(header))]
    schema = StructType([StructField(f, StringType()) for f in fields] + [StructField(CORRUPT, StringType())])
    records = (reader.schema(schema)
               .option("mode", "PERMISSIVE")
               .option("columnNameOfCorruptRecord", CORRUPT)
               .csv(path)
               .withColumn(ROW_ID, F.monotonically_increasing_id()))
    if records.rdd.getNumPartitions() != 1:
        # multiLine CSV is never split; if a Spark version ever did, ROW_ID would not be file order.
        raise RuntimeError("expected the CSV to be read as one partition (multiLine); file order is lost")
    text = {name: F.col(fields[header.index(name)]) for name in REQUIRED_COLUMNS}
    number = {name: F.when(text[name].rlike(DECIMAL_PATTERN), text[name].cast(DoubleType()))
              for name in ("price", "volume", "marketCap")}

    def finite(value):
        return value.isNotNull() & ~F.isnan(value) & (F.abs(value) < float("inf"))

    # make_date is null for a date that does not exist (2021-02-30), with ANSI mode off (set in main).
    day = F.when(text["date"].rlike(DATE_PATTERN),
                 F.make_date(F.substring(text["date"], 1, 4).cast("int"),
                             F.substring(text["date"], 6, 2).cast("int"),
                             F.substring(text["date"], 9, 2).cast("int")))
    # Not UTF-8 text (SPEC.md section 1): Spark decodes bytes that are not UTF-8 as U+FFFD, and keeps NUL.
    # A genuine U+FFFD in valid UTF-8 also matches; _describe_bad_record tells the two apart.
    raw_text = F.concat_ws("\n", *[F.col(f) for f in fields], F.col(CORRUPT))
    not_text = raw_text.rlike("[\\x00\\x{FFFD}]") if check_text else F.lit(False)
    # The engine's checks, in the engine's order (src/engine/csv.ts: bytes first, then readRow): the first
    # failing one is reported. Codes index PROBLEMS below.
    problem = (F.when(not_text, 8)
               .when(F.col(CORRUPT).isNotNull(), 0)
               .when(day.isNull(), 1)
               .when(~finite(number["price"]), 2).when(number["price"] <= 0, 3)
               .when(~finite(number["volume"]), 4).when(number["volume"] < 0, 5)
               .when(~finite(number["marketCap"]), 6).when(number["marketCap"] < 0, 7))
    checked = (records.where(F.col(ROW_ID) > 0)
               .select(F.col(ROW_ID), day.alias("date"), number["price"].alias("price"),
                       number["volume"].alias("volume"), number["marketCap"].alias("marketCap"),
                       problem.alias(PROBLEM))
               .cache())
    counts = checked.agg(F.count(F.lit(1)).alias("rows"),
                         F.min(F.when(F.col(PROBLEM).isNotNull(), F.col(ROW_ID))).alias("first_bad")).first()
    if counts["rows"] == 0:
        raise BadInput(path, 0, None, None, "data rows after the header; the file has only a header")
    if counts["first_bad"] is not None:
        bad = checked.where(F.col(ROW_ID) == counts["first_bad"]).select(PROBLEM).first()
        error = _describe_bad_record(spark, path, header, counts["first_bad"], bad[PROBLEM])
        if error is None:  # a genuine U+FFFD, not a decoding error: check again without the text test
            checked.unpersist()
            return read_daily_csv(spark, path, check_text=False)
        raise error
    return checked.drop(PROBLEM), int(counts["rows"]), sha256


# The per-value problems by code; 0 (field count) and 8 (not UTF-8 text) are described from the record.
PROBLEMS = {
    1: ("date", "a date YYYY-MM-DD that exists"),
    2: ("price", "a finite decimal number"), 3: ("price", "a price > 0"),
    4: ("volume", "a finite decimal number"), 5: ("volume", "a volume >= 0"),
    6: ("marketCap", "a finite decimal number"), 7: ("marketCap", "a marketCap >= 0"),
}


def _describe_bad_record(spark: SparkSession, path: str, header: List[str], record_index: int,
                         problem: int) -> Optional[BadInput]:
    """The error line for record number `record_index` (0 = header) of the file.

    Error path only: Spark's CSV rows carry no line numbers, so the file is parsed again with Python's
    csv module (same RFC 4180 rules; blank lines skipped as Spark skips them) to find the line the record
    ends on, as the engine reports it, and its fields as they were written. The bytes come through Spark
    (binaryFile), so this works on HDFS and S3 too.
    """
    content = bytes(spark.read.format("binaryFile").load(path).select("content").first()[0])
    if problem == 8:
        try:
            content.decode("utf-8")
            invalid_at = None
        except UnicodeDecodeError as error:
            invalid_at = error.start
        nul_at = content.find(b"\x00")
        if invalid_at is None and nul_at < 0:
            return None  # valid UTF-8 without NUL: the U+FFFD Spark saw is a real character
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
    line = reader.line_num
    if problem == 8:
        at = min(x for x in (invalid_at, nul_at if nul_at >= 0 else None) if x is not None)
        what = "a NUL byte" if at == nul_at else "bytes that are not UTF-8"
        names = header + [f"[{i + 1}]" for i in range(len(header), len(fields))]
        column = next((names[i] for i, f in enumerate(fields) if "\x00" in f or "\ufffd" in f), None)
        value = next((f for f in fields if "\x00" in f or "\ufffd" in f), None)
        return BadInput(path, line, column, value, f"a UTF-8 text CSV; found {what} at byte {at}")
    if problem == 0:
        return BadInput(path, line, None, ",".join(fields),
                        f"{len(header)} fields as in the header, found {len(fields)}")
    column, expected = PROBLEMS[problem]
    return BadInput(path, line, column, fields[header.index(column)], expected)


def sort_and_dedupe(rows: DataFrame) -> Tuple[DataFrame, dict]:
    """Ascending dates, one row per date: the LAST row in file order (SPEC.md section 1).

    SPEC 8 fix: the seed script computed RSI in file order before sorting by date, and a repeated date made
    the order ambiguous. Here the repeated date keeps its last row (highest file position, ROW_ID) and the
    collapsed dates are reported.
    """
    last_first = Window.partitionBy("date").orderBy(F.col(ROW_ID).desc())
    ranked = rows.withColumn("__copies", F.count(F.lit(1)).over(Window.partitionBy("date"))) \
                 .withColumn("__rank", F.row_number().over(last_first))
    kept = ranked.where(F.col("__rank") == 1)
    repeated = kept.where(F.col("__copies") > 1)
    collapsed = {"count": repeated.count(),
                 "first": [r["day"] for r in repeated.orderBy("date").limit(COLLAPSED_DATES_LISTED)
                           .select(F.date_format("date", "yyyy-MM-dd").alias("day")).collect()]}
    daily = kept.select("date", "price", "volume", "marketCap")
    return daily, collapsed


# --- feature specs (SPEC.md section 9): the same rules and messages as src/engine/featureSpec.ts --------------

DEFAULT_FEATURE_SPEC = "price,volume,marketCap,rsi"
INPUT_FEATURES = ("price", "volume", "marketCap")
TA_MODULES = ("momentum", "trend", "volatility", "volume", "others")
# ta's signatures give each argument's default; its type follows from the default except where the default
# understates it: bollinger's window_dev=2 is any real number, volume_price_trend's smoothing_factor=None means
# "no smoothing", which 0 also means (ta tests `if smoothing_factor:`).
FLOAT_ARGS = {"window_dev"}
NONE_DEFAULTS = {"smoothing_factor": 0}
# Integer arguments are windows and periods (positive), except these.
NOT_PERIODS = {"smoothing_factor"}
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

    A function whose series arguments are only close and/or volume is usable; its keyword arguments (all but
    fillna, in ta's order) are {name, type, default, positive}. test/feature-spec.test.ts checks this equals
    the engine's catalogue (src/engine/indicators/catalogue.ts).
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
                continue
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
    catalogue, needs_high_low = feature_catalogue()
    items, seen, columns = [], {}, {}
    for raw in _scan_feature_spec(text):
        fn = raw["name"]
        if fn in INPUT_FEATURES:
            if raw["args"]:
                raise FeatureSpecError(raw["at"], f"{fn} takes no arguments")
            item = {"column": fn, "fn": fn, "args": {}}
        else:
            if fn not in catalogue:
                if fn in needs_high_low:
                    raise FeatureSpecError(raw["at"], f"{fn} needs high and low prices, which the input does not "
                                                      "have (only functions of close and volume are supported)")
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


def compute_features(spark: SparkSession, daily: DataFrame, items: List[dict]) -> Tuple[DataFrame, dict]:
    """One column per item (SPEC.md section 9), computed with ta on the driver; (table, first defined row).

    SPEC 8 fix: computed on the series in DATE order (the seed script used file order). An indicator needs
    its series whole and in order, so it goes through pandas on the driver: getattr(ta.<module>, fn)(close=,
    volume=, **args, fillna=False). Warm-up values are NaN and stay missing (Arrow hands them back to Spark
    as null); ±inf (e.g. a zero band width) stays, for drop_nulls to remove. The second value maps each
    column to the index of its first finite value in date order (None: none), for the too-few-rows message.
    """
    catalogue, _ = feature_catalogue()
    series = daily.select("date", "price", "volume", "marketCap").orderBy("date").toPandas()
    inputs = {"close": series["price"].astype("float64"), "volume": series["volume"].astype("float64")}
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
    labelled = daily
    if values:
        frame = pd.DataFrame({"date": series["date"], **values})
        schema = StructType([StructField("date", DateType())]
                            + [StructField(name, DoubleType()) for name in values])
        labelled = daily.join(spark.createDataFrame(frame, schema), "date")
    return labelled, first_defined


def next_price(labelled: DataFrame) -> DataFrame:
    """SPEC.md section 3: the next date's price; null on the last row.

    The unpartitioned window gathers every row into ONE partition, which section 5 relies on: randomSplit
    then runs one sampler seeded with seed + 0.
    """
    return labelled.withColumn("next_price", F.lead("price").over(Window.orderBy("date")))


def drop_nulls(labelled: DataFrame, columns: List[str]) -> DataFrame:
    """SPEC.md sections 3 and 9: rows where a feature or next_price is null, NaN or ±inf go (warm-up rows, a
    zero band width, the last row). Spark's dropna covers null and NaN only, so ±inf is filtered explicitly."""
    kept = labelled.dropna(subset=[*columns, "next_price"])
    for name in columns:
        kept = kept.where(F.abs(F.col(name)) < float("inf"))
    return kept


def assemble_features(cleaned: DataFrame, columns: List[str]) -> DataFrame:
    """SPEC.md sections 4, 5 and 9: the vector of the feature columns, in spec order, as `features`.

    SPEC 8 fix: the seed script split the vector back into columns with UDFs defined twice (so price got
    marketCap's value and volume, marketCap, rsi all got rsi's) returning FloatType, and dropped `date`.
    Here the input columns are kept as they are (doubles, never re-derived from the vector), and `date`
    stays, as the FIRST column: randomSplit sorts each partition by every orderable column in schema
    order, and unique dates first make that order simply date order (SPEC.md section 5).
    """
    assembler = VectorAssembler(inputCols=columns, outputCol="features")
    frame = assembler.transform(cleaned).select("date", *columns, "next_price", "features")
    if frame.rdd.getNumPartitions() != 1:
        raise RuntimeError("expected one partition after the unpartitioned window (SPEC.md section 5)")
    return frame.cache()


def random_split(frame: DataFrame, train_ratio: float, seed: int) -> Tuple[DataFrame, DataFrame]:
    """SPEC.md section 5: Spark's randomSplit([r, 1 - r], seed), called ONCE.

    SPEC 8 fix: the seed script called randomSplit twice and without a seed, so runs were not reproducible
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


def fit(train: DataFrame) -> LinearRegressionModel:
    """SPEC.md section 6: Spark ML LinearRegression with its defaults (solver auto -> normal equations)."""
    return LinearRegression(featuresCol="features", labelCol="next_price").fit(train)


def predict(model: LinearRegressionModel, test: DataFrame, columns: List[str]) -> DataFrame:
    """SPEC.md section 7: the test rows with their predictions, in date order, every value a double.

    SPEC 8 fix: the output has `date` (the seed script's had none) and full double precision.
    """
    return model.transform(test).select("date", *columns, "next_price", "prediction").orderBy("date")


def model_report(model: LinearRegressionModel, test: DataFrame, *, input_file: str, sha256: str,
                 rows_read: int, collapsed: dict, seed: int, split: str, train_ratio: float,
                 rows: dict, items: List[dict]) -> dict:
    """_model.json: exactly the ModelReport interface of src/engine/types.ts, with engine "pyspark"."""
    summary = model.summary
    # Spark's Cholesky solve leaves objectiveHistory = [0.0]; when it fails (a constant feature) Spark
    # falls back to L-BFGS, whose history has one entry per iteration.
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


def write_spark_output(spark: SparkSession, predictions: DataFrame, report: dict, output: str) -> str:
    """SPEC.md section 7: OUTPUT/part-00000-*.snappy.parquet, OUTPUT/_SUCCESS and OUTPUT/_model.json.

    Written to a hidden temporary sibling and renamed into place, so a failed run leaves no half folder
    and an earlier output stays whole until the new one is complete. An existing OUTPUT is replaced only
    when it is empty or an earlier output of this tool: nothing in it but regular files of the output's
    names (OUTPUT_FILE) and its _model.json says tool "pricecast" (the engine's rule, src/engine/output.ts).
    """
    target = HadoopFs(spark, output)
    check_output_replaceable(target)
    token = uuid.uuid4().hex[:12]
    name = target.path.getName()
    staging = target.sibling(f".{name}.pricecast-tmp-{token}")
    retired = target.sibling(f".{name}.pricecast-old-{token}")
    fs = target.fs
    try:
        predictions.coalesce(1).write.mode("overwrite").parquet(staging.toString())
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


# The names an output folder may hold (src/engine/output.ts OUTPUT_FILE): our part file, Spark's, _SUCCESS,
# _model.json, and Hadoop's .crc checksums of them.
_OUTPUT_NAME = (r"(?:part-\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-c\d{3})?\.snappy\.parquet"
                r"|_SUCCESS|_model\.json)")
OUTPUT_FILE = re.compile(rf"^(?:{_OUTPUT_NAME}|\.{_OUTPUT_NAME}\.crc)$")


def _delete_output_folder(fs, folder) -> None:
    """Deletes an earlier output file by file, then the empty folder: never recursively, so that anything
    that appeared in it since the check stays (the folder then stays too)."""
    for status in fs.listStatus(folder):
        if status.isFile() and OUTPUT_FILE.match(status.getPath().getName()):
            fs.delete(status.getPath(), False)
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
                     if not OUTPUT_FILE.match(s.getPath().getName()) or not s.isFile() or s.isSymlink())
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


def run_pipeline(spark: SparkSession, input_path: str, output: str, seed: int, split: str,
                 train_ratio: float, features: str = DEFAULT_FEATURE_SPEC) -> dict:
    """The whole job. Raises FeatureSpecError or BadInput before anything is written."""
    items = parse_feature_spec(features)
    columns = [item["column"] for item in items]
    min_train_rows = len(columns) + 2  # the fit needs degrees of freedom n - p - 1 >= 1
    check_output_replaceable(HadoopFs(spark, output))  # fail before the work, not after it
    rows, rows_read, sha256 = read_daily_csv(spark, input_path)
    daily, collapsed = sort_and_dedupe(rows)
    daily = daily.cache()
    distinct_dates = daily.count()
    labelled, first_defined = compute_features(spark, daily, items)
    cleaned = drop_nulls(next_price(labelled), columns)
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
    model = fit(train)
    report = model_report(
        model, test, input_file=posixpath.basename(input_path.rstrip("/")), sha256=sha256, rows_read=rows_read,
        collapsed=collapsed, seed=seed, split=split, train_ratio=train_ratio,
        rows={"afterDedupe": int(distinct_dates), "afterDropNulls": int(n), "train": int(train_count),
              "test": int(test_count)}, items=items)
    written = write_spark_output(spark, predict(model, test, columns), report, output)
    print_summary(report, written)
    return report


def too_few_rows_message(first_defined: dict, columns: List[str], distinct: int, rows_left: int) -> str:
    """The engine's tooFewRowsMessage (src/engine/pipeline.ts): the dates the spec's warm-up needs, or the
    feature that has no value at all."""
    warm_up = 0
    for name in columns:
        if first_defined.get(name) is None:
            return (f"more distinct dates: {name} has no value (it is null, NaN or \u00b1inf) on any of the "
                    f"{distinct} dates")
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
        f"(train ratio {report['trainRatio']}, seed {report['seed']}): {rows['train']} train, {rows['test']} test",
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
    args = parser.parse_args(argv)
    if not (0.0 < args.train_ratio < 1.0):
        parser.error(f"--train-ratio: expected a number strictly between 0 and 1, got {args.train_ratio!r}")
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    spark = SparkSession.builder.appName("pricecast-price-regression").getOrCreate()
    # Runtime settings the job depends on, set here so they hold whatever spark-submit or EMR configures:
    # make_date gives null (not an error) for a date that does not exist; Arrow for the driver-side RSI
    # round trip.
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    try:
        run_pipeline(spark, args.input, args.output, args.seed, args.split, args.train_ratio, args.features)
        return 0
    except (BadInput, OutputRefused, FeatureSpecError) as error:
        print_error(spark, str(error))
        return 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
