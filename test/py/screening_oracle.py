"""arch 8.0.0's SPA, StepM and MCS on given losses, with the bootstrap indices injected, to check
`pricecast experiment --screen` against (docs/screening.md).

    python screening_oracle.py JOB.json

JOB.json: {"benchmark": [T losses], "names": [K names], "candidates": [[T losses], ...],
           "indices": PATH of a little-endian int32 file holding B x T indices, replication-major,
           "reps": B, "blockSize": b}

arch draws its own indices from numpy; here every StationaryBootstrap that arch's multiple_comparison
module creates is replaced by one whose update_indices() hands out the injected rows in order, starting
again at row 0 on each call of bootstrap() (SPA and MCS each run through the replications once).
Everything else is arch's own code.

Prints JSON: {"arch": version, "spa": {"statistic", "pvalues": {lower, consistent, upper}, "meanLossDiff", "valid"},
"stepm": {"0.05": [names], "0.1": [names]}, "mcs": {"R": {"pvalues": {name: p}, "included": [names]},
"max": {...}}} with persistence named "persistence" in the MCS.
"""
import json
import sys
import warnings

import arch
import numpy as np
import pandas as pd
from arch.bootstrap import multiple_comparison
from arch.bootstrap.base import StationaryBootstrap

INDICES = None


class InjectedStationaryBootstrap(StationaryBootstrap):
    """arch's stationary bootstrap, but replication r resamples the rows INDICES[r]."""

    def bootstrap(self, reps):
        self._replication = 0
        return super().bootstrap(reps)

    def update_indices(self):
        row = INDICES[self._replication]
        self._replication += 1
        return row.astype(np.int64)


def main():
    global INDICES
    with open(sys.argv[1]) as f:
        job = json.load(f)
    days = len(job["benchmark"])
    INDICES = np.fromfile(job["indices"], dtype="<i4").reshape(job["reps"], days)
    multiple_comparison.StationaryBootstrap = InjectedStationaryBootstrap

    names = job["names"]
    benchmark = pd.Series(job["benchmark"], name="persistence")
    models = pd.DataFrame(np.array(job["candidates"]).T, columns=names)
    common = dict(block_size=job["blockSize"], reps=job["reps"], bootstrap="stationary")

    spa = multiple_comparison.SPA(benchmark, models, **common)
    spa.compute()
    mean_loss_diff = spa._loss_diff.mean(0)
    out = {
        "arch": arch.__version__,
        "spa": {
            "statistic": float(np.max(mean_loss_diff)),
            "pvalues": {k: float(v) for k, v in spa.pvalues.items()},
            "meanLossDiff": dict(zip(names, map(float, mean_loss_diff))),
            "valid": dict(zip(names, map(bool, spa._valid_columns))),
        },
        "stepm": {},
        "mcs": {},
    }
    for size in (0.05, 0.1):
        stepm = multiple_comparison.StepM(benchmark, models, size=size, **common)
        stepm.compute()
        out["stepm"][str(size)] = list(stepm.superior_models)

    everything = pd.concat([benchmark, models], axis=1)
    for method in ("R", "max"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            mcs = multiple_comparison.MCS(everything, size=0.1, method=method, **common)
            mcs.compute()
        pvalues = mcs.pvalues["Pvalue"]
        out["mcs"][method] = {
            "pvalues": {str(name): float(p) for name, p in pvalues.items()},
            "included": [str(name) for name in everything.columns if pvalues[name] > 0.1],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
