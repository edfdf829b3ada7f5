"""An independent least-squares fit (numpy.linalg.lstsq) to check the engine's OLS and Spark's against.

    python lstsq.py PATH [--label next_price] [--features price,volume,marketCap,rsi] [--no-scale]
                         [--centre] [--rcond R]

PATH is a CSV with a header, or JSON: {"x": [[...], ...], "y": [...]} or a list of records (objects).
Features default to price, volume, marketCap, rsi when present, else every column but the label. Prints
JSON: {"coefficients": [...], "intercept": x, "rank": k, "singularValues": [...]}, the intercept being the
coefficient of an appended column of ones.

By default each feature column is divided by its standard deviation before the solve and the coefficients
are scaled back: the same least-squares problem (an exact change of variables), but without it the raw
columns (prices ~1, volumes ~1e8, market caps ~1e9) make lstsq's SVD cut the small singular values
(docs/fit.md). --no-scale solves the raw problem. --centre also subtracts each column's mean, so
that for collinear features lstsq's minimum-norm solution is the minimum norm over the (standardized)
feature coefficients alone, the intercept not counted: the point Spark's L-BFGS fallback converges to.
--rcond sets lstsq's cut-off for small singular values (default numpy's). Reads local files only: a
test helper.
"""
import argparse
import json
import sys

import numpy as np
import pandas as pd

DEFAULT_FEATURES = ["price", "volume", "marketCap", "rsi"]


def load(path, label, features):
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if isinstance(data, dict) and "x" in data:
            return np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float)
        frame = pd.DataFrame.from_records(data)
    else:
        frame = pd.read_csv(path)
    if features is None:
        present = [c for c in DEFAULT_FEATURES if c in frame.columns]
        features = present if len(present) == len(DEFAULT_FEATURES) else [c for c in frame.columns if c != label]
    return frame[features].to_numpy(dtype=float), frame[label].to_numpy(dtype=float)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--label", default="next_price")
    parser.add_argument("--features", default=None, help="comma-separated feature columns")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--centre", action="store_true")
    parser.add_argument("--rcond", type=float, default=None)
    args = parser.parse_args(argv)
    x, y = load(args.path, args.label, args.features.split(",") if args.features else None)
    scale = np.ones(x.shape[1])
    if not args.no_scale:
        std = x.std(axis=0)
        scale = np.where(std > 0, std, 1.0)
    shift = x.mean(axis=0) if args.centre else np.zeros(x.shape[1])
    design = np.column_stack([(x - shift) / scale, np.ones(len(y))])
    solution, _residuals, rank, singular = np.linalg.lstsq(design, y, rcond=args.rcond)
    coefficients = solution[:-1] / scale
    intercept = solution[-1] - float(np.dot(coefficients, shift))
    json.dump({"coefficients": [float(c) for c in coefficients], "intercept": float(intercept),
               "rank": int(rank), "singularValues": [float(s) for s in singular]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
