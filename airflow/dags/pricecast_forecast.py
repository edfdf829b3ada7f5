"""pricecast forecast, daily, straight to S3: each run publishes the forecast made with the data known on
its logical date, as one partition of the forecast table (docs/forecast.md).

    forecast   `pricecast forecast --as-of <logical date> --input INPUT --output s3://BUCKET/PREFIX/forecasts/`

- One partition per run: DIR/origin_date=YYYY-MM-DD/ (the last usable day on or before the logical
  date), replaced if that day ran before (new objects first, old ones deleted after, _SUCCESS last; the
  README and docs/forecast.md#the-table-on-s3 say what a reader sees in between), every other day left
  as it is. So a backfill (catchup, or `airflow dags backfill`) writes one partition per past day, each
  from the data known that day, and re-running a day gives the same table.
- max_active_runs=1: one day at a time, in order; retries re-run the same day (idempotent).
- The forecast runs with the CLI where the worker has Node (PRICECAST_CMD). Its summary line and the
  track record are in the task log; `--json`'s document is the task's XCom (origin date, forecasts,
  bounds, track record per horizon).

Settings (environment of the scheduler/workers, read when the DAG file is parsed):
  PRICECAST_CMD                  how to run the CLI (default "pricecast"; e.g. "node /opt/pricecast/dist/cli.js")
  PRICECAST_FORECAST_INPUT       the daily history, a path or s3:// URI (required to run)
  PRICECAST_FORECAST_OUTPUT      the table, e.g. s3://BUCKET/PREFIX/forecasts/ (required to run)
  PRICECAST_FORECAST_ARGS        more flags, e.g. "--horizon 7 --level 0.8,0.95 --features price,rsi"
                                 or "--from /opt/results.json --set best"
  PRICECAST_FORECAST_START       the first logical date (default 2025-01-01)
  PRICECAST_FORECAST_CATCHUP     1: run every day since the start not yet run (default 0: today only)
  PRICECAST_FORECAST_RETRIES     retries of a failed day, 5 minutes apart (default 2)
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import datetime, timedelta

from airflow.sdk import DAG, task

PRICECAST_CMD = os.environ.get("PRICECAST_CMD", "pricecast")
INPUT = os.environ.get("PRICECAST_FORECAST_INPUT", "")
OUTPUT = os.environ.get("PRICECAST_FORECAST_OUTPUT", "")
EXTRA_ARGS = shlex.split(os.environ.get("PRICECAST_FORECAST_ARGS", ""))
START = datetime.fromisoformat(os.environ.get("PRICECAST_FORECAST_START", "2025-01-01"))
CATCHUP = os.environ.get("PRICECAST_FORECAST_CATCHUP", "0") == "1"
RETRIES = int(os.environ.get("PRICECAST_FORECAST_RETRIES", "2"))


def forecast_args(as_of: str) -> list[str]:
    """The CLI's arguments for the run of logical date `as_of` (YYYY-MM-DD)."""
    if not INPUT or not OUTPUT:
        raise ValueError("set PRICECAST_FORECAST_INPUT and PRICECAST_FORECAST_OUTPUT (see the DAG's docstring)")
    return ["forecast", "--input", INPUT, "--output", OUTPUT, "--as-of", as_of, "--json", *EXTRA_ARGS]


with DAG(
    dag_id="pricecast_forecast",
    description="pricecast forecast as of each day, one partition of the forecast table on S3 per run",
    schedule="@daily",
    start_date=START,
    catchup=CATCHUP,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    tags=["pricecast", "forecast"],
) as dag:

    @task
    def forecast(ds: str | None = None) -> dict:
        command = [*shlex.split(PRICECAST_CMD), *forecast_args(ds)]
        print("running:", shlex.join(command), flush=True)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.stderr:
            print(done.stderr, flush=True)
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        document = json.loads(done.stdout)
        for h in document["horizons"]:
            record = h["trackRecord"]["metrics"]
            print(f"h={h['horizon']} {h['targetDate']}: {h['forecast']} (skill {record['skill']}, "
                  f"DM p {record['dm'] and record['dm']['pValue']})", flush=True)
        return document

    forecast()
