"""What both benchmark peers share: their command line, the least-squares fit, and the summary they print.

    python bench/peers/<peer>.py --input F.csv --output DIR [--seed 42] [--train-ratio 0.7]

writes DIR/part-00000.snappy.parquet (the test rows: date, price, volume, marketCap, rsi, next_price,
prediction, in date order) and an empty DIR/_SUCCESS, so that the engine's readSparkOutput reads it, and
prints one JSON line of row counts and coefficients on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Sequence, Tuple

import numpy as np

FEATURES = ["price", "volume", "marketCap", "rsi"]
OUTPUT_COLUMNS = ["date", "price", "volume", "marketCap", "rsi", "next_price", "prediction"]
RSI_WINDOW = 14
PART_FILE = "part-00000.snappy.parquet"


def parse_args(argv: Sequence[str], description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--train-ratio", type=float, default=0.7)
    return parser.parse_args(argv)


def fit_least_squares(features: np.ndarray, label: np.ndarray) -> Tuple[np.ndarray, float]:
    """Ordinary least squares with an intercept, solved on standardised features and label (as Spark's
    normal-equation solver scales them; unregularised, so the solution is plain OLS)."""
    mean = features.mean(axis=0)
    std = features.std(axis=0, ddof=1)
    label_mean = label.mean()
    label_std = label.std(ddof=1)
    scaled = (features - mean) / std
    beta, *_ = np.linalg.lstsq(scaled, (label - label_mean) / label_std, rcond=None)
    coefficients = beta * label_std / std
    intercept = float(label_mean - coefficients @ mean)
    return coefficients, intercept


def output_file(output: str) -> str:
    os.makedirs(output, exist_ok=True)
    return os.path.join(output, PART_FILE)


def finish(output: str, summary: dict) -> None:
    open(os.path.join(output, "_SUCCESS"), "wb").close()
    print(json.dumps(summary), flush=True)
