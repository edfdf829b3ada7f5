"""The numpy peer of `pricecast forecast` for bench/forecast.ts: the same forecast with the same refits
(every horizon's walk-forward refitted every K rows, each window fitted from scratch with
numpy.linalg.lstsq, the conformal bounds and coverage), as test/py/forecast_walkforward.py computes it.

    python forecast_numpy.py JOB.json RUNS

Runs it RUNS times in this process (after one warm-up) and prints {"seconds": [...]} (wall time of each
run: reading the CSV, ta's features, the fits, the intervals; not Python's start-up and imports).
"""
import contextlib
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "py"))
import forecast_walkforward  # noqa: E402


def main(job, runs):
    seconds = []
    for run in range(runs + 1):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            forecast_walkforward.main(job)
        if run > 0:
            seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
