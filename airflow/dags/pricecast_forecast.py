"""pricecast forecast, daily, straight to S3: each run publishes the forecast made with the data known on
its logical date, as one partition of the forecast table (docs/forecast.md).

    PRICECAST_FORECAST_MODE=cli (default), where the worker has Node:
    forecast   `pricecast forecast --as-of <logical date> --input INPUT --output s3://BUCKET/PREFIX/forecasts/`

    PRICECAST_FORECAST_MODE=emr, the reference job's `forecast` on an EMR cluster (no Node on the worker):
    plan_forecast --> create_cluster --> add_steps --> watch_forecast
                           |                                |
                           +------ terminate_cluster <------+   (teardown)

- One partition per run: DIR/origin_date=YYYY-MM-DD/ (the last usable day on or before the logical
  date), replaced if that day ran before (new objects first, old ones deleted after, _SUCCESS last; the
  README and docs/forecast.md#the-table-on-s3 say what a reader sees in between), every other day left
  as it is. So a backfill (catchup, or `airflow dags backfill`) writes one partition per past day, each
  from the data known that day, and re-running a day gives the same table.
- max_active_runs=1: one day at a time, in order; retries re-run the same day (idempotent).
- cli: the forecast runs with the CLI where the worker has Node (PRICECAST_CMD). Its summary line and
  the track record are in the task log; `--json`'s document is the task's XCom (origin date, forecasts,
  bounds, track record per horizon).
- emr: one cluster per run, from a plan that `pricecast emr stage` printed once, outside Airflow
  (PRICECAST_FORECAST_EMR_PLAN, a file): its RunJobFlow request (release, Python 3.11 venv from the staged
  wheelhouse, roles, tags, logs; KeepJobFlowAliveWhenNoSteps on until add_steps) and its staged
  price_regression.py. The one step is `spark-submit price_regression.py forecast --input INPUT --output
  OUTPUT --as-of <logical date>` with spark.sql.sources.partitionOverwriteMode=dynamic (the job sets it
  too), so the run replaces its day's origin_date=… partition of s3://BUCKET/PREFIX/forecasts/ and no
  other; INPUT must be s3://. The step is bounded on the node by `timeout`
  (PRICECAST_FORECAST_STEP_TIMEOUT_SECONDS); the operators and the sensor set deferrable=False and their
  waits explicitly (PRICECAST_POKE_SECONDS, PRICECAST_SENSOR_TIMEOUT_SECONDS), never the environment's
  `[operators] default_deferrable`; terminate_cluster is the teardown of create_cluster (with retries),
  so the cluster never outlives the run. docs/emr.md#the-forecast-dag-on-emr.

Settings (environment of the scheduler/workers, read when the DAG file is parsed):
  PRICECAST_CMD                  how to run the CLI (default "pricecast"; e.g. "node /opt/pricecast/dist/cli.js")
  PRICECAST_FORECAST_INPUT       the daily history, a path or s3:// URI (required to run)
  PRICECAST_FORECAST_OUTPUT      the table, e.g. s3://BUCKET/PREFIX/forecasts/ (required to run)
  PRICECAST_FORECAST_ARGS        more flags, e.g. "--horizon 7 --level 0.8,0.95 --features price,rsi"
                                 or "--from /opt/results.json --set best"
  PRICECAST_FORECAST_START       the first logical date (default 2025-01-01)
  PRICECAST_FORECAST_CATCHUP     1: run every day since the start not yet run (default 0: today only)
  PRICECAST_FORECAST_RETRIES     retries of a failed day, 5 minutes apart (default 2)
  PRICECAST_FORECAST_MODE        cli (default) or emr
  PRICECAST_FORECAST_EMR_PLAN    emr: the plan JSON `pricecast emr stage` printed (required to run)
  PRICECAST_FORECAST_STEP_TIMEOUT_SECONDS  emr: the step's bound on the node (default 2 h)
  PRICECAST_POKE_SECONDS         emr: how often the sensor polls (default 60)
  PRICECAST_SENSOR_TIMEOUT_SECONDS  emr: the sensor gives up after this long (default 3 h)
  PRICECAST_AWS_CONN_ID          emr: the Airflow AWS connection (default aws_default)
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
MODE = os.environ.get("PRICECAST_FORECAST_MODE", "cli")
if MODE not in ("cli", "emr"):
    raise ValueError(f"PRICECAST_FORECAST_MODE: expected cli or emr, got {MODE!r}")
EMR_PLAN = os.environ.get("PRICECAST_FORECAST_EMR_PLAN", "")
STEP_TIMEOUT_SECONDS = int(os.environ.get("PRICECAST_FORECAST_STEP_TIMEOUT_SECONDS", str(2 * 3600)))
POKE_SECONDS = float(os.environ.get("PRICECAST_POKE_SECONDS", "60"))
SENSOR_TIMEOUT_SECONDS = float(os.environ.get("PRICECAST_SENSOR_TIMEOUT_SECONDS", str(3 * 3600)))
AWS_CONN_ID = os.environ.get("PRICECAST_AWS_CONN_ID", "aws_default")
# Explicit waits, never the environment's deferrable default.
NOT_DEFERRED = {"deferrable": False}


def forecast_args(as_of: str) -> list[str]:
    """The CLI's arguments for the run of logical date `as_of` (YYYY-MM-DD)."""
    if not INPUT or not OUTPUT:
        raise ValueError("set PRICECAST_FORECAST_INPUT and PRICECAST_FORECAST_OUTPUT (see the DAG's docstring)")
    return ["forecast", "--input", INPUT, "--output", OUTPUT, "--as-of", as_of, "--json", *EXTRA_ARGS]


def emr_forecast(plan: dict, as_of: str) -> dict:
    """The cluster (the plan's RunJobFlow request, without its steps) and the forecast step for `as_of`."""
    if not INPUT.startswith("s3://") or not OUTPUT.startswith("s3://"):
        raise ValueError("emr mode: PRICECAST_FORECAST_INPUT and PRICECAST_FORECAST_OUTPUT must be s3:// URIs (the cluster reads and writes S3)")
    request = plan.get("runJobFlow")
    if request is None:
        raise ValueError("the plan has no runJobFlow (stage it without --cluster-id)")
    job_args = [a for step in request.get("Steps", []) for a in step["HadoopJarStep"]["Args"]]
    script = next((a for a in job_args if a.endswith("/price_regression.py")), None)
    if script is None:
        raise ValueError("the plan stages no price_regression.py")
    job_flow = {key: value for key, value in request.items() if key != "Steps"}
    # Started without steps: kept alive until add_steps adds the forecast (bounded by its idle auto-termination).
    job_flow["Instances"] = {**job_flow.get("Instances", {}), "KeepJobFlowAliveWhenNoSteps": True}
    job_flow["Name"] = f"{job_flow.get('Name', 'pricecast')} forecast {as_of}"
    step = {
        "Name": f"pricecast forecast as of {as_of}",
        "ActionOnFailure": "TERMINATE_CLUSTER",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": [
                "timeout", "--signal=TERM", "--kill-after=60", f"{STEP_TIMEOUT_SECONDS}s",
                "spark-submit", "--deploy-mode", "client", "--master", "yarn",
                # Replace only the partitions this run writes (its origin_date), never the whole table.
                "--conf", "spark.sql.sources.partitionOverwriteMode=dynamic",
                script, "forecast", "--input", INPUT, "--output", OUTPUT, "--as-of", as_of, *EXTRA_ARGS,
            ],
        },
    }
    return {"job_flow": job_flow, "steps": [step]}


with DAG(
    dag_id="pricecast_forecast",
    description="pricecast forecast as of each day, one partition of the forecast table on S3 per run",
    schedule="@daily",
    start_date=START,
    catchup=CATCHUP,
    max_active_runs=1,
    # emr: the plan's dicts (XComs) are rendered into the operators' fields as objects, not strings.
    render_template_as_native_obj=True,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    tags=["pricecast", "forecast"],
) as dag:

    if MODE == "emr":
        from airflow.providers.amazon.aws.operators.emr import (
            EmrAddStepsOperator,
            EmrCreateJobFlowOperator,
            EmrTerminateJobFlowOperator,
        )
        from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

        @task
        def plan_forecast(ds: str | None = None) -> dict:
            if not EMR_PLAN:
                raise ValueError("emr mode: set PRICECAST_FORECAST_EMR_PLAN to the plan `pricecast emr stage` printed")
            with open(EMR_PLAN, encoding="utf-8") as handle:
                planned = emr_forecast(json.load(handle), ds)
            print("forecast step:", " ".join(planned["steps"][0]["HadoopJarStep"]["Args"]), flush=True)
            return planned

        planned = plan_forecast()
        attempts = max(1, int(SENSOR_TIMEOUT_SECONDS // POKE_SECONDS))
        create = EmrCreateJobFlowOperator(
            task_id="create_cluster",
            aws_conn_id=AWS_CONN_ID,
            emr_conn_id=None,
            job_flow_overrides="{{ ti.xcom_pull(task_ids='plan_forecast')['job_flow'] }}",
            wait_for_completion=False,
            waiter_delay=int(POKE_SECONDS),
            waiter_max_attempts=attempts,
            retries=0,
            **NOT_DEFERRED,
        )
        add_steps = EmrAddStepsOperator(
            task_id="add_steps",
            aws_conn_id=AWS_CONN_ID,
            job_flow_id=create.output,
            steps="{{ ti.xcom_pull(task_ids='plan_forecast')['steps'] }}",
            wait_for_completion=False,
            waiter_delay=int(POKE_SECONDS),
            waiter_max_attempts=attempts,
            retries=0,
            **NOT_DEFERRED,
        )
        watch = EmrStepSensor(
            task_id="watch_forecast",
            aws_conn_id=AWS_CONN_ID,
            job_flow_id=create.output,
            step_id="{{ ti.xcom_pull(task_ids='add_steps')[0] }}",
            poke_interval=POKE_SECONDS,
            timeout=SENSOR_TIMEOUT_SECONDS,
            mode="poke",
            max_attempts=attempts,
            retries=0,
            **NOT_DEFERRED,
        )
        terminate = EmrTerminateJobFlowOperator(
            task_id="terminate_cluster",
            aws_conn_id=AWS_CONN_ID,
            job_flow_id=create.output,
            waiter_delay=int(POKE_SECONDS),
            waiter_max_attempts=20,
            retries=3,
            retry_delay=timedelta(seconds=30),
            **NOT_DEFERRED,
        ).as_teardown(setups=create)
        planned >> create >> add_steps >> watch >> terminate

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

    if MODE == "cli":
        forecast()
