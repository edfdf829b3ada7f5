"""The reference job's walk-forward experiment (docs/experiment.md): feature sets against persistence.

A sibling of price_regression.py, built on its stages (imported, not copied): read_input_rows, prepare_daily
(sort and dedupe, the one-daily-series check, --missing), compute_features (ta), next_price and drop_nulls on
one series; _sorted_deduped, _fill_missing_frame and feature_values inside a panel's per-asset group.

    read → (panel: groupBy(asset) prepare) common rows → one copy of them per set → groupBy(asset, set) walk-forward
      → metrics and the Diebold-Mariano test per (asset, set) → (panel: groupBy(set) panel test) → results.json

The walk-forward of every (asset, set) is one group of `groupBy("asset", "set").applyInPandas`, never a loop
on the driver, so a panel of many assets and sets runs as one Spark job. Inside a group everything follows
docs/: the expanding window refitted every K rows (docs/experiment.md#refit-schedule) on running sums solved
by the standardized normal equations (docs/fit.md#sums, docs/fit.md#cholesky-solve, the L-BFGS fallback
docs/fit.md#fallback-solver), ridge on their diagonal (docs/regularisation.md#ridge), Spark's dot product for
the forecasts (docs/fit.md#predictions), the metrics (docs/experiment.md#metrics) and the test
(docs/experiment.md#diebold-mariano-test); an elastic net or lasso set replays Spark's OWL-QN at every refit
(docs/regularisation.md#the-quasi-newton-path). Sums run in the engine's order, so the numbers are the
engine's bit for bit, the p-values within a few ulps (the parity suite allows 1e-9,
docs/parity.md#the-experiment-job).

    spark-submit walk_forward.py --input data.csv --output out/wf --set 'base=price,volume,marketCap,rsi'
        [--set 'NAME=SPEC;regParam=0.1' ...] [--train-ratio 0.7] [--refit-every 1] [--target price|return]
        [--format F] [--columns MAP] [--thousands ,] [--missing P] [--ohlc-check on|off] [--assets A,B]

Arguments may come from a file, one a line: `walk_forward.py @ARGS` (argparse's fromfile_prefix_chars).
Writes OUTPUT/results.json with the keys of the engine's results.json (docs/experiment.md#results-file; a
panel's as docs/experiment.md#what-a-panel-writes), without screening, horizons or selection.
Exit codes: 0 done; 2 bad input, a bad set or flag (one line on stderr, nothing written); 1 anything else.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import posixpath
import re
import sys
from typing import Any, List, Optional, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import price_regression as pr  # noqa: E402
from price_regression import (  # noqa: E402
    AssetProblem, BadInput, FeatureSpecError, HadoopFs, IngestOptions, OutputRefused, UsageRefused,
    _div, _dpptrf, _dpptri, _dtpsv_upper_notrans,
    _dtpsv_upper_trans, _fill_missing_frame, _js_number, _packed, _sorted_deduped, check_feature_inputs, compute_features, drop_nulls, feature_values, fma, format_feature_item,
    linear_predict, next_price, owlqn, parse_column_mapping, parse_feature_spec, prepare_daily, print_error,
    quasi_newton, read_input_rows, required_inputs, needs_ohlc, select_assets, t_two_sided_p,
)

PERSISTENCE = "persistence"
# Columns of the engine's forecasts.parquet, so no set may take their names (docs/experiment.md#feature-sets).
RESERVED_NAMES = ("date", "price", "next_price", PERSISTENCE)
SET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_+.-]{0,63}$")
# The DM test needs T - 1 >= 1 degrees of freedom (docs/experiment.md#minimum-rows).
MIN_TEST_ROWS = 2
RESULTS_FILE = "results.json"
OUTPUT_NAMES = re.compile(r"^\.?results\.json(\.crc)?$")

ASSET, SET, KIND, REPORT = "asset", "set", "__kind", "__report"


# --- the sets ----------------------------------------------------------------------------------------------------

def parse_set(text: str) -> dict:
    """--set NAME=SPEC[;regParam=λ][;elasticNet=α] (docs/experiment.md#feature-sets): the engine's parseSetFlag."""
    head, *options = text.split(";")
    equals = head.find("=")
    if equals <= 0:
        raise UsageRefused(f'--set: expected NAME=SPEC (e.g. base=price,volume,marketCap,rsi), got "{text}"')
    name, spec = head[:equals].strip(), head[equals + 1:].strip()
    if not SET_NAME.match(name):
        raise UsageRefused(f'--set: set name "{name}" must start with a letter or _ and hold only letters, digits, '
                           "_ + . - (at most 64)")
    if name in RESERVED_NAMES:
        raise UsageRefused(f'--set: set name "{name}" is reserved ({", ".join(RESERVED_NAMES)} are columns of '
                           "forecasts.parquet)")
    penalty = {}
    for option in options:
        key, _, value = (part.strip() for part in option.partition("="))
        if key not in ("regParam", "elasticNet") or value == "":
            raise UsageRefused(f'--set: expected NAME=SPEC;regParam=λ;elasticNet=α after the spec, got "{option}" '
                               f'in "{text}"')
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if key == "regParam" and not (math.isfinite(number) and number >= 0):
            raise UsageRefused(f'--set: set "{name}": regParam: expected a finite number ≥ 0, got {json.dumps(value)}')
        if key == "elasticNet" and not 0 <= number <= 1:
            raise UsageRefused(f'--set: set "{name}": elasticNet: expected a number between 0 and 1, got '
                               f"{json.dumps(value)}")
        penalty[key] = number
    try:
        items = parse_feature_spec(spec)
    except FeatureSpecError as error:
        raise UsageRefused(f'--set: set "{name}": {str(error).replace("--features: ", "")}')
    chosen = {"name": name, "items": items}
    if penalty:
        chosen["regParam"], chosen["elasticNet"] = penalty.get("regParam", 0.0), penalty.get("elasticNet", 0.0)
    return chosen


def distinct_items(sets: List[dict]) -> List[dict]:
    """Every feature item of every set once, in order of first use (the engine's commonRows keys)."""
    seen, items = set(), []
    for chosen in sets:
        for item in chosen["items"]:
            key = format_feature_item(item)
            if key not in seen:
                seen.add(key)
                items.append(item)
    return items


# --- the fit of an expanding window: running sums, then the normal equations (docs/experiment.md#refit-schedule) -

class ExpandingFit:
    """Spark's WLS sums over rows 0 … s − 1, extended row by row in date order (the engine's ExpandingFit):
    wSum += 1; bSum += b; bbSum += b·b; aSum_j += a_j; abSum_j = fma(b, a_j, abSum_j); aaSum (packed upper,
    dspr: column j skipped when a_j = 0) += a_i·a_j. The same sums as a fit from scratch on those rows."""

    def __init__(self, features: List[List[float]], label: List[float], reg_param: float = 0.0,
                 elastic_net: float = 0.0):
        self.features, self.label, self.reg_param, self.elastic_net = features, label, reg_param, elastic_net
        self.k = len(features)
        self.rows = 0
        self.w_sum = self.b_sum = self.bb_sum = 0.0
        self.a_sum, self.ab_sum = [0.0] * self.k, [0.0] * self.k
        self.aa_sum = [0.0] * (self.k * (self.k + 1) // 2)

    def extend_to(self, end: int) -> None:
        k, features, a_sum, ab_sum, aa_sum = self.k, self.features, self.a_sum, self.ab_sum, self.aa_sum
        for r in range(self.rows, end):
            b = self.label[r]
            row = [features[j][r] for j in range(k)]
            self.w_sum += 1.0
            self.b_sum += b
            self.bb_sum += b * b
            for j in range(k):
                a_sum[j] += row[j]
                ab_sum[j] = fma(b, row[j], ab_sum[j])
            p = 0
            for j in range(k):
                xj = row[j]
                if xj != 0:
                    for i in range(j + 1):
                        aa_sum[p + i] += row[i] * xj
                p += j + 1
        self.rows = max(self.rows, end)

    def solve(self) -> dict:
        return solve_sums(self.w_sum, self.b_sum, self.bb_sum, self.a_sum, self.ab_sum, self.aa_sum, self.reg_param,
                          self.elastic_net)


def solve_sums(w_sum: float, b_sum: float, bb_sum: float, a_sum: List[float], ab_sum: List[float],
               aa_sum: List[float], reg_param: float, elastic_net: float = 0.0) -> dict:
    """docs/fit.md#standardization, #cholesky-solve, #fallback-solver and #back-to-the-original-scale from the
    sums (the second half of price_regression.wls_fit, which forms its sums itself); the penalty's L2 part
    (1 − α)·λ/δ on the standardized diagonal (docs/regularisation.md#ridge), an L1 part α·λ/δ by OWL-QN
    (docs/regularisation.md#the-quasi-newton-path). Returns coefficients and intercept."""
    k = len(a_sum)
    sums = [bb_sum] + aa_sum + ab_sum
    if not all(math.isfinite(v) for v in sums):
        raise pr.FitOverflow(f"the fit overflows: the sums over the {int(w_sum)} training rows exceed the largest "
                             "double; rescale the data and rerun")
    inv = 1.0 / w_sum
    a_bar = [inv * v for v in a_sum]
    ab_bar = [inv * v for v in ab_sum]
    aa_bar = [inv * v for v in aa_sum]
    raw_b_bar = b_sum / w_sum
    b_std = math.sqrt(max(bb_sum / w_sum - raw_b_bar * raw_b_bar, 0.0))
    a_std = []
    for j in range(k):
        aw = a_sum[j] / w_sum
        a_std.append(math.sqrt(max(aa_sum[_packed(j, j)] / w_sum - aw * aw, 0.0)))
    if b_std == 0:
        return {"coefficients": [0.0] * k, "intercept": raw_b_bar}
    b_bar = raw_b_bar / b_std
    for j in range(k):
        a_bar[j] = 0.0 if a_std[j] == 0.0 else a_bar[j] / a_std[j]
        ab_bar[j] = 0.0 if a_std[j] == 0.0 else ab_bar[j] / (a_std[j] * b_std)
    p = 0
    for j in range(k):
        for i in range(j + 1):
            aa_bar[p] = 0.0 if a_std[j] == 0.0 or a_std[i] == 0.0 else aa_bar[p] / (a_std[i] * a_std[j])
            p += 1
    effective = reg_param / b_std
    l2 = (1.0 - elastic_net) * effective
    for j in range(k):
        aa_bar[_packed(j, j)] += l2
    size = k + 1
    ata = list(aa_bar) + list(a_bar) + [1.0]
    atb = list(ab_bar) + [b_bar]
    factor = list(ata)
    x = None
    if elastic_net != 0.0 and reg_param != 0.0:
        # docs/regularisation.md#the-quasi-newton-path: the job's OWL-QN (the engine's owlqn.ts, step for step).
        x, _history = owlqn(ata, atb, a_bar, b_bar, bb_sum / w_sum / (b_std * b_std), [elastic_net * effective] * k + [0.0])
    elif _dpptrf(size, factor) == 0:
        solved = list(atb)
        _dtpsv_upper_trans(size, factor, solved, 0)
        _dtpsv_upper_notrans(size, factor, solved)
        if _dpptri(size, factor) == 0:
            x = solved
    if x is None:  # not positive definite: Spark's L-BFGS on the same system
        x, _history = quasi_newton(ata, atb, a_bar, b_bar, bb_sum / w_sum / (b_std * b_std))
    coefficients = [x[j] * (b_std / a_std[j] if a_std[j] != 0.0 else 0.0) for j in range(k)]
    intercept = x[k] * b_std
    if not all(math.isfinite(c) for c in coefficients + [intercept]):
        raise pr.FitOverflow(f"the fit overflows: the {int(w_sum)} training rows give a non-finite coefficient or "
                             "intercept (features or label too large or too spread for double precision); rescale "
                             "the data and rerun")
    return {"coefficients": coefficients, "intercept": intercept}


def walk_forward(features: List[List[float]], price: List[float], next_prices: List[float], train_count: int,
                 refit_every: int, target: str, reg_param: float, elastic_net: float = 0.0) -> List[float]:
    """docs/experiment.md#walk-forward: the forecast of row t from the fit on rows 0 … s − 1,
    s = trainCount + K·floor((t − trainCount)/K); a return forecast m is the price price[t]·(1 + m)
    (docs/experiment.md#targets)."""
    n = len(price)
    label = next_prices if target == "price" else [next_prices[r] / price[r] - 1 for r in range(n)]
    fit = ExpandingFit(features, label, reg_param, elastic_net)
    forecasts: List[float] = []
    for s in range(train_count, n, refit_every):
        fit.extend_to(s)
        solution = fit.solve()
        end = min(s + refit_every, n)
        outputs = linear_predict(solution["coefficients"], solution["intercept"], [column[s:end] for column in features])
        for t in range(s, end):
            m = outputs[t - s]
            forecasts.append(m if target == "price" else price[t] * (1 + m))
    return forecasts


# --- metrics and the Diebold-Mariano test (docs/experiment.md#metrics, #diebold-mariano-test) --------------------

def _sign(v: float) -> float:
    """JavaScript's Math.sign: −1, 0 or 1 (NaN for NaN)."""
    return math.nan if math.isnan(v) else (1.0 if v > 0 else (-1.0 if v < 0 else 0.0))


def dm_of_differences(d: List[float]) -> dict:
    """The test on loss differentials d in date order, horizon 1: statistic d̄/√(γ0/T)·√((T − 1)/T), p two-sided
    Student t with T − 1 degrees of freedom from the lower tail; both NaN when T < 2 or γ0 = 0."""
    T = len(d)
    total = 0.0
    for v in d:
        total += v
    mean = _div(total, T)
    squares = 0.0
    for v in d:
        squares += (v - mean) * (v - mean)
    gamma0 = _div(squares, T)
    if T < 2 or not gamma0 > 0:
        return {"statistic": math.nan, "pValue": math.nan}
    statistic = (mean / math.sqrt(gamma0 / T)) * math.sqrt((T - 1) / T)
    return {"statistic": statistic, "pValue": two_sided_p(statistic, T - 1)}


def two_sided_p(statistic: float, dof: int) -> float:
    """2·P(t_dof ≤ −|s|), from the lower tail (no 1 − cdf cancellation): scipy's Student t, as
    price_regression's forecast path uses, when it is installed; else price_regression's incomplete-beta
    continued fraction, which strays up to a few 1e-9 relative for |s| ≳ 5 at a few hundred degrees of freedom."""
    try:
        from scipy.stats import t as student_t
    except ImportError:
        return t_two_sided_p(abs(statistic), dof)
    return float(2 * student_t.cdf(-abs(statistic), dof))


def forecast_metrics(forecast: List[float], actual: List[float], price: List[float],
                     baseline_errors: Optional[List[float]]) -> dict:
    """rmse, mae, mape, r2, directionalAccuracy, skill and dm over the test rows, sums in date order."""
    T = len(forecast)
    e = [forecast[t] - actual[t] for t in range(T)]
    sum_squares = sum_abs = sum_relative = sum_actual = 0.0
    moved = right = 0
    for t in range(T):
        sum_squares += e[t] * e[t]
        sum_abs += abs(e[t])
        sum_relative += abs(e[t]) / abs(actual[t])
        sum_actual += actual[t]
        if actual[t] != price[t]:
            moved += 1
            if _sign(forecast[t] - price[t]) == _sign(actual[t] - price[t]):
                right += 1
    mean_actual = sum_actual / T
    total = 0.0
    for t in range(T):
        total += (actual[t] - mean_actual) * (actual[t] - mean_actual)
    mse = sum_squares / T
    baseline_mse = mse
    if baseline_errors is not None:
        s = 0.0
        for t in range(T):
            s += baseline_errors[t] * baseline_errors[t]
        baseline_mse = s / T
    dm = None
    if baseline_errors is not None:
        dm = dm_of_differences([e[t] * e[t] - baseline_errors[t] * baseline_errors[t] for t in range(T)])
    return {"rmse": math.sqrt(mse), "mae": sum_abs / T, "mape": sum_relative / T, "r2": 1 - _div(sum_squares, total),
            "directionalAccuracy": math.nan if moved == 0 else right / moved, "skill": 1 - _div(mse, baseline_mse),
            "dm": dm}


def median(values: List[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) >> 1
    return ordered[mid] if len(ordered) % 2 == 1 else (ordered[mid - 1] + ordered[mid]) / 2


# --- the grouped maps ----------------------------------------------------------------------------------------------

def prepare_group(plan: dict, schema: StructType):
    """One asset of a panel (docs/experiment.md#per-asset): its rows sorted and deduplicated, --missing, every
    set's features (ta), the label, the common rows; or a report row saying why it is skipped or bad input."""
    names = [field.name for field in schema.fields]

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        asset = str(pdf[ASSET].iloc[0])
        try:
            rows, report = prepare_asset(pdf, plan)
        except AssetProblem as problem:
            rows, report = None, {"error": problem.problem}
        count = 0 if rows is None else len(rows)
        out = {name: [None] * (count + 1) for name in names}
        if rows is not None:
            for name in rows.columns:
                out[name][:count] = rows[name].tolist()
        out[ASSET] = [asset] * (count + 1)
        out[KIND] = ["row"] * count + ["report"]
        out[REPORT][count] = json.dumps(report)
        return pd.DataFrame(out, columns=names)
    return run


def prepare_asset(pdf: pd.DataFrame, plan: dict):
    """The first half of price_regression.fit_asset on one asset's rows, then the common rows of every set."""
    daily, collapsed = _sorted_deduped(pdf)
    repeated, days = collapsed["count"], len(daily)
    if repeated >= pr.MIN_REPEATED_DAYS_REFUSED and repeated > pr.MAX_REPEATED_DAY_SHARE * days:
        raise AssetProblem(f"one row a day, give or take a repeated date: {repeated} of the {days} days have several "
                           "rows (more than 1%), so this is several assets pasted together or intraday data, not one "
                           "daily series; name the asset column with --columns asset=COL, or use a daily file",
                           column=plan["date_column"])
    daily, _missing = _fill_missing_frame(daily, plan)
    daily = daily.reset_index(drop=True)
    values, _first = feature_values(daily, plan["items"])
    label = daily["price"].astype("float64").shift(-1)
    columns = [values[item["column"]].to_numpy() for item in plan["items"]]
    keep = np.isfinite(label.to_numpy())
    for column in columns:
        keep &= np.isfinite(column)
    n = int(keep.sum())
    reason = too_few(n, plan, [int(np.isfinite(c).sum()) for c in columns], len(daily))
    if reason is not None:
        return None, {"tooFew": reason}
    rows = pd.DataFrame({"date": daily["date"].to_numpy()[keep],
                         "price": daily["price"].astype("float64").to_numpy()[keep],
                         "next_price": label.to_numpy()[keep],
                         **{f"f{i}": column[keep] for i, column in enumerate(columns)}})
    return rows, {"rows": n}


def too_few(n: int, plan: dict, finite_counts: List[int], dates: int) -> Optional[str]:
    """The engine's minimum (docs/experiment.md#minimum-rows): None when n rows are enough, else its message
    (the text after "expected"), naming the item with the fewest values."""
    train_count = math.floor(n * plan["train_ratio"])
    widest = plan["widest"]
    if train_count >= widest + 2 and n - train_count >= MIN_TEST_ROWS:
        return None
    scarcest = None
    for item, count in zip(plan["items"], finite_counts):
        if scarcest is None or count < scarcest[1]:
            scarcest = (format_feature_item(item), count)
    return (f"enough rows for a walk-forward: {widest + 2} training rows (the widest set has {widest} features) and "
            f"{MIN_TEST_ROWS} test rows; {n} rows have every feature of every set and a next price, and train ratio "
            f"{_js_number(plan['train_ratio'])} gives {train_count} training and {n - train_count} test rows"
            + ("" if scarcest is None else f" ({scarcest[0]} has values on {scarcest[1]} of {dates} dates)"))


def walk_group(plan: dict, schema: StructType):
    """One (asset, set): its walk-forward, its forecasts' metrics against persistence, and per test row the
    scaled loss differential the panel test pools (docs/experiment.md#the-panel-test). The set "persistence"
    is the baseline itself. Returns the test rows (kind "row") and one report row (kind "report")."""
    names = [field.name for field in schema.fields]
    by_name = {s["name"]: s for s in plan["sets"]}

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        pdf = pdf.sort_values("date", kind="mergesort").reset_index(drop=True)
        asset, name = str(pdf[ASSET].iloc[0]), str(pdf[SET].iloc[0])
        n = len(pdf)
        train_count = math.floor(n * plan["train_ratio"])
        price = pdf["price"].astype("float64").tolist()
        actual_all = pdf["next_price"].astype("float64").tolist()
        actual, today = actual_all[train_count:], price[train_count:]
        persistence = list(today)
        baseline_errors = [persistence[t] - actual[t] for t in range(len(actual))]
        if name == PERSISTENCE:
            forecasts = persistence
            metrics = forecast_metrics(forecasts, actual, today, None)
        else:
            chosen = by_name[name]
            features = [pdf[f"x{j}"].astype("float64").tolist() for j in range(len(chosen["items"]))]
            try:
                forecasts = walk_forward(features, price, actual_all, train_count, plan["refit_every"], plan["target"],
                                         chosen.get("regParam", 0.0), chosen.get("elasticNet", 0.0))
            except pr.FitOverflow as error:
                raise RuntimeError(f"asset {asset}, set {name}: {error}")
            metrics = forecast_metrics(forecasts, actual, today, baseline_errors)
        T = len(actual)
        persistence_mse = 0.0
        for t in range(T):
            persistence_mse += baseline_errors[t] * baseline_errors[t]
        persistence_mse = persistence_mse / T
        d = []
        for t in range(T):
            e = forecasts[t] - actual[t]
            d.append(_div(e * e - baseline_errors[t] * baseline_errors[t], persistence_mse))
        dates = pdf["date"].tolist()
        report = {"rows": n, "trainRows": train_count, "testRows": T, "firstTestDate": dates[train_count].isoformat(),
                  "lastTestDate": dates[n - 1].isoformat(), "metrics": metrics, "persistenceMse": persistence_mse}
        out = {name_: [None] * (T + 1) for name_ in names}
        out[ASSET] = [asset] * (T + 1)
        out[SET] = [name] * (T + 1)
        out[KIND] = ["row"] * T + ["report"]
        out["date"][:T] = dates[train_count:]
        out["forecast"][:T] = forecasts
        out["d"][:T] = d
        out[REPORT][T] = json.dumps(report)
        return pd.DataFrame(out, columns=names)
    return run


def panel_group(schema: StructType):
    """One set across the panel (docs/experiment.md#the-panel-test): dbar[t] = the mean over the assets with a
    test row on date t of d[a,t] (summed in asset-name order), the test on dbar in date order; assets whose
    persistence mse is 0 left out; assets, assetsBeatingPersistence and medianSkill from the assets' skills."""
    names = [field.name for field in schema.fields]

    def run(pdf: pd.DataFrame) -> pd.DataFrame:
        name = str(pdf[SET].iloc[0])
        reports = {str(r[ASSET]): json.loads(r[REPORT]) for _, r in pdf[pdf[KIND] == "report"].iterrows()}
        assets = sorted(reports)
        scaled = [a for a in assets if reports[a]["persistenceMse"] > 0]
        rows = pdf[pdf[KIND] == "row"]
        sums = {}
        for asset in scaled:  # asset-name order, each asset's dates in order
            mine = rows[rows[ASSET] == asset].sort_values("date", kind="mergesort")
            for day, value in zip(mine["date"].tolist(), mine["d"].astype("float64").tolist()):
                entry = sums.get(day)
                if entry is None:
                    sums[day] = [value, 1]
                else:
                    entry[0] += value
                    entry[1] += 1
        dbar = [sums[day][0] / sums[day][1] for day in sorted(sums)]
        skills = [reports[a]["metrics"]["skill"] for a in assets]
        skills = [math.nan if s is None else s for s in skills]
        result = {"name": name, "assets": len(assets), "assetsBeatingPersistence": sum(1 for s in skills if s > 0),
                  "medianSkill": median([s for s in skills if not math.isnan(s)]),
                  "dm": {**dm_of_differences(dbar), "dates": len(dbar)},
                  "leftOut": [a for a in assets if a not in scaled]}
        return pd.DataFrame({SET: [name], REPORT: [json.dumps(result)]}, columns=names)
    return run


# --- the driver ------------------------------------------------------------------------------------------------

def one_series_rows(spark: SparkSession, input_path: str, read, ingest: IngestOptions, items: List[dict],
                    plan: dict) -> DataFrame:
    """A file of one series: price_regression's own Spark stages (prepare_daily, compute_features, next_price,
    drop_nulls over every item of every set: the common rows, docs/experiment.md#common-rows)."""
    daily, _rows_read, _sha, _collapsed, facts = prepare_daily(spark, input_path, read, ingest)
    daily = daily.cache()
    dates = daily.count()
    check_feature_inputs(items, daily.columns, input_path, facts.get("layout", "pricecast"))
    labelled, _first = compute_features(spark, daily, items)
    labelled = next_price(labelled).cache()
    columns = [item["column"] for item in items]
    cleaned = drop_nulls(labelled, columns).cache()
    n = cleaned.count()
    finite = labelled.agg(*[F.sum((F.col(c).isNotNull() & ~F.isnan(F.col(c)) & (F.abs(F.col(c)) < float("inf")))
                                  .cast("int")).alias(f"f{i}") for i, c in enumerate(columns)]).first()
    reason = too_few(n, plan, [int(finite[f"f{i}"] or 0) for i in range(len(columns))], dates)
    if reason is not None:
        raise BadInput(input_path, 0, None, None, reason)
    return cleaned.select(F.lit("").alias(ASSET), "date", F.col("price").cast(DoubleType()).alias("price"),
                          "next_price", *[F.col(c).alias(f"f{i}") for i, c in enumerate(columns)])


def panel_rows(spark: SparkSession, input_path: str, layout: dict, chosen: List[str], wanted: Optional[List[str]],
               items: List[dict], ingest: IngestOptions, plan: dict):
    """A panel: every chosen asset prepared in one grouped map over asset. Returns (common rows, skipped)."""
    rows = layout["asset_rows"]
    check_feature_inputs(items, rows.columns, input_path, layout["read"])
    asset_column = layout["columns"]["asset"] or "asset"
    plan = {**plan, "missing": ingest.missing, "date_column": layout.get("date_column", "date"),
            "missing_fields": [f for f in pr.NUMERIC_FIELDS if f in ingest.required and layout["at"][f] != -1]}
    schema = StructType([StructField(ASSET, StringType()), StructField(KIND, StringType()),
                         StructField("date", DateType()), StructField("price", DoubleType()),
                         StructField("next_price", DoubleType()),
                         *[StructField(f"f{i}", DoubleType()) for i in range(len(items))],
                         StructField(REPORT, StringType())])
    values = [f for f in ("price", "volume", "marketCap") + pr.OHLC_FIELDS if f in rows.columns]
    source = rows.where(F.col("__asset").isin(chosen)).select(
        F.col(pr.ROW_ID), F.col("__asset").alias(ASSET), "date", "__seconds", *values)
    prepared = source.groupBy(ASSET).applyInPandas(prepare_group(plan, schema), schema).cache()
    reports = {r[ASSET]: json.loads(r[REPORT]) for r in prepared.where(F.col(KIND) == "report").collect()}
    for asset in chosen:
        problem = reports[asset].get("error")
        if problem is not None:
            if problem["rowId"] is not None:
                line, cell = layout["locate"](problem["rowId"], problem["field"])
                raise BadInput(input_path, line, layout["columns"][problem["field"]], cell, problem["expected"])
            raise BadInput(input_path, 0, problem["column"], None, problem["expected"])
    skipped = []
    for asset in chosen:
        reason = reports[asset].get("tooFew")
        if reason is None:
            continue
        if wanted and asset in wanted:
            raise BadInput(input_path, 0, asset_column, asset, f"{reason} for asset {asset}, named by --assets")
        skipped.append({"asset": asset, "reason": f"too few rows: expected {reason}"})
    if len(skipped) == len(chosen):
        raise BadInput(input_path, 0, asset_column, None,
                       f"at least one asset with enough rows for a walk-forward; all {len(skipped)} were skipped "
                       f"({skipped[0]['asset']}: {skipped[0]['reason']})")
    for entry in skipped:
        print_error(spark, f"skipped asset {entry['asset']}: {entry['reason']}")
    common = prepared.where(F.col(KIND) == "row").select(ASSET, "date", "price", "next_price",
                                                         *[f"f{i}" for i in range(len(items))])
    return common, skipped


def per_set(common: DataFrame, sets: List[dict], items: List[dict]) -> DataFrame:
    """One copy of the common rows per set (persistence first, with no features), its items as x0 … x(p−1)
    (nulls beyond the set's own count): the frame the walk-forwards group by (asset, set)."""
    keys = [format_feature_item(item) for item in items]
    widest = max(len(s["items"]) for s in sets)
    frames = []
    for chosen in [{"name": PERSISTENCE, "items": []}] + sets:
        own = [F.col(f"f{keys.index(format_feature_item(item))}") for item in chosen["items"]]
        own += [F.lit(None).cast(DoubleType())] * (widest - len(own))
        frames.append(common.select(ASSET, F.lit(chosen["name"]).alias(SET), "date", "price", "next_price",
                                    *[column.alias(f"x{j}") for j, column in enumerate(own)]))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def set_entry(chosen: Optional[dict], metrics: dict) -> dict:
    if chosen is None:
        return {"name": PERSISTENCE, "features": [], "metrics": metrics}
    entry = {"name": chosen["name"], "features": [format_feature_item(i) for i in chosen["items"]]}
    if "regParam" in chosen:
        entry["regParam"], entry["elasticNet"] = chosen["regParam"], chosen["elasticNet"]
    entry["metrics"] = metrics
    return entry


def series_result(reports: dict, sets: List[dict]) -> dict:
    """One series' part of results.json: its rows and dates, then persistence and the sets in order."""
    head = reports[PERSISTENCE]
    return {"rows": head["rows"], "trainRows": head["trainRows"], "testRows": head["testRows"],
            "firstTestDate": head["firstTestDate"], "lastTestDate": head["lastTestDate"],
            "sets": [set_entry(None, head["metrics"])] + [set_entry(s, reports[s["name"]]["metrics"]) for s in sets]}


def run_walk_forward(spark: SparkSession, input_path: str, output: str, *, sets: List[dict], train_ratio: float,
                     refit_every: int, target: str, ingest: IngestOptions, assets: Optional[List[str]] = None) -> dict:
    """The whole job; bad input, a bad set or output refused raise before anything is written."""
    names = [s["name"] for s in sets]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise UsageRefused(f'set "{name}" is given twice')
    items = distinct_items(sets)
    ingest.required = required_inputs(items)
    ingest.ohlc_for = next((format_feature_item(i) for i in items if needs_ohlc(i)), None)
    target_fs = HadoopFs(spark, output)
    check_output(target_fs)
    plan = {"items": items, "train_ratio": train_ratio, "refit_every": refit_every, "target": target,
            "widest": max(len(s["items"]) for s in sets), "sets": sets}
    read = read_input_rows(spark, input_path, ingest)
    rows_read, sha256, layout = read[1], read[2], read[3]
    chosen = select_assets(input_path, layout, assets)
    panel = len(layout.get("assets") or []) > 1 or bool(assets)
    skipped: List[dict] = []
    if panel:
        common, skipped = panel_rows(spark, input_path, layout, chosen, assets, items, ingest, plan)
    else:
        common = one_series_rows(spark, input_path, read, ingest, items, plan)

    widest = plan["widest"]
    schema = StructType([StructField(ASSET, StringType()), StructField(SET, StringType()),
                         StructField(KIND, StringType()), StructField("date", DateType()),
                         StructField("forecast", DoubleType()), StructField("d", DoubleType()),
                         StructField(REPORT, StringType())])
    frame = per_set(common, sets, items)
    walked = frame.groupBy(ASSET, SET).applyInPandas(walk_group(plan, schema), schema).cache()
    reports: dict = {}
    for r in walked.where(F.col(KIND) == "report").select(ASSET, SET, REPORT).collect():
        reports.setdefault(r[ASSET], {})[r[SET]] = json.loads(r[REPORT])
    settings = {"trainRatio": train_ratio, "refitEvery": refit_every, "target": target, "window": "expanding",
                "baseline": "persistence"}
    file = posixpath.basename(input_path.rstrip("/"))
    if not panel:
        results = {"tool": "pricecast", "command": "experiment",
                   "input": {"file": file, "sha256": sha256, "rowsRead": rows_read},
                   **settings, **series_result(reports[""], sets)}
    else:
        panel_schema = StructType([StructField(SET, StringType()), StructField(REPORT, StringType())])
        pooled = {r[SET]: json.loads(r[REPORT]) for r in
                  walked.where(F.col(SET) != PERSISTENCE).groupBy(SET)
                  .applyInPandas(panel_group(panel_schema), panel_schema).collect()}
        scored = sorted(reports)
        panel_sets = []
        for s in sets:
            entry = dict(pooled[s["name"]])
            entry.pop("leftOut")
            panel_sets.append(entry)
        results = {"tool": "pricecast", "command": "experiment",
                   "input": {"file": file, "sha256": sha256, "rowsRead": rows_read,
                             "assetColumn": layout["columns"]["asset"]},
                   **settings,
                   "assets": [{"asset": a, **series_result(reports[a], sets)} for a in scored],
                   "skipped": skipped,
                   "panel": {"leftOut": pooled[sets[0]["name"]]["leftOut"], "sets": panel_sets}}
    walked.unpersist()
    body = json.dumps(_finite_or_null(results), indent=2, allow_nan=False) + "\n"
    write_results(target_fs, body)
    count = f"{len(results['assets'])} assets ({len(skipped)} skipped), " if panel else ""
    print(f"pricecast experiment (reference job): {file}, {count}{len(sets)} sets and persistence, "
          f"train ratio {train_ratio}, refit every {refit_every}, target {target}, widest set {widest} features\n"
          f"wrote {target_fs.child(RESULTS_FILE).toString()}", flush=True)
    return results


def _finite_or_null(value: Any) -> Any:
    """results.json writes a non-finite number as null, as the engine's JSON.stringify does."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value


def check_output(target: HadoopFs) -> None:
    """OUTPUT is absent, empty, or this job's earlier output (results.json and its checksum); else refused."""
    fs, path = target.fs, target.path
    if not fs.exists(path):
        return
    if not fs.getFileStatus(path).isDirectory():
        raise OutputRefused(f"{path.toString()} exists and is not a folder; refusing to replace it")
    entries = [s.getPath().getName() for s in fs.listStatus(path)]
    foreign = sorted(name for name in entries if not OUTPUT_NAMES.match(name))
    if foreign:
        raise OutputRefused(f"{path.toString()} exists and is not a pricecast experiment output (it holds "
                            f"{', '.join(foreign[:3])}); refusing to replace it")
    marker = target.child(RESULTS_FILE)
    if fs.exists(marker):
        try:
            earlier = json.loads(target.read_text(marker))
        except ValueError:
            earlier = None
        if not isinstance(earlier, dict) or earlier.get("command") != "experiment":
            raise OutputRefused(f"{path.toString()} holds a results.json that is not a pricecast experiment's; "
                                "refusing to replace it")


def write_results(target: HadoopFs, body: str) -> None:
    """results.json written beside its final name, then renamed over it (a reader never sees half a file)."""
    target.fs.mkdirs(target.path)
    staged = target.child(f".{RESULTS_FILE}.{os.getpid()}.tmp")
    target.write_bytes(staged, body.encode("utf-8"))
    final = target.child(RESULTS_FILE)
    if target.fs.exists(final):
        target.fs.delete(final, False)
    target.fs.rename(staged, final)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="walk_forward.py", fromfile_prefix_chars="@",
                                     description="Walk-forward evaluation of feature sets (the pricecast reference job).")
    parser.add_argument("--input", required=True, help="daily history (any layout price_regression.py reads)")
    parser.add_argument("--output", required=True, help="output folder: results.json")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=SPEC[;regParam=λ][;elasticNet=α]",
                        help="a feature set; repeat for more")
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--refit-every", type=int, default=1)
    parser.add_argument("--target", choices=["price", "return"], default="price")
    parser.add_argument("--format", choices=["auto"] + list(pr.LAYOUTS), default="auto")
    parser.add_argument("--columns", default=None)
    parser.add_argument("--thousands", choices=[","], default=None)
    parser.add_argument("--missing", choices=list(pr.MISSING_POLICIES), default="error")
    parser.add_argument("--ohlc-check", choices=list(pr.OHLC_CHECKS), default="on")
    parser.add_argument("--assets", default=None)
    args = parser.parse_args(argv)
    if not args.sets:
        parser.error("--set: expected at least one NAME=SPEC (the built-in ladder is the engine's only)")
    if not 0.0 < args.train_ratio < 1.0:
        parser.error(f"--train-ratio: expected a number strictly between 0 and 1, got {args.train_ratio!r}")
    if args.refit_every < 1:
        parser.error(f"--refit-every: expected a positive integer, got {args.refit_every}")
    if args.assets is not None:
        args.assets = [name.strip() for name in args.assets.split(",")]
        if any(name == "" for name in args.assets):
            parser.error(f"--assets: expected comma-separated asset names, got {json.dumps(','.join(args.assets))}")
    try:
        args.columns = parse_column_mapping(args.columns) if args.columns is not None else None
    except ValueError as error:
        parser.error(str(error))
    return args


def start_session() -> SparkSession:
    """price_regression's session settings; both modules shipped to the Python workers, which import them."""
    spark = pr.start_session("pricecast-walk-forward")
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("price_regression.py", "walk_forward.py"):
        spark.sparkContext.addPyFile(os.path.join(here, name))
    return spark


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    spark = start_session()
    try:
        sets = [parse_set(text) for text in args.sets]
        ingest = IngestOptions(format=args.format, columns=args.columns, thousands=args.thousands,
                               missing=args.missing, ohlc_check=args.ohlc_check)
        run_walk_forward(spark, args.input, args.output, sets=sets, train_ratio=args.train_ratio,
                         refit_every=args.refit_every, target=args.target, ingest=ingest, assets=args.assets)
        return 0
    except (BadInput, OutputRefused, FeatureSpecError, UsageRefused, pr.FitOverflow) as error:
        print_error(spark, str(error))
        return 2
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
