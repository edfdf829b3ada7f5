"""Times arch 8.0.0's SPA, StepM (0.05, 0.10) and MCS (R, max at 0.10) on given losses, with the bootstrap
indices injected as test/py/screening_oracle.py injects them (the same job file), for bench/screening.ts.

    python arch_screening.py JOB.json

CPU seconds (time.process_time) so that the figures depend little on the machine's load.
Prints JSON: {"seconds": {"spa", "stepm", "mcsR", "mcsMax"}, "pvalues": {"consistent": p}}.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "py"))
import screening_oracle  # noqa: E402
from arch.bootstrap import multiple_comparison  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    days = len(job["benchmark"])
    screening_oracle.INDICES = np.fromfile(job["indices"], dtype="<i4").reshape(job["reps"], days)
    multiple_comparison.StationaryBootstrap = screening_oracle.InjectedStationaryBootstrap
    benchmark = pd.Series(job["benchmark"], name="persistence")
    models = pd.DataFrame(np.array(job["candidates"]).T, columns=job["names"])
    common = dict(block_size=job["blockSize"], reps=job["reps"], bootstrap="stationary")
    seconds = {}

    started = time.process_time()
    spa = multiple_comparison.SPA(benchmark, models, **common)
    spa.compute()
    seconds["spa"] = time.process_time() - started

    started = time.process_time()
    for size in (0.05, 0.1):
        multiple_comparison.StepM(benchmark, models, size=size, **common).compute()
    seconds["stepm"] = time.process_time() - started

    everything = pd.concat([benchmark, models], axis=1)
    for method, key in (("R", "mcsR"), ("max", "mcsMax")):
        started = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            multiple_comparison.MCS(everything, size=0.1, method=method, **common).compute()
        seconds[key] = time.process_time() - started
    json.dump({"seconds": seconds, "pvalues": {"consistent": float(spa.pvalues["consistent"])}}, sys.stdout)


if __name__ == "__main__":
    main()
