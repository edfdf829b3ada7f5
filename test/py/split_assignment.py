"""Which rows Spark's randomSplit puts in the training set, for the engine's split tests (docs/split.md).

Input, as JSON on argv[1] or stdin: either {"sizes": [n, ...], "seeds": [s, ...], "ratios": [r, ...]}
(every combination; ratios default to [0.7]) or {"cases": [{"n": n, "seed": s, "ratio": r}, ...]}.
Output, as JSON on stdout: [{"n": n, "seed": s, "ratio": r, "train": [sorted row indices]}, ...], where
row i is the i-th row in date order.

Each frame is shaped like the one pyspark/price_regression.py hands to randomSplit: a unique `date` first,
then the doubles, then the `features` vector, in one partition. Run with the project env's python
(ensurePythonEnv().python); one Spark session serves every case.
"""
import itertools
import json
import sys

from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

FIRST_DATE = "2000-01-01"


def read_cases(spec):
    if "cases" in spec:
        return [(int(c["n"]), int(c["seed"]), float(c.get("ratio", 0.7))) for c in spec["cases"]]
    ratios = spec.get("ratios", [0.7])
    return [(int(n), int(s), float(r)) for n, s, r in itertools.product(spec["sizes"], spec["seeds"], ratios)]


def job_shaped_frame(spark, n):
    """n rows, one partition: date (unique, ascending with the row index), five doubles, the features vector."""
    base = spark.range(0, n, 1, numPartitions=1)
    index = F.col("id").cast("double")
    frame = base.select(
        F.date_add(F.lit(FIRST_DATE).cast("date"), F.col("id").cast("int")).alias("date"),
        (1.0 + F.sin(index) * 0.5 + index * 0.01).alias("price"),
        (1e6 + index * 37.0).alias("volume"),
        (1e8 + F.cos(index) * 1e6).alias("marketCap"),
        (50.0 + F.sin(index * 0.3) * 20.0).alias("rsi"),
        (1.0 + F.sin(index + 1.0) * 0.5 + (index + 1.0) * 0.01).alias("next_price"),
    )
    frame = VectorAssembler(inputCols=["price", "volume", "marketCap", "rsi"], outputCol="features").transform(frame)
    assert frame.rdd.getNumPartitions() == 1
    return frame


def main():
    spec = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    spark = (SparkSession.builder.master("local[1]").appName("split-assignment")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    results = []
    try:
        for n, seed, ratio in read_cases(spec):
            train, _test = job_shaped_frame(spark, n).randomSplit([ratio, 1.0 - ratio], seed)
            rows = train.select(F.datediff("date", F.lit(FIRST_DATE).cast("date")).alias("i")).collect()
            results.append({"n": n, "seed": seed, "ratio": ratio, "train": sorted(r["i"] for r in rows)})
    finally:
        spark.stop()
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
