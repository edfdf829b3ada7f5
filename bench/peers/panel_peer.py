"""Benchmark peer for panels (docs/input.md#panels): the engine's per-asset work on a many-asset CSV, written the way
a polars + numpy user would, with every asset's work done at once (polars window expressions over `asset`,
numpy segment sums and batched solves), never a Python loop over assets.

    python bench/peers/panel_peer.py predict    --input F.csv --output DIR [--seed 42] [--train-ratio 0.7]
    python bench/peers/panel_peer.py experiment --input F.csv --output DIR [--train-ratio 0.7] [--refit-every 1]
                                                [--set NAME=SPEC ...]

predict, per asset: sort by date (stable) and keep the last row of each date -> RSI-14 as ta computes it
(Wilder: ewm_mean(alpha=1/14, adjust=False, min_samples=14) of the gains and losses) -> next price
(shift(-1)) -> drop nulls -> Spark's seeded randomSplit([r, 1 - r], seed) -> least squares -> the test rows
with predictions to Parquet partitioned by asset (DIR/asset=<name>/*.parquet, snappy; one DIR/_SUCCESS).
The split is Spark's sampler replayed exactly (spark_split.py): a one-asset file's split assigns row i of the
cleaned rows the i-th draw of XORShiftRandom(seed), and every asset is split as its own file would be, so
every asset's row i gets the same i-th draw; the draws are computed once, for the longest asset.
The fit: the normal equations on the asset's centred and standardised training rows (the same equations
Spark's solver forms; numpy's batched solve instead of its Cholesky), all assets in one batched solve.

experiment (docs/experiment.md per asset, and its panel Diebold-Mariano test, docs/experiment.md#the-panel-test): every feature of
every set and next_price present (the asset's common rows), trainCount = floor(n * r), an expanding window
refitted every K rows, persistence as the baseline; per asset and set rmse, mae, mape, r2,
directionalAccuracy, skill and dm; per set the panel test. A refit reads running sums: the design matrix
[features, 1] is shifted and scaled per asset (by the training rows' mean and standard deviation, which
changes no least-squares forecast) and the cumulative sums of its outer products give every refit's normal
equations; all of a block of assets' refits are solved in one batched solve. Writes DIR/results.json and
DIR/forecasts.parquet (asset_index, date, price, next_price, persistence, one column per set); no HTML report.

Features a set may name (those of the benchmark's sets): price, volume, marketCap, rsi, sma_indicator,
ema_indicator, roc (ta's defaults: 14, 12, 12, 12). Valid, clean input is assumed (no missing values).
Prints one JSON line of counts on stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Dict, List, Sequence

import numpy as np
import polars as pl
from scipy.special import stdtr

from spark_split import next_doubles

VALUE_COLUMNS = ["price", "volume", "marketCap"]
PREDICT_FEATURES = ["price", "volume", "marketCap", "rsi"]
OUTPUT_COLUMNS = ["date", "price", "volume", "marketCap", "rsi", "next_price", "prediction"]
DEFAULT_SETS = [
    "base=price,volume,marketCap,rsi",
    "price_only=price",
    "base+sma=price,volume,marketCap,rsi,sma_indicator",
    "base+ema=price,volume,marketCap,rsi,ema_indicator",
    "base+roc=price,volume,marketCap,rsi,roc",
]
ASSET_BLOCK_ROWS = 65_536  # rows per batch of assets in the walk-forward (bounds the outer products' memory)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="panel benchmark peer (polars + numpy)")
    parser.add_argument("command", choices=["predict", "experiment"])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--refit-every", type=int, default=1)
    parser.add_argument("--set", action="append", dest="sets", help="NAME=SPEC (default: the five benchmark sets)")
    return parser.parse_args(argv)


# ---- reading and features --------------------------------------------------------------------------------

def read_panel(path: str) -> pl.DataFrame:
    """The panel sorted by asset, then date (stable), the last row of a repeated (asset, date) kept."""
    frame = pl.read_csv(path, columns=["date", *VALUE_COLUMNS, "asset"],
                        schema_overrides={"date": pl.Date, "price": pl.Float64, "volume": pl.Float64,
                                          "marketCap": pl.Float64, "asset": pl.String})
    frame = frame.with_columns(pl.col("asset").str.strip_chars())
    return frame.sort(["asset", "date"], maintain_order=True).unique(["asset", "date"], keep="last", maintain_order=True)


def rsi(price: pl.Expr, window: int = 14) -> pl.Expr:
    """ta's RSIIndicator per asset: the first difference (0 on the asset's first row), its gains and losses
    Wilder-averaged (EWM, alpha = 1/window, adjust=False, null before `window` observations)."""
    diff = price.diff().fill_null(0.0)
    up = diff.clip(lower_bound=0.0).ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window).over("asset")
    down = (-diff).clip(lower_bound=0.0).ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window).over("asset")
    return pl.when(down == 0).then(100.0).otherwise(100.0 - 100.0 / (1.0 + up / down))


def feature(name: str) -> pl.Expr:
    """One feature item per asset, as ta 0.11.0 computes it with its default arguments."""
    price = pl.col("price")
    if name in VALUE_COLUMNS:
        return price if name == "price" else pl.col(name)
    if name == "rsi":
        return rsi(price)
    if name == "sma_indicator":  # close.rolling(12, min_periods=12).mean()
        return price.rolling_mean(12, min_samples=12).over("asset")
    if name == "ema_indicator":  # close.ewm(span=12, min_periods=12, adjust=False).mean()
        return price.ewm_mean(span=12, adjust=False, min_samples=12).over("asset")
    if name == "roc":  # (close - close.shift(12)) / close.shift(12) * 100
        before = price.shift(12).over("asset")
        return (price - before) / before * 100
    raise SystemExit(f"panel_peer: feature {name!r} is not one this peer computes")


def segments(codes: np.ndarray) -> tuple:
    """Starts and lengths of the runs of equal codes (rows sorted by asset)."""
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(codes)]]))
    return starts, lengths


def position_in_segment(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each row's position within its run: 0, 1, ... per asset."""
    return np.arange(lengths.sum()) - np.repeat(starts, lengths)


def write_success(output: str) -> None:
    open(os.path.join(output, "_SUCCESS"), "wb").close()


# ---- predict ---------------------------------------------------------------------------------------------

def segment_fit(x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple:
    """Per segment (asset) ordinary least squares with an intercept: normal equations on centred and
    standardised features and label (Spark's, docs/fit.md), one batched solve. Returns (A, k) coefficients
    and (A,) intercepts."""
    counts = lengths.astype(np.float64)
    group = np.repeat(np.arange(len(starts)), lengths)
    mean = np.add.reduceat(x, starts, axis=0) / counts[:, None]
    centred = x - mean[group]
    std = np.sqrt(np.add.reduceat(centred * centred, starts, axis=0) / (counts[:, None] - 1))
    y_mean = np.add.reduceat(y, starts) / counts
    y_centred = y - y_mean[group]
    y_std = np.sqrt(np.add.reduceat(y_centred * y_centred, starts) / (counts - 1))
    z = centred / std[group]
    w = y_centred / y_std[group]
    k = x.shape[1]
    gram = np.empty((len(starts), k, k))
    for i in range(k):
        for j in range(i, k):
            gram[:, i, j] = gram[:, j, i] = np.add.reduceat(z[:, i] * z[:, j], starts)
    rhs = np.stack([np.add.reduceat(z[:, i] * w, starts) for i in range(k)], axis=1)
    beta = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
    coefficients = beta * (y_std[:, None] / std)
    intercept = y_mean - np.einsum("ak,ak->a", coefficients, mean)
    return coefficients, intercept


def predict(args: argparse.Namespace) -> dict:
    frame = read_panel(args.input)
    rows_read = frame.height
    cleaned = frame.with_columns(rsi(pl.col("price")).alias("rsi"),
                                 pl.col("price").shift(-1).over("asset").alias("next_price")).drop_nulls()
    codes = cleaned.get_column("asset").rank("dense").to_numpy()
    starts, lengths = segments(codes)
    # Spark's split replayed per asset: row i of an asset draws the i-th double of the seed's stream.
    draws = next_doubles(args.seed, int(lengths.max()))[position_in_segment(starts, lengths)]
    # Dataset.randomSplit's bounds: the weights normalised and cumulated from 0.0 (spark_split.random_split).
    weights = [args.train_ratio, 1.0 - args.train_ratio]
    total = weights[0] + weights[1]
    bounds = [0.0, weights[0] / total]
    bounds.append(bounds[1] + weights[1] / total)
    train = draws < bounds[1]
    test = (draws >= bounds[1]) & (draws < bounds[2])

    x = cleaned.select(PREDICT_FEATURES).to_numpy()
    y = cleaned.get_column("next_price").to_numpy()
    train_starts, train_lengths = segments(codes[train])
    if len(train_starts) != len(starts) or train_lengths.min() < len(PREDICT_FEATURES) + 2:
        raise SystemExit("panel_peer: an asset has too few training rows for this peer (the engine would skip it)")
    coefficients, intercept = segment_fit(x[train], y[train], train_starts, train_lengths)
    group = np.repeat(np.arange(len(starts)), lengths)[test]
    prediction = np.einsum("ik,ik->i", x[test], coefficients[group]) + intercept[group]
    tested = cleaned.filter(pl.Series(test)).with_columns(pl.Series("prediction", prediction))
    os.makedirs(args.output, exist_ok=True)
    tested.select(["asset", *OUTPUT_COLUMNS]).write_parquet(args.output, compression="snappy", partition_by="asset")
    write_success(args.output)
    return {"peer": "panel-polars", "command": "predict", "rowsRead": rows_read, "assets": len(starts),
            "afterDropNulls": cleaned.height, "train": int(train.sum()), "test": int(test.sum())}


# ---- experiment ------------------------------------------------------------------------------------------

def parse_sets(texts: List[str]) -> Dict[str, List[str]]:
    sets: Dict[str, List[str]] = {}
    for text in texts:
        name, _, spec = text.partition("=")
        sets[name.strip()] = [item.strip() for item in spec.split(",") if item.strip()]
    return sets


def cholesky_solve(gram: dict, rhs: List[np.ndarray], p: int) -> List[np.ndarray]:
    """Many small symmetric positive definite systems at once: gram[(i, j)] (i <= j) and rhs[i] are arrays
    over the systems; Cholesky, then forward and back substitution, one numpy operation per entry (a p x p
    system costs ~p^3/3 vector operations however many systems there are: numpy.linalg.solve's per-matrix
    LAPACK calls took tens of seconds for the millions of refits)."""
    low: Dict[tuple, np.ndarray] = {}
    for j in range(p):
        d = gram[(j, j)] - sum((low[(j, m)] ** 2 for m in range(j)), np.zeros_like(gram[(j, j)]))
        low[(j, j)] = np.sqrt(d)
        for i in range(j + 1, p):
            low[(i, j)] = (gram[(j, i)] - sum((low[(i, m)] * low[(j, m)] for m in range(j)), np.zeros_like(d))) / low[(j, j)]
    z: List[np.ndarray] = []
    for i in range(p):
        z.append((rhs[i] - sum((low[(i, m)] * z[m] for m in range(i)), np.zeros_like(rhs[i]))) / low[(i, i)])
    x: List[np.ndarray] = [np.empty(0)] * p
    for i in reversed(range(p)):
        x[i] = (z[i] - sum((low[(m, i)] * x[m] for m in range(i + 1, p)), np.zeros_like(z[i]))) / low[(i, i)]
    return x


def walk_forward(x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray, train_counts: np.ndarray,
                 refit_every: int) -> np.ndarray:
    """Every asset's walk-forward forecasts of its test rows (concatenated in asset order): the forecast of
    test row t fitted on rows 0 .. s-1, s = trainCount + K floor((t - trainCount) / K), from the running sums
    of the shifted and scaled design [x, 1]."""
    forecasts = []
    k = x.shape[1]
    block_start = 0
    while block_start < len(starts):
        # A block of whole assets of about ASSET_BLOCK_ROWS rows.
        block_end = block_start + 1
        while block_end < len(starts) and starts[block_end] + lengths[block_end] - starts[block_start] <= ASSET_BLOCK_ROWS:
            block_end += 1
        lo, hi = starts[block_start], starts[block_end - 1] + lengths[block_end - 1]
        b_starts = starts[block_start:block_end] - lo
        b_lengths = lengths[block_start:block_end]
        b_train = train_counts[block_start:block_end]
        group = np.repeat(np.arange(block_end - block_start), b_lengths)
        position = position_in_segment(b_starts, b_lengths)
        xb, yb = x[lo:hi], y[lo:hi]
        # Shift and scale per asset by its training rows' mean and standard deviation (conditioning only).
        in_train = position < b_train[group]
        train_starts = b_starts  # the training rows are each asset's first rows
        counts = b_train.astype(np.float64)
        mean = np.add.reduceat(np.where(in_train[:, None], xb, 0.0), train_starts, axis=0) / counts[:, None]
        centred = xb - mean[group]
        var = np.add.reduceat(np.where(in_train[:, None], centred * centred, 0.0), train_starts, axis=0) / counts[:, None]
        scale = np.sqrt(var)
        scale[scale == 0] = 1.0
        design = np.concatenate([centred / scale[group], np.ones((hi - lo, 1))], axis=1)
        y_mean = np.add.reduceat(np.where(in_train, yb, 0.0), train_starts) / counts
        y_centred = yb - y_mean[group]
        y_scale = np.sqrt(np.add.reduceat(np.where(in_train, y_centred * y_centred, 0.0), train_starts) / counts)
        y_scale[y_scale == 0] = 1.0
        label = y_centred / y_scale[group]
        p = k + 1
        pairs = [(i, j) for i in range(p) for j in range(i, p)]
        # Running sums of the Gram matrix's upper triangle and of design * label down the block; a window's
        # sums are the difference of two of them (every term is O(1) after the scaling, and a block holds
        # at most ASSET_BLOCK_ROWS rows, so the difference keeps ~12 significant digits).
        sums = np.empty((hi - lo + 1, len(pairs) + p))
        sums[0] = 0.0
        for c, (i, j) in enumerate(pairs):
            np.multiply(design[:, i], design[:, j], out=sums[1:, c])
        np.multiply(design, label[:, None], out=sums[1:, len(pairs):])
        cumulative = np.cumsum(sums, axis=0, out=sums)
        # Test rows and the first row of each one's refit block: its fit reads rows 0 .. block - 1.
        test = position >= b_train[group]
        t_rows = np.flatnonzero(test)
        t_pos = position[test]
        t_group = group[test]
        starts_block = (t_pos - b_train[t_group]) % refit_every == 0
        firsts = np.flatnonzero(starts_block)
        block = b_train[t_group[firsts]] + refit_every * ((t_pos[firsts] - b_train[t_group[firsts]]) // refit_every)
        window = cumulative[b_starts[t_group[firsts]] + block] - cumulative[b_starts[t_group[firsts]]]
        del cumulative
        gram = {pair: window[:, c] for c, pair in enumerate(pairs)}
        solution = cholesky_solve(gram, [window[:, len(pairs) + i] for i in range(p)], p)
        which = np.cumsum(starts_block) - 1
        forecast = sum(design[t_rows, i] * solution[i][which] for i in range(p)) * y_scale[t_group] + y_mean[t_group]
        forecasts.append(forecast)
        block_start = block_end
    return np.concatenate(forecasts)


def segment_means(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts) / lengths


def dm_test(d: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple:
    """Diebold-Mariano (squared-error loss, horizon 1, Harvey-Leybourne-Newbold) per segment of d."""
    T = lengths.astype(np.float64)
    group = np.repeat(np.arange(len(starts)), lengths)
    mean = segment_means(d, starts, lengths)
    gamma0 = segment_means((d - mean[group]) ** 2, starts, lengths)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = mean / np.sqrt(gamma0 / T) * np.sqrt((T - 1) / T)
    p_value = 2 * stdtr(T - 1, -np.abs(statistic))
    return statistic, p_value


def metrics(forecast: np.ndarray, actual: np.ndarray, price: np.ndarray, baseline_errors, starts, lengths) -> dict:
    """Section 10's metrics per asset (arrays over assets)."""
    e = forecast - actual
    group = np.repeat(np.arange(len(starts)), lengths)
    mse = segment_means(e * e, starts, lengths)
    actual_mean = segment_means(actual, starts, lengths)
    moved = actual != price
    right = moved & (np.sign(forecast - price) == np.sign(actual - price))
    moved_count = np.add.reduceat(moved.astype(np.float64), starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = {
            "rmse": np.sqrt(mse),
            "mae": segment_means(np.abs(e), starts, lengths),
            "mape": segment_means(np.abs(e) / np.abs(actual), starts, lengths),
            "r2": 1 - np.add.reduceat(e * e, starts) / np.add.reduceat((actual - actual_mean[group]) ** 2, starts),
            "directionalAccuracy": np.add.reduceat(right.astype(np.float64), starts) / moved_count,
        }
        if baseline_errors is None:
            result["skill"] = np.zeros(len(starts))
            return result
        baseline_mse = segment_means(baseline_errors ** 2, starts, lengths)
        result["skill"] = 1 - mse / baseline_mse
    statistic, p_value = dm_test(e * e - baseline_errors ** 2, starts, lengths)
    result["dm"] = (statistic, p_value)
    return result


def panel_dm(e: np.ndarray, ep: np.ndarray, dates: np.ndarray, group: np.ndarray, baseline_mse: np.ndarray) -> dict:
    """Section 12's panel test: d[a,t] = (e^2 - ep^2) / mean_t(ep^2) of asset a, averaged per date over the
    assets with a test row that day, then the one-asset statistic on that series in date order."""
    keep = baseline_mse[group] > 0
    d = (e * e - ep * ep)[keep] / baseline_mse[group][keep]
    day_codes, inverse = np.unique(dates[keep], return_inverse=True)
    dbar = np.bincount(inverse, weights=d) / np.bincount(inverse)
    statistic, p_value = dm_test(dbar, np.array([0]), np.array([len(dbar)]))
    return {"statistic": float(statistic[0]), "pValue": float(p_value[0]), "dates": int(len(day_codes))}


def experiment(args: argparse.Namespace) -> dict:
    sets = parse_sets(args.sets or DEFAULT_SETS)
    items = sorted({item for spec in sets.values() for item in spec})
    frame = read_panel(args.input)
    rows_read = frame.height
    computed = frame.with_columns(*[feature(name).alias(f"f:{name}") for name in items],
                                  pl.col("price").shift(-1).over("asset").alias("next_price"))
    columns = [f"f:{name}" for name in items] + ["next_price"]
    common = computed.filter(pl.all_horizontal([pl.col(c).is_not_null() & pl.col(c).is_finite() for c in columns]))
    assets = common.get_column("asset")
    codes = assets.rank("dense").to_numpy()
    starts, lengths = segments(codes)
    names = assets.gather(starts).to_list()
    train_counts = np.floor(lengths * args.train_ratio).astype(np.int64)
    group = np.repeat(np.arange(len(starts)), lengths)
    position = position_in_segment(starts, lengths)
    test = position >= train_counts[group]
    test_lengths = lengths - train_counts
    test_starts = np.concatenate([[0], np.cumsum(test_lengths)[:-1]])

    price = common.get_column("price").to_numpy()
    next_price = common.get_column("next_price").to_numpy()
    dates = common.get_column("date").to_physical().to_numpy()
    actual, today = next_price[test], price[test]
    persistence_errors = today - actual
    forecasts = {"persistence": today}
    per_set = {"persistence": metrics(today, actual, today, None, test_starts, test_lengths)}
    for name, spec in sets.items():
        x = common.select([f"f:{item}" for item in spec]).to_numpy()
        forecast = walk_forward(x, next_price, starts, lengths, train_counts, args.refit_every)
        forecasts[name] = forecast
        per_set[name] = metrics(forecast, actual, today, persistence_errors, test_starts, test_lengths)

    test_group = group[test]
    test_dates = dates[test]
    baseline_mse = segment_means(persistence_errors ** 2, test_starts, test_lengths)
    panel_sets = []
    for name in sets:
        skill = per_set[name]["skill"]
        panel_sets.append({"name": name, "assets": len(starts), "assetsBeatingPersistence": int((skill > 0).sum()),
                           "medianSkill": float(np.median(skill)),
                           "dm": panel_dm(forecasts[name] - actual, persistence_errors, test_dates, test_group, baseline_mse)})

    def number(v) -> float | None:
        v = float(v)
        return v if math.isfinite(v) else None

    def set_metrics(m: dict, a: int) -> dict:
        out = {key: number(m[key][a]) for key in ("rmse", "mae", "mape", "r2", "directionalAccuracy", "skill")}
        out["dm"] = None if "dm" not in m else {"statistic": number(m["dm"][0][a]), "pValue": number(m["dm"][1][a])}
        return out

    first_dates = test_dates[test_starts]
    last_dates = test_dates[test_starts + test_lengths - 1]
    iso = lambda day: str(np.datetime64(int(day), "D"))  # noqa: E731
    results = {
        "peer": "panel-polars", "command": "experiment", "trainRatio": args.train_ratio, "refitEvery": args.refit_every,
        "assets": [{"asset": names[a], "rows": int(lengths[a]), "trainRows": int(train_counts[a]),
                    "testRows": int(test_lengths[a]), "firstTestDate": iso(first_dates[a]), "lastTestDate": iso(last_dates[a]),
                    "sets": [{"name": name, "metrics": set_metrics(per_set[name], a)} for name in per_set]}
                   for a in range(len(starts))],
        "panel": {"leftOut": [names[a] for a in np.flatnonzero(baseline_mse == 0)], "sets": panel_sets},
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    table = pl.DataFrame({"asset_index": test_group.astype(np.float64)}).hstack(
        common.filter(pl.Series(test)).select(["date", "price", "next_price"]))
    table = table.with_columns(*[pl.Series(name, values) for name, values in forecasts.items()])
    table.write_parquet(os.path.join(args.output, "forecasts.parquet"), compression="snappy")
    return {"peer": "panel-polars", "command": "experiment", "rowsRead": rows_read, "assets": len(starts),
            "commonRows": common.height, "testRows": int(test.sum()), "sets": list(sets)}


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    summary = predict(args) if args.command == "predict" else experiment(args)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
