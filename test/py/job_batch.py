"""Run the reference job (pyspark/price_regression.py) several times under one spark-submit, so that the
JVM starts once for a whole parity file (test/parity/regularised.test.ts).

    spark-submit job_batch.py --input CASES.json --output DIR

CASES.json is a list of the job's command lines (lists of strings). Each runs through the job's own
`main`, which creates and stops its Spark session; the JVM stays up between them. The job's exit code
for each (0 done, 2 refused) is written to DIR/codes.json, in order.

CASES.json may instead be {"cases": [...], "stderrMarkers": true}: then after each case one line,
`job_batch: case N ended, exit code C`, goes to the JVM's stderr (where the job's own error line goes,
see price_regression.print_error), so that a test can cut the process's stderr into each case's part
(test/parity/inputs.test.ts).
"""
import json
import os
import sys

# The job's folder, not the repository root: the repository's `pyspark/` folder would shadow PySpark.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pyspark"))

import price_regression  # noqa: E402

STDERR_MARKER = "job_batch: case {index} ended, exit code {code}"


def mark_stderr(line):
    """`line` on the JVM's System.err, as price_regression.print_error writes the job's error line."""
    try:
        from pyspark import SparkContext

        SparkContext._ensure_initialized()  # under spark-submit: connects to the running JVM's gateway
        err = SparkContext._jvm.System.err
        err.println(line)
        err.flush()
    except Exception:  # no gateway: best effort
        print(line, file=sys.stderr, flush=True)


def main(argv):
    cases_file = argv[argv.index("--input") + 1]
    out_dir = argv[argv.index("--output") + 1]
    with open(cases_file, encoding="utf-8") as handle:
        cases = json.load(handle)
    markers = False
    if isinstance(cases, dict):
        markers = bool(cases.get("stderrMarkers", False))
        cases = cases["cases"]
    codes = []
    for index, case in enumerate(cases):
        try:
            codes.append(price_regression.main(case))
        except SystemExit as stop:  # argparse refuses a flag with exit 2
            codes.append(stop.code if isinstance(stop.code, int) else 1)
        if markers:
            mark_stderr(STDERR_MARKER.format(index=index, code=codes[-1]))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "codes.json"), "w", encoding="utf-8") as handle:
        json.dump(codes, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
