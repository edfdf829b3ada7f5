"""An independent `pricecast forecast` in numpy/pandas/ta (docs/forecast.md), to check the engine against.

    python forecast_walkforward.py JOB.json

JOB.json: {"csv": PATH, "items": [{"fn", "args"}, ...], "horizon": H, "trainRatio": r, "refitEvery": K,
           "target": "price"|"return", "levels": [...], "calibrationWindow": W | null, "asOf": "YYYY-MM-DD" | null}

Prints JSON: {"originDate", "horizons": [{"horizon", "forecast", "bounds": [[lower, upper], ...],
"history": [...walk-forward forecasts...], "skill", "dm": {statistic, pValue}, "mase", "rmsse",
"coverage": [...per level...]}]}. pandas reads and de-duplicates the CSV, ta computes the features
(walkforward.py's helpers), numpy.linalg.lstsq fits every window from scratch, the conformal rule and
the h-step Diebold-Mariano test are written out again here from their definitions.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from walkforward import feature_column, fit_predict, load_series, t_two_sided  # noqa: E402


def conformal_width(scores, level):
    n = len(scores)
    k = math.ceil((n + 1) * level - 1e-9)
    if k > n:
        return None
    return float(np.sort(scores)[k - 1])


def h_step_dm(e, eb, h):
    d = e ** 2 - eb ** 2
    T = len(d)
    dbar = d.mean()
    c = d - dbar
    gamma = [float(np.dot(c[k:], c[:T - k]) / T) for k in range(h)]
    v = gamma[0] + 2 * sum(gamma[1:])
    if v <= 0:
        v = gamma[0]
    statistic = dbar / math.sqrt(v / T) * math.sqrt((T + 1 - 2 * h + h * (h - 1) / T) / T)
    return {"statistic": float(statistic), "pValue": t_two_sided(statistic, T - 1)}


def main(path):
    with open(path, encoding="utf-8") as handle:
        job = json.load(handle)
    frame = load_series(job["csv"])
    if job.get("asOf"):
        frame = frame[frame["date"] <= job["asOf"]].reset_index(drop=True)
    x_all = np.column_stack([feature_column(frame, i["fn"], i["args"]).to_numpy() for i in job["items"]])
    series_price = frame["price"].to_numpy(dtype=float)
    usable = np.flatnonzero(np.all(np.isfinite(x_all), axis=1))
    x = x_all[usable]
    price = series_price[usable]
    o = len(usable) - 1
    r, K, target, W = job["trainRatio"], job["refitEvery"], job["target"], job.get("calibrationWindow")
    out = []
    for h in range(1, job["horizon"] + 1):
        ahead = np.array([series_price[i + h] if i + h < len(series_price) else np.nan for i in usable])
        label = ahead if target == "price" else ahead / price - 1
        as_price = (lambda raw, p: raw) if target == "price" else (lambda raw, p: p * (1 + raw))
        M = o - h + 1
        s0 = int(math.floor(M * r))
        last = o - h
        history = np.empty(last - s0 + 1)
        for s in range(s0, last + 1, K):
            end = min(s + K, last + 1)
            raw = fit_predict(x[:s - h + 1], label[:s - h + 1], x[s:end])
            history[s - s0:end - s0] = as_price(raw, price[s:end])
        forecast = float(as_price(fit_predict(x[:M], label[:M], x[o:o + 1]), price[o:o + 1])[0])
        actual = ahead[s0:last + 1]
        origin_price = price[s0:last + 1]
        scores = np.abs(history - actual) / origin_price
        calibration = scores if W is None else scores[-W:]
        bounds = []
        coverage = []
        for level in job["levels"]:
            width = conformal_width(calibration, level)
            bounds.append([max(0.0, forecast - width * price[o]), forecast + width * price[o]])
            covered = []
            for i in range(len(history)):
                known = i - h + 1
                if known <= 0:
                    continue
                lo = 0 if W is None else max(0, known - W)
                w = conformal_width(scores[lo:known], level)
                if w is None:
                    continue
                low, high = max(0.0, history[i] - w * origin_price[i]), history[i] + w * origin_price[i]
                covered.append(low <= actual[i] <= high)
            coverage.append(float(np.mean(covered)) if covered else None)
        e = history - actual
        eb = origin_price - actual
        steps = np.diff(price[:s0])
        out.append({
            "horizon": h,
            "forecast": forecast,
            "bounds": bounds,
            "history": [float(v) for v in history],
            "skill": float(1 - np.mean(e ** 2) / np.mean(eb ** 2)),
            "dm": h_step_dm(e, eb, h),
            "mase": float(np.mean(np.abs(e)) / np.mean(np.abs(steps))),
            "rmsse": float(math.sqrt(np.mean(e ** 2)) / math.sqrt(np.mean(steps ** 2))),
            "coverage": coverage,
        })
    json.dump({"originDate": str(frame["date"].iloc[usable[o]])[:10], "horizons": out}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
