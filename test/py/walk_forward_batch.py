"""Run the reference walk-forward job (pyspark/walk_forward.py) several times under one spark-submit, so the
JVM starts once for a whole parity file (test/parity/experimentJob.test.ts), as test/py/job_batch.py does for
price_regression.py.

    spark-submit walk_forward_batch.py --input CASES.json --output DIR

CASES.json is a list of the job's command lines (lists of strings). Each runs through the job's own `main`,
which creates and stops its Spark session; the JVM stays up between them. The exit code of each (0 done,
2 refused) goes to DIR/codes.json, in order.
"""
import json
import os
import sys

# The job's folder, not the repository root: the repository's `pyspark/` folder would shadow PySpark.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pyspark"))

import walk_forward  # noqa: E402


def main(argv):
    cases_file = argv[argv.index("--input") + 1]
    out_dir = argv[argv.index("--output") + 1]
    with open(cases_file, encoding="utf-8") as handle:
        cases = json.load(handle)
    codes = []
    for case in cases:
        try:
            codes.append(walk_forward.main(case))
        except SystemExit as stop:  # argparse refuses a flag with exit 2
            codes.append(stop.code if isinstance(stop.code, int) else 1)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "codes.json"), "w", encoding="utf-8") as handle:
        json.dump(codes, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
