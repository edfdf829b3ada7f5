"""Reference values for test/engine/features/indicators.test.ts, from the project's Python env (ta 0.11.0, pandas 2.2.3).

Reads one JSON request on stdin and writes one JSON answer on stdout, so a whole test file costs one
Python start-up:
  {"series": {name: {"close": [...], "volume": [...], optionally "high", "low": [...]}},
   "indicators": [{"id", "module", "fn", "inputs": ["close", ...], "series": name, "args": {...}}],
   "primitives": [{"id", "op", "x": [...], "params": {...}}]}
-> {"indicators": {id: [...] or {"error": "..."}}, "primitives": {id: [...]}, "versions": {...}}
Non-finite numbers travel as the strings "nan", "inf", "-inf" (JSON has no literal for them).
"""
import inspect
import json
import math
import sys
import warnings
from importlib import metadata

import numpy as np
import pandas as pd
import ta

warnings.simplefilter("ignore")


def decode(values):
    return np.array([float(v) for v in values], dtype=np.float64)


def encode(values):
    out = []
    for v in np.asarray(values, dtype=np.float64).tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def indicator(case, series):
    data = series[case["series"]]
    inputs = {name: pd.Series(decode(data[name])) for name in case["inputs"]}
    function = getattr(getattr(ta, case["module"]), case["fn"])
    try:
        result = function(**inputs, **case["args"])
    except (IndexError, ValueError) as error:
        # ta's Wilder loops (ATR, ADX) index past a series shorter than their window: reported, not fatal.
        return {"error": f"{type(error).__name__}: {error}"}
    # A feature column is the indicator put back on the frame's index (dropnans=True rows return as NaN).
    n = len(data["close"])
    return encode(pd.Series(result).reindex(range(n)).to_numpy(dtype=np.float64))


def primitive(case):
    s = pd.Series(decode(case["x"]))
    p = case.get("params", {})
    op = case["op"]
    if op == "ewm_mean":
        return s.ewm(**p).mean()
    if op.startswith("rolling_"):
        window = s.rolling(p["window"], min_periods=p.get("min_periods"))
        agg = op[len("rolling_"):]
        if agg in ("var", "std"):
            return getattr(window, agg)(ddof=p.get("ddof", 1))
        return getattr(window, agg)()
    if op == "diff":
        return s.diff(p.get("periods", 1))
    if op == "shift":
        fill = p.get("fill_value")
        return s.shift(p["periods"], fill_value=np.nan if fill is None else float(fill))
    if op == "pct_change":
        return s.pct_change(p.get("periods", 1))
    if op == "cumsum":
        return s.cumsum()
    if op == "series_sum":
        return [s.sum()]
    if op == "series_mean":
        return [s.mean()]
    if op == "numpy_sum":
        return [s.to_numpy().sum()]
    raise ValueError(f"unknown primitive {op}")


def catalogue():
    """Every public function of ta's five indicator modules: its series inputs and keyword defaults."""
    functions = []
    for module in ("momentum", "trend", "volatility", "volume", "others"):
        mod = getattr(ta, module)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ != mod.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(fn).parameters.values()
            functions.append({
                "module": module,
                "name": name,
                "inputs": [p.name for p in params if p.default is inspect.Parameter.empty],
                "args": [[p.name, p.default] for p in params if p.default is not inspect.Parameter.empty],
            })
    return functions


def main():
    request = json.load(sys.stdin)
    series = request.get("series", {})
    answer = {
        "indicators": {c["id"]: indicator(c, series) for c in request.get("indicators", [])},
        "primitives": {c["id"]: encode(primitive(c)) for c in request.get("primitives", [])},
        "catalogue": catalogue(),
        "versions": {"ta": metadata.version("ta"), "pandas": pd.__version__, "numpy": np.__version__},
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
