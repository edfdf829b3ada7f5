"""Benchmark peer: `pricecast experiment --refit-every 1` (docs/experiment.md) done the way numpy does it
best, for bench/experimentPeers.ts.

    python experiment_incremental.py --input F.csv --sets SETS.json [--train-ratio 0.7] [--naive-sample N]

SETS.json is the engine's own `--sets` file, a map {NAME: "item,item,..."} of plain feature names
(price, volume, marketCap and ta's function names at their default arguments; no arguments).

The steps, for the contract of docs/experiment.md (expanding window, refit before every test row):

- read (decimals correctly rounded) and dedupe as pandas does it (the last row of a date wins, then date order);
- features: every distinct item once, with ta's functional API (close = price, fillna=False), as
  bench/peers/ta_features_peer.py and test/py/walkforward.py call it;
- common rows: every feature of every set finite and next_price present; trainCount = floor(n · r);
- the fit, per set: with a_i = [x_i, 1] and the label y_i = next_price_i, the refit before test row t
  solves the normal equations of rows 0 … t − 1. Their sums Σ a aᵀ and Σ a y are prefix sums over the
  rows (np.cumsum of the per-row outer products), so every refit is read off at index t and all
  T = n − trainCount systems are solved in one batched np.linalg.solve. To keep the normal equations
  well conditioned the columns are first shifted and scaled by the training rows' mean and standard
  deviation (an affine change of variables, which leaves an OLS forecast with intercept unchanged),
  and each window is solved centred (Σ(x − x̄)(x − x̄)ᵀ β = Σ(x − x̄)(y − ȳ)) with its diagonal scaled
  to 1: the forecast is ȳ + (x_t − x̄)ᵀ β. Cost: n·(k+1)² for the sums plus T small solves, against
  T passes over up to n rows for a refit from scratch;
- persistence (tomorrow = today) and, per set, rmse, mae and skill = 1 − mse / mse_persistence.

How closely it should agree with the engine: both solve normal equations, whose rounding error grows with
cond(A)² (A the design matrix), but not the same ones: the engine repeats Spark's (uncentred sums, each
column divided by its standard deviation, the intercept as a column of ones, Cholesky; docs/fit.md), this
peer centres each window first. On the bench sets cond(A) is about 10–40 in either form, so the forecasts
agree to ~1e-13 and rmse, mae and skill to ~1e-14; bench/experimentPeers.ts asks 1e-6 (rmse, mae relative,
skill absolute), which leaves room for a set with cond(A) up to ~1e5 (ε·cond² ≈ 1e-6). A set whose columns
are exactly collinear (cumulative_return is affine in price) has no unique coefficients, only a unique
forecast; it is listed under `singular`, and bench/experimentPeers.ts reports it apart.

--naive-sample N also times N refits per set of the naive loop (np.linalg.lstsq on the whole window,
from scratch, at N test rows spread evenly over the test period, the way test/py/walkforward.py fits),
checks their forecasts against the batched ones, and extrapolates: Σ over sets of the mean time of a
refit × T. That figure is an estimate, not a measurement.

Prints one JSON object: rows, trainRows, testRows, metrics {name: {rmse, mae, skill}} (persistence
first), seconds {read, features, rows, fit, metrics, total} (wall, time.perf_counter, inside this process:
not Python's start-up and imports), cpuSeconds (the same, time.process_time), singular (sets with a
window np.linalg.solve found singular, solved by the pseudo-inverse instead) and, with --naive-sample, naive {...}.
"""
from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import time
import warnings

import numpy as np
import pandas as pd
import ta

warnings.simplefilter("ignore")
TA_MODULES = (ta.momentum, ta.trend, ta.volatility, ta.volume, ta.others)
COLUMNS = ("price", "volume", "marketCap")


class Clock:
    """Wall and CPU seconds per step, in the order the steps ran."""

    def __init__(self):
        self.wall, self.cpu = {}, {}
        self._start = (time.perf_counter(), time.process_time())

    def lap(self, step):
        now = (time.perf_counter(), time.process_time())
        self.wall[step] = self.wall.get(step, 0.0) + now[0] - self._start[0]
        self.cpu[step] = self.cpu.get(step, 0.0) + now[1] - self._start[1]
        self._start = now


def read_series(path):
    # float_precision="round_trip": correctly rounded decimals, as the engine (and Spark's Double.parseDouble)
    # parses them. pandas' default parser is off by an ulp on ~18% of the 200k file's prices, and stc's
    # stochastic of a stochastic turns that into other values: where its smoothed line sits at exactly
    # 100 for a whole cycle, max − min = 0 gives NaN, and one ulp changes how long that NaN run is.
    frame = pd.read_csv(path, usecols=["date", *COLUMNS], dtype={"date": str, **{c: np.float64 for c in COLUMNS}},
                        float_precision="round_trip")
    frame = frame.drop_duplicates("date", keep="last")
    return frame.sort_values("date", kind="stable", ignore_index=True)


def ta_function(name):
    for module in TA_MODULES:
        function = getattr(module, name, None)
        if function is not None and inspect.isfunction(function) and function.__module__ == module.__name__:
            return function
    raise SystemExit(f"experiment_incremental.py: unknown feature {name!r}")


def feature_column(frame, name):
    if name in COLUMNS:
        return frame[name].to_numpy(dtype=np.float64)
    function = ta_function(name)
    params = inspect.signature(function).parameters
    inputs = {"close": frame["price"], "volume": frame["volume"]}
    kwargs = {p: inputs[p] for p, v in params.items() if v.default is inspect.Parameter.empty}
    return np.asarray(function(**kwargs, fillna=False), dtype=np.float64)


def parse_sets(path):
    with open(path, encoding="utf-8") as handle:
        sets = json.load(handle)
    parsed = {}
    for name, spec in sets.items():
        items = spec if isinstance(spec, list) else spec.split(",")
        items = [item.strip() for item in items if item.strip()]
        if any("(" in item for item in items):
            raise SystemExit(f"experiment_incremental.py: set {name}: arguments are not supported, only names")
        parsed[name] = items
    return parsed


def expanding_forecasts(x, y, train_count):
    """The forecast of y[t] for every t ≥ train_count from the OLS fit (with intercept) of rows 0 … t − 1.

    Returns (forecasts, singular): singular is True when np.linalg.solve found some window's system singular;
    every window of the set is then solved by the pseudo-inverse (minimum-norm least squares)."""
    n, k = x.shape
    # An affine change of variables (training rows' mean and std): the OLS forecast does not change,
    # and the sums below stay free of the large means (volume, marketCap) that would cancel.
    shift = x[:train_count].mean(axis=0)
    scale = x[:train_count].std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - shift) / scale
    y_shift = y[:train_count].mean()
    y_scale = y[:train_count].std() or 1.0
    v = (y - y_shift) / y_scale
    # Prefix sums: the refit before test row t reads the sums of rows 0 … t − 1. Rows 0 … trainCount − 2
    # are summed once (a matrix product), then the running sums over rows trainCount − 1 … n − 2 follow
    # by np.cumsum; Σ z zᵀ is kept as its upper triangle (k(k+1)/2 columns) and mirrored at the end.
    head, tail = slice(0, train_count - 1), slice(train_count - 1, n - 1)
    upper_i, upper_j = np.triu_indices(k)
    zz_head = z[head].T @ z[head]
    upper = np.cumsum(z[tail, upper_i] * z[tail, upper_j], axis=0) + zz_head[upper_i, upper_j]
    zz = np.empty((n - train_count, k, k))
    zz[:, upper_i, upper_j] = upper
    zz[:, upper_j, upper_i] = upper
    zv = np.cumsum(z[tail] * v[tail, None], axis=0) + z[head].T @ v[head]
    zs = np.cumsum(z[tail], axis=0) + z[head].sum(axis=0)
    vs = np.cumsum(v[tail]) + v[head].sum()
    m = np.arange(train_count, n, dtype=np.float64)
    mean_z = zs / m[:, None]
    mean_v = vs / m
    cov = zz - m[:, None, None] * mean_z[:, :, None] * mean_z[:, None, :]
    cross = zv - m[:, None] * mean_z * mean_v[:, None]
    # Diagonal scaling (Jacobi) of every window's system, then one batched solve.
    d = np.sqrt(np.einsum("tii->ti", cov))
    d[d == 0] = 1.0
    system = cov / (d[:, :, None] * d[:, None, :])
    singular = False
    try:
        beta = np.linalg.solve(system, (cross / d)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        # Exactly collinear features (cumulative_return is affine in price): the minimum-norm solution,
        # by a batched pseudo-inverse; the forecast of a row obeying the same relation does not depend on
        # which solution is taken.
        singular = True
        beta = np.einsum("tij,tj->ti", np.linalg.pinv(system, rcond=1e-10, hermitian=True), cross / d)
    beta /= d
    forecast = mean_v + np.einsum("ti,ti->t", z[train_count:] - mean_z, beta)
    return forecast * y_scale + y_shift, singular


def naive_forecast(x, y, t):
    """The refit before test row t from scratch, as test/py/walkforward.py fits: lstsq on rows 0 … t − 1."""
    std = x[:t].std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    design = np.column_stack([x[:t] / scale, np.ones(t)])
    solution, *_ = np.linalg.lstsq(design, y[:t], rcond=None)
    return (x[t] / scale) @ solution[:-1] + solution[-1]


def error_metrics(forecast, actual, persistence_mse):
    e = forecast - actual
    mse = float(np.mean(e * e))
    return {"rmse": math.sqrt(mse), "mae": float(np.mean(np.abs(e))),
            "skill": 0.0 if persistence_mse is None else 1.0 - mse / persistence_mse}


def main(argv):
    parser = argparse.ArgumentParser(description="incremental numpy peer of pricecast experiment --refit-every 1")
    parser.add_argument("--input", required=True)
    parser.add_argument("--sets", required=True, help="the engine's --sets JSON file: {NAME: SPEC}")
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--naive-sample", type=int, default=0, help="time N naive lstsq refits per set and extrapolate")
    args = parser.parse_args(argv)
    clock = Clock()
    sets = parse_sets(args.sets)
    frame = read_series(args.input)
    clock.lap("read")

    columns = {}
    for items in sets.values():
        for item in items:
            if item not in columns:
                columns[item] = feature_column(frame, item)
    clock.lap("features")

    price_all = frame["price"].to_numpy(dtype=np.float64)
    next_all = np.roll(price_all, -1)
    next_all[-1] = np.nan
    keep = np.isfinite(next_all)
    for values in columns.values():
        keep &= np.isfinite(values)
    price, next_price = price_all[keep], next_all[keep]
    n = len(price)
    train_count = int(math.floor(n * args.train_ratio))
    actual, today = next_price[train_count:], price[train_count:]
    clock.lap("rows")

    forecasts, singular = {}, []
    designs = {}
    for name, items in sets.items():
        x = np.column_stack([columns[item][keep] for item in items])
        designs[name] = x
        forecasts[name], was_singular = expanding_forecasts(x, next_price, train_count)
        if was_singular:
            singular.append(name)
    clock.lap("fit")

    persistence = error_metrics(today, actual, None)
    persistence_mse = persistence["rmse"] ** 2
    metrics = {"persistence": persistence}
    for name, forecast in forecasts.items():
        metrics[name] = error_metrics(forecast, actual, persistence_mse)
    clock.lap("metrics")

    result = {
        "rows": n, "trainRows": train_count, "testRows": n - train_count,
        "metrics": metrics, "singular": singular,
        "seconds": {**clock.wall, "total": sum(clock.wall.values())},
        "cpuSeconds": {**clock.cpu, "total": sum(clock.cpu.values())},
    }
    if args.naive_sample > 0:
        result["naive"] = naive_estimate(designs, next_price, train_count, forecasts, args.naive_sample)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


def naive_estimate(designs, y, train_count, forecasts, sample):
    """Times `sample` naive refits per set and extrapolates to every test row (an estimate)."""
    n = len(y)
    points = np.unique(np.linspace(train_count, n - 1, sample).round().astype(int))
    estimate = cpu_estimate = 0.0
    largest_difference = 0.0
    for name, x in designs.items():
        wall = cpu = 0.0
        for t in points:
            start, start_cpu = time.perf_counter(), time.process_time()
            value = naive_forecast(x, y, t)
            wall += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
            batched = forecasts[name][t - train_count]
            largest_difference = max(largest_difference, abs(value - batched) / max(abs(value), 1e-300))
        estimate += wall / len(points) * (n - train_count)
        cpu_estimate += cpu / len(points) * (n - train_count)
    return {"refitsTimedPerSet": int(len(points)), "estimatedSeconds": estimate, "estimatedCpuSeconds": cpu_estimate,
            "largestRelativeDifferenceFromBatched": largest_difference}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
