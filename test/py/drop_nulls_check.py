"""The reference job's drop_nulls on a hand-made table, for test/parity/features.test.ts.

Reads {"rows": [[id, a, b, next_price], ...]} on stdin (values: numbers, null, or "nan"/"inf"/"-inf");
writes the ids drop_nulls keeps, ascending, as JSON. Spark in local mode, one core.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pyspark"))
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType  # noqa: E402

import price_regression as job  # noqa: E402


def decode(value):
    return None if value is None else float(value)


rows = [tuple([row[0], *map(decode, row[1:])]) for row in json.load(sys.stdin)["rows"]]
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
try:
    schema = StructType([StructField("id", IntegerType())]
                        + [StructField(name, DoubleType()) for name in ("a", "b", "next_price")])
    kept = job.drop_nulls(spark.createDataFrame(rows, schema), ["a", "b"])
    print(json.dumps(sorted(r["id"] for r in kept.select("id").collect())))
finally:
    spark.stop()
