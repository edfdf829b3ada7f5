"""The numpy peer of `pricecast forecast` for bench/forecast.ts: the same forecast with the same refits
(every horizon's walk-forward refitted every K rows, each window fitted from scratch with
numpy.linalg.lstsq, the conformal bounds and coverage), as test/py/forecast_walkforward.py computes it.

    python forecast_numpy.py JOB.json RUNS

One series (the CSV has no `asset` column): runs it RUNS times in this process (after one warm-up) and
prints {"seconds": [...]} (wall time of each run: reading the CSV, ta's features, the fits, the
intervals; not Python's start-up and imports).

A panel (the CSV has an `asset` column; docs/forecast.md#panels): one run, no warm-up (bench/forecast.ts
times the whole process), RUNS ignored. pandas reads the file once and cuts it into one series per
asset (its own rows de-duplicated by date, the last kept, and sorted, as load_series reads a file of
them). A first pass finds each asset's last usable day and skips an asset that is too short for the job
(the engine's rules: no usable row, fewer than p + 2 rows in some horizon's first walk-forward window,
fewer walk-forward scores than a level needs); the origin date is the newest last usable day, and an
asset whose last usable day is earlier is skipped. Then every remaining asset gets exactly the one-series
work above (forecast_walkforward.main on its rows). Assets are spread over `job["workers"]` processes
(default: one per core, as the engine's worker threads). Writes {"originDate", "assets": [{"asset",
"horizons": [{"horizon", "forecast", "bounds", "coverage"}]}], "skipped": [{"asset", "reason"}]} to
`job["out"]` and prints {"seconds": [wall time from reading the CSV to the last asset], "assets",
"skipped"}.
"""
import contextlib
import io
import json
import math
import multiprocessing
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "py"))
import forecast_walkforward  # noqa: E402
from walkforward import feature_column  # noqa: E402

SERIES_COLUMNS = ["date", "price", "volume", "marketCap"]

# A panel's series, by asset, and the asset being forecast: set in the parent before the workers fork.
FRAMES = {}
CURRENT = [None]
JOB = {}
JOB_PATH = [None]


def one_series(job, runs):
    seconds = []
    for run in range(runs + 1):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            forecast_walkforward.main(job)
        if run > 0:
            seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds}))


def read_panel(path):
    """One frame per asset, as forecast_walkforward's load_series would read a file of its rows alone."""
    frame = pd.read_csv(path, usecols=SERIES_COLUMNS + ["asset"], dtype={"asset": str})
    frames = {}
    for asset, rows in frame.groupby("asset", sort=True):
        rows = rows[SERIES_COLUMNS].drop_duplicates(subset="date", keep="last")
        frames[asset] = rows.sort_values("date", kind="stable").reset_index(drop=True)
    return frames


def conformal_rank(n, level):
    return math.ceil((n + 1) * level - 1e-9)


def check_asset(asset):
    """(last usable date, None) or (None, the reason it is too short): run.ts's tooShort on this asset's rows."""
    frame = FRAMES[asset]
    if JOB.get("asOf"):
        frame = frame[frame["date"] <= JOB["asOf"]]
    x = np.column_stack([feature_column(frame, i["fn"], i["args"]).to_numpy() for i in JOB["items"]])
    usable = np.flatnonzero(np.all(np.isfinite(x), axis=1))
    if len(usable) == 0:
        return None, "no usable row on or before the origin"
    o = len(usable) - 1
    p = len(JOB["items"])
    r, W = JOB["trainRatio"], JOB.get("calibrationWindow")
    for h in range(1, JOB["horizon"] + 1):
        M = o - h + 1
        if math.floor(M * r) - h + 1 < p + 2:
            return None, f"fewer than {p + 2} fitting rows in the first walk-forward window at horizon {h}"
    for h in range(1, JOB["horizon"] + 1):
        M = o - h + 1
        scores = M - math.floor(M * r)
        calibration = scores if W is None else min(W, scores)
        for level in JOB["levels"]:
            if conformal_rank(calibration, level) > calibration:
                return None, f"too few walk-forward scores for a {level} interval at horizon {h}"
    return str(frame["date"].iloc[usable[o]])[:10], None


def forecast_asset(asset):
    """forecast_walkforward.main on this asset's rows alone (its load_series answers with them)."""
    CURRENT[0] = asset
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        forecast_walkforward.main(JOB_PATH[0])
    result = json.loads(out.getvalue())
    horizons = [{k: h[k] for k in ("horizon", "forecast", "bounds", "coverage")} for h in result["horizons"]]
    return {"asset": asset, "originDate": result["originDate"], "horizons": horizons}


def panel(job_path, job):
    started = time.perf_counter()
    FRAMES.update(read_panel(job["csv"]))
    JOB.update(job)
    JOB_PATH[0] = job_path
    forecast_walkforward.load_series = lambda _path: FRAMES[CURRENT[0]]
    workers = job.get("workers") or os.cpu_count() or 1
    assets = sorted(FRAMES)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        checks = pool.map(check_asset, assets, chunksize=max(1, len(assets) // (4 * workers)))
        skipped = [{"asset": a, "reason": why} for a, (_, why) in zip(assets, checks) if why is not None]
        last = {a: day for a, (day, _) in zip(assets, checks) if day is not None}
        origin = max(last.values()) if last else None
        for a, day in sorted(last.items()):
            if day < origin:
                skipped.append({"asset": a, "reason": f"its last usable day {day} is before the origin date {origin}"})
        chosen = [a for a in assets if last.get(a) == origin]
        forecasts = pool.map(forecast_asset, chosen, chunksize=max(1, len(chosen) // (4 * workers)))
    seconds = time.perf_counter() - started
    skipped.sort(key=lambda s: s["asset"])
    with open(job["out"], "w", encoding="utf-8") as handle:
        json.dump({"originDate": origin, "assets": forecasts, "skipped": skipped}, handle)
    print(json.dumps({"seconds": [seconds], "assets": len(forecasts), "skipped": len(skipped)}))


def main(job_path, runs):
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    with open(job["csv"], encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    if "asset" in header:
        panel(job_path, job)
    else:
        one_series(job_path, runs)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
