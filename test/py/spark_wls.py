"""Fit Spark ML's LinearRegression (defaults: solver auto -> normal equations, falling back to L-BFGS
when they are singular) on given feature matrices, for test/engine/model/quasiNewton.test.ts.

    python spark_wls.py PATH

PATH is JSON: {"problems": [{"x": [[...], ...], "y": [...]}, ...]}. The rows go to Spark in order in
one partition (so Spark's sums are formed in row order). Prints JSON: a list, per problem,
{"coefficients": [...], "intercept": x, "objectiveHistory": [...], "predictions": [...]}.
"""
import json
import sys

from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import LinearRegression
from pyspark.sql import SparkSession


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        problems = json.load(handle)["problems"]
    spark = SparkSession.builder.master("local[1]").appName("spark_wls").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    out = []
    for problem in problems:
        rows = [(float(y), Vectors.dense([float(v) for v in x])) for x, y in zip(problem["x"], problem["y"])]
        frame = spark.sparkContext.parallelize(rows, 1).toDF(["label", "features"])
        model = LinearRegression(featuresCol="features", labelCol="label").fit(frame)
        predictions = [r.prediction for r in model.transform(frame).select("prediction").collect()]
        out.append({
            "coefficients": [float(c) for c in model.coefficients],
            "intercept": float(model.intercept),
            "objectiveHistory": [float(v) for v in model.summary.objectiveHistory],
            "predictions": predictions,
        })
    spark.stop()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
