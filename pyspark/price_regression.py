"""The reference price-regression job: next-day price from daily price, volume, market cap and RSI-14.

Implements ../../shared/SPEC.md (the contract the TypeScript engine in src/engine implements too). Its
functions carry the engine's stage names so the two can be read side by side:

    read_daily_csv -> sort_and_dedupe -> rsi -> next_price -> drop_nulls -> assemble_features
      -> random_split | time_split -> fit -> predict -> write_spark_output        (run_pipeline)

Runs unchanged under spark-submit locally and on EMR: input and output may be local, hdfs:// or s3://
paths, so every byte is read and written through Spark or the Hadoop FileSystem API (never Python's
open()).

    spark-submit price_regression.py --input data.csv --output out/ [--seed 42] [--train-ratio 0.7]
                                     [--split random|time]

Exit codes: 0 done; 2 bad input (one line on stderr naming file, line, column and value; nothing is
written) or bad arguments; 1 anything else.

It replaces a seed script run from Airflow on EMR. SPEC.md section 8 lists that script's defects; each
fix is marked "SPEC 8 fix:" where it is made.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import posixpath
import re
import sys
import uuid
import warnings
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import pandas as pd
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression, LinearRegressionModel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType
from ta.momentum import RSIIndicator

REQUIRED_COLUMNS = ("date", "price", "volume", "marketCap")
FEATURE_NAMES = ["price", "volume", "marketCap", "rsi"]
OUTPUT_COLUMNS = ["date", "price", "volume", "marketCap", "rsi", "next_price", "prediction"]
RSI_WINDOW = 14
# Rows the RSI needs before its first value (ta's min_periods = window).
RSI_WARM_UP_ROWS = RSI_WINDOW - 1
# Rows left after clean-up that a split needs to both fit and test.
MIN_ROWS_TO_FIT_AND_TEST = 10
MIN_DISTINCT_DATES = RSI_WARM_UP_ROWS + 1 + MIN_ROWS_TO_FIT_AND_TEST
# The fit needs degrees of freedom n - p - 1 >= 1.
MIN_TRAIN_ROWS = len(FEATURE_NAMES) + 2

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


def sort_and_dedupe(rows: DataFrame) -> Tuple[DataFrame, List[str]]:
    """Ascending dates, one row per date: the LAST row in file order (SPEC.md section 1).

    SPEC 8 fix: the seed script computed RSI in file order before sorting by date, and a repeated date made
    the order ambiguous. Here the repeated date keeps its last row (highest file position, ROW_ID) and the
    collapsed dates are reported.
    """
    last_first = Window.partitionBy("date").orderBy(F.col(ROW_ID).desc())
    ranked = rows.withColumn("__copies", F.count(F.lit(1)).over(Window.partitionBy("date"))) \
                 .withColumn("__rank", F.row_number().over(last_first))
    kept = ranked.where(F.col("__rank") == 1)
    collapsed = [r["day"] for r in kept.where(F.col("__copies") > 1).orderBy("date")
                 .select(F.date_format("date", "yyyy-MM-dd").alias("day")).collect()]
    daily = kept.select("date", "price", "volume", "marketCap")
    return daily, collapsed


def rsi(spark: SparkSession, daily: DataFrame) -> DataFrame:
    """RSI-14 exactly as ta.momentum.RSIIndicator(close, window=14).rsi() computes it (SPEC.md section 2).

    SPEC 8 fix: computed on the prices in DATE order (the seed script used file order). The series is
    needed whole and in order, so it goes through pandas on the driver; its 13 warm-up values are NaN and
    stay missing (Arrow hands them back to Spark as null), to be dropped by drop_nulls.
    """
    series = daily.select("date", "price").orderBy("date").toPandas()
    with warnings.catch_warnings():
        # ta 0.11 uses pandas idioms that pandas 2.2 reports as deprecated; the values are unaffected.
        warnings.simplefilter("ignore", FutureWarning)
        values = RSIIndicator(close=series["price"], window=RSI_WINDOW).rsi()
    by_date = spark.createDataFrame(
        pd.DataFrame({"date": series["date"], "rsi": values.astype("float64")}),
        StructType([StructField("date", DateType()), StructField("rsi", DoubleType())]))
    return daily.join(by_date, "date")


def next_price(labelled: DataFrame) -> DataFrame:
    """SPEC.md section 3: the next date's price; null on the last row.

    The unpartitioned window gathers every row into ONE partition, which section 5 relies on: randomSplit
    then runs one sampler seeded with seed + 0.
    """
    return labelled.withColumn("next_price", F.lead("price").over(Window.orderBy("date")))


def drop_nulls(labelled: DataFrame) -> DataFrame:
    """SPEC.md section 3: rows with any null or NaN go (the 13 RSI warm-up rows and the last row)."""
    return labelled.dropna()


def assemble_features(cleaned: DataFrame) -> DataFrame:
    """SPEC.md sections 4 and 5: the vector [price, volume, marketCap, rsi] as `features`.

    SPEC 8 fix: the seed script split the vector back into columns with UDFs defined twice (so price got
    marketCap's value and volume, marketCap, rsi all got rsi's) returning FloatType, and dropped `date`.
    Here the input columns are kept as they are (doubles, never re-derived from the vector), and `date`
    stays, as the FIRST column: randomSplit sorts each partition by every orderable column in schema
    order, and unique dates first make that order simply date order (SPEC.md section 5).
    """
    assembler = VectorAssembler(inputCols=FEATURE_NAMES, outputCol="features")
    frame = assembler.transform(cleaned).select(
        "date", "price", "volume", "marketCap", "rsi", "next_price", "features")
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


def predict(model: LinearRegressionModel, test: DataFrame) -> DataFrame:
    """SPEC.md section 7: the test rows with their predictions, in date order, every value a double.

    SPEC 8 fix: the output has `date` (the seed script's had none) and full double precision.
    """
    return model.transform(test).select(*OUTPUT_COLUMNS).orderBy("date")


def model_report(model: LinearRegressionModel, test: DataFrame, *, input_file: str, sha256: str,
                 rows_read: int, collapsed: List[str], seed: int, split: str, train_ratio: float,
                 rows: dict) -> dict:
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
        "features": list(FEATURE_NAMES),
        "model": {
            "featureNames": list(FEATURE_NAMES),
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
    when it is empty or an earlier output of this tool (its _model.json says tool "pricecast").
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
            fs.delete(retired, True)
    finally:
        if fs.exists(staging):
            fs.delete(staging, True)
    return target.path.toString()


def check_output_replaceable(target: HadoopFs) -> None:
    fs, path = target.fs, target.path
    if not fs.exists(path):
        return
    if not fs.getFileStatus(path).isDirectory():
        raise OutputRefused(f"--output {path.toString()} is a file; refusing to replace it")
    if len(fs.listStatus(path)) == 0:
        return
    model_json = target.child("_model.json")
    try:
        earlier = json.loads(target.read_text(model_json)) if fs.exists(model_json) else None
    except ValueError:
        earlier = None
    if not isinstance(earlier, dict) or earlier.get("tool") != "pricecast":
        raise OutputRefused(f"--output {path.toString()} exists and is not an earlier pricecast output; "
                            "refusing to replace it")


def run_pipeline(spark: SparkSession, input_path: str, output: str, seed: int, split: str,
                 train_ratio: float) -> dict:
    """The whole job. Raises BadInput before anything is written."""
    check_output_replaceable(HadoopFs(spark, output))  # fail before the work, not after it
    rows, rows_read, sha256 = read_daily_csv(spark, input_path)
    daily, collapsed = sort_and_dedupe(rows)
    daily = daily.cache()
    distinct_dates = daily.count()
    if distinct_dates < MIN_DISTINCT_DATES:
        raise BadInput(input_path, 0, None, None,
                       f"at least {MIN_DISTINCT_DATES} distinct dates ({RSI_WARM_UP_ROWS} RSI warm-up rows, 1 row "
                       f"without a next price, {MIN_ROWS_TO_FIT_AND_TEST} to fit and test), found {distinct_dates}")
    cleaned = drop_nulls(next_price(rsi(spark, daily)))
    frame = assemble_features(cleaned)
    n = frame.count()
    if split == "random":
        train, test = random_split(frame, train_ratio, seed)
    else:
        train, test = time_split(frame, train_ratio)
    train, test = train.cache(), test.cache()
    train_count, test_count = train.count(), test.count()
    if train_count < MIN_TRAIN_ROWS or test_count < 1:
        seed_text = f", seed {seed}" if split == "random" else ""
        raise BadInput(input_path, 0, None, None,
                       f"a split with at least {MIN_TRAIN_ROWS} training rows and 1 test row; the {split} split "
                       f"(train ratio {_js_number(train_ratio)}{seed_text}) of {n} rows gave {train_count} train "
                       f"and {test_count} test (use more data or another ratio/seed)")
    model = fit(train)
    report = model_report(
        model, test, input_file=posixpath.basename(input_path.rstrip("/")), sha256=sha256, rows_read=rows_read,
        collapsed=collapsed, seed=seed, split=split, train_ratio=train_ratio,
        rows={"afterDedupe": int(distinct_dates), "afterDropNulls": int(n), "train": int(train_count),
              "test": int(test_count)})
    written = write_spark_output(spark, predict(model, test), report, output)
    print_summary(report, written)
    return report


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it for ordinary values (0.7, not 0.7000; 1, not 1.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def print_summary(report: dict, written: str) -> None:
    rows, training, test, model = report["rows"], report["training"], report["test"], report["model"]
    collapsed = report["input"]["duplicateDatesCollapsed"]
    lines = [
        f"read {report['input']['rowsRead']} rows from {report['input']['file']}; "
        f"{rows['afterDedupe']} distinct dates"
        + (f" ({len(collapsed)} repeated, last row kept: {', '.join(collapsed[:10])}"
           f"{', ...' if len(collapsed) > 10 else ''})" if collapsed else ""),
        f"{rows['afterDropNulls']} rows after RSI warm-up and the last day; {report['split']} split "
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
        run_pipeline(spark, args.input, args.output, args.seed, args.split, args.train_ratio)
        return 0
    except (BadInput, OutputRefused) as error:
        print_error(spark, str(error))
        return 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
