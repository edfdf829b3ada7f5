"""Benchmark peer: the engine's job written the way a polars user would (polars' own multi-threaded CSV
reader, expressions and Parquet writer; numpy only for Spark's split and the least-squares solve).

read CSV -> sort by date (stable) and keep the last row of each date -> RSI-14 as ta defines it, written
with polars' ewm_mean(alpha=1/14, adjust=False) -> next price (shift(-1)) -> drop nulls -> Spark's seeded
70/30 randomSplit (spark_split.py) -> least squares -> the test rows with predictions to Parquet (snappy).
Valid input is assumed: the peer does not validate rows.
"""
from __future__ import annotations

import sys

import numpy as np
import polars as pl

from peer_common import FEATURES, OUTPUT_COLUMNS, RSI_WINDOW, finish, fit_least_squares, output_file, parse_args
from spark_split import random_split


def rsi(price: pl.Expr, window: int) -> pl.Expr:
    """ta's RSIIndicator: gains and losses of the price's first difference (0 on the first row), their
    Wilder averages (an EWM with alpha = 1/window, adjust=False, null before `window` observations)."""
    diff = price.diff().fill_null(0.0)
    up = diff.clip(lower_bound=0.0).ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window)
    down = (-diff).clip(lower_bound=0.0).ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window)
    return pl.when(down == 0).then(100.0).otherwise(100.0 - 100.0 / (1.0 + up / down))


def main(argv) -> int:
    args = parse_args(argv, "polars benchmark peer")
    frame = pl.read_csv(args.input, columns=["date", "price", "volume", "marketCap"],
                        schema_overrides={"date": pl.Date, "price": pl.Float64, "volume": pl.Float64,
                                          "marketCap": pl.Float64})
    rows_read = frame.height
    daily = frame.sort("date", maintain_order=True).unique("date", keep="last", maintain_order=True)
    after_dedupe = daily.height
    cleaned = daily.with_columns(rsi(pl.col("price"), RSI_WINDOW).alias("rsi"),
                                 pl.col("price").shift(-1).alias("next_price")).drop_nulls()

    train, test = random_split(cleaned.height, args.train_ratio, args.seed)
    training = cleaned.filter(pl.Series(train))
    coefficients, intercept = fit_least_squares(training.select(FEATURES).to_numpy(),
                                                training.get_column("next_price").to_numpy())
    tested = cleaned.filter(pl.Series(test))
    prediction = sum(pl.col(name) * float(c) for name, c in zip(FEATURES, coefficients)) + intercept
    tested = tested.with_columns(prediction.alias("prediction")).select(OUTPUT_COLUMNS)
    tested.write_parquet(output_file(args.output), compression="snappy")
    finish(args.output, {"peer": "polars", "rowsRead": rows_read, "afterDedupe": after_dedupe,
                         "afterDropNulls": cleaned.height, "train": int(train.sum()), "test": int(test.sum()),
                         "coefficients": coefficients.tolist(), "intercept": intercept})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
