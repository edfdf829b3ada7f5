"""Benchmark peer: the engine's job written the way a pandas user would, with pandas + numpy + ta.

read CSV -> dedupe (the last row of a date wins) -> sort by date -> ta RSI-14 -> next price (shift(-1)) ->
drop nulls -> Spark's seeded 70/30 randomSplit (spark_split.py) -> least squares (numpy) -> the test rows
with predictions to Parquet (pyarrow, snappy). Valid input is assumed: the peer does not validate rows.

Dates stay strings (YYYY-MM-DD sorts as text) until after dedupe, then become numpy datetime64[D]: pandas'
own datetime64[ns] cannot hold dates before 1677, and the 10M benchmark file starts in 1583.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from ta.momentum import RSIIndicator

from peer_common import FEATURES, OUTPUT_COLUMNS, RSI_WINDOW, finish, fit_least_squares, output_file, parse_args
from spark_split import random_split


def main(argv) -> int:
    args = parse_args(argv, "pandas + numpy + ta benchmark peer")
    frame = pd.read_csv(args.input, usecols=["date", "price", "volume", "marketCap"],
                        dtype={"date": str, "price": np.float64, "volume": np.float64, "marketCap": np.float64})
    rows_read = len(frame)
    daily = frame.drop_duplicates("date", keep="last").sort_values("date", kind="stable", ignore_index=True)
    after_dedupe = len(daily)
    daily["rsi"] = RSIIndicator(close=daily["price"], window=RSI_WINDOW).rsi()
    daily["next_price"] = daily["price"].shift(-1)
    cleaned = daily.dropna(ignore_index=True)

    train, test = random_split(len(cleaned), args.train_ratio, args.seed)
    coefficients, intercept = fit_least_squares(
        cleaned.loc[train, FEATURES].to_numpy(), cleaned.loc[train, "next_price"].to_numpy())
    tested = cleaned.loc[test].reset_index(drop=True)
    tested["prediction"] = tested[FEATURES].to_numpy() @ coefficients + intercept

    days = tested["date"].to_numpy().astype("datetime64[D]")
    table = pa.table({"date": pa.array(days, type=pa.date32()),
                      **{name: pa.array(tested[name].to_numpy()) for name in OUTPUT_COLUMNS[1:]}})
    pq.write_table(table, output_file(args.output), compression="snappy")
    finish(args.output, {"peer": "pandas", "rowsRead": rows_read, "afterDedupe": after_dedupe,
                         "afterDropNulls": len(cleaned), "train": int(train.sum()), "test": int(test.sum()),
                         "coefficients": coefficients.tolist(), "intercept": intercept})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
