"""Fit Spark ML's LinearRegression(regParam, elasticNetParam), its other defaults kept, on given feature
matrices, for test/engine/model/owlqn.test.ts, and with Spark's defaults (regParam and elasticNetParam
0.0: solver auto -> normal equations, falling back to L-BFGS when they are singular) where a problem has
neither, for test/engine/model/quasiNewton.test.ts.

    python spark_regularised.py PATH

PATH is JSON: {"problems": [{"x": [[...], ...], "y": [...], "regParam": r, "elasticNet": a}, ...]}. The
rows go to Spark in order in one partition (Spark's sums are then formed in row order). Prints JSON: a
list, per problem, {"coefficients", "intercept", "objectiveHistory", "predictions", "standardErrors"}
(standardErrors null where Spark has none; a non-finite number as its name, "Infinity" or "NaN").
"""
import json
import math
import sys

from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import LinearRegression
from pyspark.sql import SparkSession


def number(value):
    value = float(value)
    return value if math.isfinite(value) else str(value).replace("inf", "Infinity").replace("nan", "NaN")


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        problems = json.load(handle)["problems"]
    spark = SparkSession.builder.master("local[1]").appName("spark_regularised").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    out = []
    for problem in problems:
        rows = [(float(y), Vectors.dense([float(v) for v in x])) for x, y in zip(problem["x"], problem["y"])]
        frame = spark.sparkContext.parallelize(rows, 1).toDF(["label", "features"])
        model = LinearRegression(featuresCol="features", labelCol="label", regParam=float(problem.get("regParam", 0.0)),
                                 elasticNetParam=float(problem.get("elasticNet", 0.0))).fit(frame)
        predictions = [r.prediction for r in model.transform(frame).select("prediction").collect()]
        try:
            standard_errors = [number(v) for v in model.summary.coefficientStandardErrors]
        except Exception:  # Spark: "No Std. Error of coefficients available for this LinearRegressionModel"
            standard_errors = None
        out.append({
            "coefficients": [number(c) for c in model.coefficients],
            "intercept": number(model.intercept),
            "objectiveHistory": [number(v) for v in model.summary.objectiveHistory],
            "predictions": [number(p) for p in predictions],
            "standardErrors": standard_errors,
        })
    spark.stop()
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
