"""An independent walk-forward evaluation (docs/experiment.md) in numpy/pandas/ta, to check
`pricecast experiment` against.

    python walkforward.py JOB.json

JOB.json: {"csv": PATH, "trainRatio": r, "refitEvery": K, "target": "price"|"return",
           "sets": [{"name": ..., "items": [{"fn": "rsi", "args": {"window": 9}}, ...]}, ...],
           "parquet": optional path of the engine's forecasts.parquet, read back with pandas}

Prints JSON: {"rows", "trainRows", "testRows", "firstTestDate", "forecasts": {name: [...]},
"metrics": {name: {rmse, mae, mape, r2, directionalAccuracy, skill, dm: {statistic, pValue} | null}}},
persistence included. Nothing is shared with the TypeScript code: pandas reads and de-duplicates the
CSV, ta computes the indicators (its functional API, close = price), numpy.linalg.lstsq fits each
window from scratch (features divided by their standard deviation, as test/py/lstsq.py explains), and
the Student t tail comes from a continued fraction for the regularised incomplete beta function.
"""
import inspect
import json
import math
import sys

import numpy as np
import pandas as pd
import ta

TA_MODULES = [ta.momentum, ta.trend, ta.volatility, ta.volume, ta.others]


def load_series(path):
    frame = pd.read_csv(path, usecols=["date", "price", "volume", "marketCap"])
    frame = frame.drop_duplicates(subset="date", keep="last")
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


def feature_column(frame, fn, args):
    if fn in ("price", "volume", "marketCap"):
        return frame[fn].astype(float)
    for module in TA_MODULES:
        function = getattr(module, fn, None)
        if function is not None and inspect.isfunction(function):
            params = inspect.signature(function).parameters
            kwargs = dict(args)
            if "close" in params:
                kwargs["close"] = frame["price"]
            if "volume" in params:
                kwargs["volume"] = frame["volume"]
            if "fillna" in params:
                kwargs["fillna"] = False
            return function(**kwargs).astype(float)
    raise SystemExit(f"unknown feature {fn}")


def fit_predict(x_train, y_train, x_test):
    std = x_train.std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    design = np.column_stack([x_train / scale, np.ones(len(y_train))])
    solution, *_ = np.linalg.lstsq(design, y_train, rcond=None)
    return (x_test / scale) @ solution[:-1] + solution[-1]


def walk_forward(x, price, next_price, train_count, k, target):
    label = next_price if target == "price" else next_price / price - 1
    n = len(label)
    out = np.empty(n - train_count)
    for s in range(train_count, n, k):
        end = min(s + k, n)
        raw = fit_predict(x[:s], label[:s], x[s:end])
        out[s - train_count:end - train_count] = raw if target == "price" else price[s:end] * (1 + raw)
    return out


def betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise RuntimeError("betacf did not converge")


def regularized_beta(a, b, x):
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * betacf(a, b, x) / a
    return 1.0 - front * betacf(b, a, 1 - x) / b


def t_two_sided(t, dof):
    """P(|T| > |t|) for Student's t with dof degrees of freedom: I_{dof/(dof+t²)}(dof/2, 1/2)."""
    return regularized_beta(dof / 2.0, 0.5, dof / (dof + t * t))


def metrics(forecast, actual, price, baseline):
    e = forecast - actual
    mse = np.mean(e ** 2)
    moved = actual != price
    direction = np.sign(forecast - price) == np.sign(actual - price)
    result = {
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(e))),
        "mape": float(np.mean(np.abs(e) / np.abs(actual))),
        "r2": float(1 - np.sum(e ** 2) / np.sum((actual - actual.mean()) ** 2)),
        "directionalAccuracy": float(np.mean(direction[moved])) if moved.any() else None,
    }
    if baseline is None:
        result["skill"] = 0.0
        result["dm"] = None
        return result
    eb = baseline - actual
    result["skill"] = float(1 - mse / np.mean(eb ** 2))
    d = e ** 2 - eb ** 2
    T = len(d)
    gamma0 = np.mean((d - d.mean()) ** 2)
    statistic = d.mean() / math.sqrt(gamma0 / T) * math.sqrt((T - 1) / T)
    result["dm"] = {"statistic": float(statistic), "pValue": t_two_sided(statistic, T - 1)}
    return result


def main(path):
    with open(path, encoding="utf-8") as handle:
        job = json.load(handle)
    frame = load_series(job["csv"])
    columns = {}
    set_columns = []
    for s in job["sets"]:
        names = []
        for item in s["items"]:
            key = json.dumps([item["fn"], item["args"]], sort_keys=True)
            if key not in columns:
                columns[key] = feature_column(frame, item["fn"], item["args"]).to_numpy()
            names.append(key)
        set_columns.append(names)
    next_price = frame["price"].shift(-1).to_numpy(dtype=float)
    keep = np.isfinite(next_price)
    for values in columns.values():
        keep &= np.isfinite(values)
    price = frame["price"].to_numpy(dtype=float)[keep]
    next_price = next_price[keep]
    dates = frame["date"].to_numpy()[keep]
    n = len(price)
    train_count = int(math.floor(n * job["trainRatio"]))
    actual = next_price[train_count:]
    today = price[train_count:]
    persistence = today.copy()
    forecasts = {"persistence": persistence}
    result_metrics = {"persistence": metrics(persistence, actual, today, None)}
    for s, names in zip(job["sets"], set_columns):
        x = np.column_stack([columns[key][keep] for key in names])
        f = walk_forward(x, price, next_price, train_count, job["refitEvery"], job["target"])
        forecasts[s["name"]] = f
        result_metrics[s["name"]] = metrics(f, actual, today, persistence)
    parquet = {}
    if job.get("parquet"):
        # The engine's forecasts.parquet as pandas (pyarrow) reads it: largest relative difference of
        # each column from this script's own values.
        table = pd.read_parquet(job["parquet"])
        parquet["columns"] = list(table.columns)
        parquet["dates"] = [str(d)[:10] for d in table["date"]]
        expected = {"price": today, "next_price": actual, **forecasts}
        parquet["maxRelativeDifference"] = {
            name: float(np.max(np.abs(table[name].to_numpy() - values) / np.maximum(np.abs(values), 1e-300)))
            for name, values in expected.items()
        }
    json.dump({
        "parquet": parquet,
        "rows": n,
        "trainRows": train_count,
        "testRows": n - train_count,
        "firstTestDate": str(dates[train_count]),
        "forecasts": {name: [float(v) for v in values] for name, values in forecasts.items()},
        "metrics": result_metrics,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
