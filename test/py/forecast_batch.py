"""Runs the reference job's `forecast` (pyspark/price_regression.py run_forecast) for several cases in one
Spark session, so that the parity suite starts one JVM for all of them.

    spark-submit forecast_batch.py --input CASES.json --output DIR

CASES.json: [{"name", "input", "features", "target", "horizon", "levels", "calibrationWindow", "trainRatio",
"refitEvery", "asOf", "format", "regParam", "elasticNet", "assets"}, ...]; an input whose asset column names several
assets is a panel (docs/forecast.md#panels), forecast by the job's grouped map. Case NAME writes its table to DIR/NAME;
DIR/results.json gets {NAME: the _forecast.json document, or {"error": message}}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pyspark"))
import price_regression as job  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402


def main(argv):
    cases_path, out = argv[argv.index("--input") + 1], argv[argv.index("--output") + 1]
    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    spark = SparkSession.builder.appName("pricecast-forecast-batch").getOrCreate()
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    results = {}
    try:
        for case in cases:
            try:
                results[case["name"]] = job.run_forecast(
                    spark, case["input"], os.path.join(out, case["name"]), features=case["features"],
                    set_name=case.get("set", "features"), target=case["target"], horizon=case["horizon"],
                    levels=case["levels"], calibration_window=case.get("calibrationWindow"),
                    train_ratio=case["trainRatio"], refit_every=case["refitEvery"], as_of=case.get("asOf"),
                    ingest=job.IngestOptions(format=case.get("format", "auto"), columns=None, thousands=None,
                                             missing=case.get("missing", "error")),
                    reg_param=case.get("regParam"), elastic_net=case.get("elasticNet"), assets=case.get("assets"))
            except (job.BadInput, job.OutputRefused, job.FeatureSpecError) as error:
                results[case["name"]] = {"error": str(error)}
        with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as handle:
            json.dump(results, handle)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
