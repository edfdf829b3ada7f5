"""The feature stage in pandas + ta, for bench/indicators.ts: every function of ta 0.11.0's functional API
(the 39 of close/volume and the 41 of high/low), defaults, fillna=False, over one OHLC series.

    python ta_features_peer.py --input SERIES.bin --rows N --output RESULT.json

SERIES.bin holds four float64 arrays of N values back to back: high, low, close, volume (little endian).
RESULT.json: {"seconds": wall, "cpuSeconds": cpu, "functions": {name: {"seconds", "cpuSeconds", "sum", "nan"}}}
where sum adds the finite values and sumAbs their magnitudes (a checksum the engine's run is compared with:
the difference of the sums over sumAbs) and nan counts the NaN rows.
CPU time (time.process_time) is reported beside wall time: on a shared machine it is the steadier figure.
"""
import argparse
import inspect
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
import ta

warnings.simplefilter("ignore")
MODULES = ("momentum", "trend", "volatility", "volume", "others")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    data = np.fromfile(args.input, dtype="<f8").reshape(4, args.rows)
    series = {name: pd.Series(data[k]) for k, name in enumerate(("high", "low", "close", "volume"))}
    functions = {}
    total = 0.0
    total_cpu = 0.0
    for module in MODULES:
        namespace = getattr(ta, module)
        for name, function in inspect.getmembers(namespace, inspect.isfunction):
            if function.__module__ != namespace.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(function).parameters
            inputs = {p: series[p] for p, v in params.items() if v.default is inspect.Parameter.empty}
            start, start_cpu = time.perf_counter(), time.process_time()
            result = np.asarray(function(**inputs, fillna=False), dtype=np.float64)
            seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            total += seconds
            total_cpu += cpu
            finite = result[np.isfinite(result)]
            functions[name] = {"seconds": seconds, "cpuSeconds": cpu, "sum": float(finite.sum()),
                               "sumAbs": float(np.abs(finite).sum()), "nan": int(np.isnan(result).sum())}
            print(f"{name}: {seconds:.2f} s", file=sys.stderr, flush=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"seconds": total, "cpuSeconds": total_cpu, "functions": functions}, handle)


if __name__ == "__main__":
    main()
