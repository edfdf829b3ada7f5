"""pricecast on EMR Serverless as an Airflow DAG, built from a `pricecast emr stage --serverless` plan.

    stage --> create_application --> start_job --> commit --> compare
                     |                                |
                     +------ stop_application <-------+   (teardown: runs whatever happened)

- stage: `pricecast emr stage --serverless` uploads the input, the job and the packed Python environment
  and prints the plan (the CreateApplication and StartJobRun requests, run.json's body). Without Node
  (MWAA), stage elsewhere and trigger with `{"plan": <that JSON>}` as the run's conf.
- create_application: EmrServerlessCreateApplicationOperator with the plan's request (its clientToken
  makes a retried call return the same application). Plans for a reused application (--application-id)
  are refused: this DAG owns the application it stops.
- start_job: EmrServerlessStartJobOperator with the plan's clientToken, execution role, job driver
  (spark.archives and the PYSPARK_PYTHON settings), S3 logs, and in `config` the run's
  executionTimeoutMinutes, retry policy (one attempt) and tags. It waits for the job run itself,
  polling every PRICECAST_POKE_SECONDS for at most PRICECAST_SENSOR_TIMEOUT_SECONDS, and cancels the run
  if the task is killed (cancel_on_kill).
- commit: the output folder must hold its part file, _model.json and _SUCCESS; only then is run.json
  written, the pointer `pricecast emr fetch` follows (docs/emr.md#all-or-nothing-without-hdfs).
- stop_application: EmrServerlessStopApplicationOperator (force_stop: cancels what still runs) as a
  TEARDOWN of create_application; the only task with retries.
- compare: `pricecast emr fetch --run-id ID --compare` with PRICECAST_FETCH_ARGS (required for it);
  `PRICECAST_COMPARE=0` or conf `{"compare": false}` skips it.

Every operator sets `deferrable=False` and its waits explicitly, never the environment's
`[operators] default_deferrable` and the provider's default limits (25 tries of a minute).

Settings: PRICECAST_CMD, PRICECAST_STAGE_ARGS (must include --serverless or a config with
serverless.enabled), PRICECAST_FETCH_ARGS, PRICECAST_COMPARE, PRICECAST_POKE_SECONDS,
PRICECAST_SENSOR_TIMEOUT_SECONDS, PRICECAST_AWS_CONN_ID, as for pricecast_emr.py.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from datetime import datetime, timedelta

from airflow.exceptions import AirflowSkipException
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.emr import (
    EmrServerlessCreateApplicationOperator,
    EmrServerlessStartJobOperator,
    EmrServerlessStopApplicationOperator,
)
from airflow.sdk import DAG, task

PRICECAST_CMD = os.environ.get("PRICECAST_CMD", "pricecast")
STAGE_ARGS = shlex.split(os.environ.get("PRICECAST_STAGE_ARGS", ""))
FETCH_ARGS = shlex.split(os.environ.get("PRICECAST_FETCH_ARGS", ""))
COMPARE = os.environ.get("PRICECAST_COMPARE", "1") != "0"
POKE_SECONDS = int(float(os.environ.get("PRICECAST_POKE_SECONDS", "60")))
SENSOR_TIMEOUT_SECONDS = float(os.environ.get("PRICECAST_SENSOR_TIMEOUT_SECONDS", str(3 * 3600)))
AWS_CONN_ID = os.environ.get("PRICECAST_AWS_CONN_ID", "aws_default")
WAITS = {
    "deferrable": False,
    "waiter_delay": max(1, POKE_SECONDS),
    "waiter_max_attempts": max(1, int(SENSOR_TIMEOUT_SECONDS // max(1, POKE_SECONDS))),
}
TEARDOWN_RETRIES = {"retries": 3, "retry_delay": timedelta(seconds=30)}
PART_FILE = re.compile(r"^part-.*\.parquet$")


class PlannedCreateApplication(EmrServerlessCreateApplicationOperator):
    """The provider's operator with the request taken from the plan: it templates none of these fields."""

    template_fields = (*EmrServerlessCreateApplicationOperator.template_fields, "release_label", "job_type", "client_request_token", "config")


class PlannedStartJob(EmrServerlessStartJobOperator):
    """The provider's operator, its idempotency token also taken from the plan (not templated upstream)."""

    template_fields = (*EmrServerlessStartJobOperator.template_fields, "client_request_token")


def _run_cli(args: list[str]) -> str:
    command = [*shlex.split(PRICECAST_CMD), *args]
    print("running:", shlex.join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.stderr:
        print(done.stderr, flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def serverless_plan_for_airflow(plan: dict) -> dict:
    """The plan's parts the operators take."""
    if not plan.get("serverless"):
        raise ValueError("not a serverless plan: stage with `pricecast emr stage --serverless`")
    create = plan.get("createApplication")
    if create is None:
        raise ValueError("the plan reuses an application (--application-id); this DAG creates and stops its own")
    run = plan["startJobRun"]
    return {
        "run_id": plan["runId"],
        "attempt_id": plan.get("attemptId"),
        "application": {
            "release_label": create["releaseLabel"],
            "job_type": create["type"],
            "client_request_token": create["clientToken"],
            "config": {key: value for key, value in create.items() if key not in ("releaseLabel", "type", "clientToken")},
        },
        "job": {
            "client_request_token": run["clientToken"],
            "execution_role_arn": run["executionRoleArn"],
            "job_driver": run["jobDriver"],
            "configuration_overrides": run.get("configurationOverrides"),
            "name": run.get("name"),
            "config": {key: run[key] for key in ("executionTimeoutMinutes", "retryPolicy", "tags") if key in run},
        },
        "output_uri": plan["outputUri"],
        "manifest_uri": plan["manifestUri"],
        "manifest": plan["manifest"],
    }


def _split_s3(uri: str) -> tuple[str, str]:
    match = re.match(r"^s3://([^/]+)/(.*)$", uri)
    if not match:
        raise ValueError(f"not an s3:// URI: {uri}")
    return match.group(1), match.group(2)


with DAG(
    dag_id="pricecast_emr_serverless",
    description="pricecast's reference PySpark job on EMR Serverless: stage, run, commit, always stop, compare",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    default_args={"retries": 0},
    tags=["pricecast", "emr-serverless"],
) as dag:

    @task
    def stage(**context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        plan = conf["plan"] if conf.get("plan") is not None else json.loads(_run_cli(["emr", "stage", *STAGE_ARGS]))
        return serverless_plan_for_airflow(plan)

    staged = stage()

    create = PlannedCreateApplication(
        task_id="create_application",
        aws_conn_id=AWS_CONN_ID,
        release_label="{{ ti.xcom_pull(task_ids='stage')['application']['release_label'] }}",
        job_type="{{ ti.xcom_pull(task_ids='stage')['application']['job_type'] }}",
        client_request_token="{{ ti.xcom_pull(task_ids='stage')['application']['client_request_token'] }}",
        config="{{ ti.xcom_pull(task_ids='stage')['application']['config'] }}",
        wait_for_completion=True,
        **WAITS,
    )

    start_job = PlannedStartJob(
        task_id="start_job",
        aws_conn_id=AWS_CONN_ID,
        application_id=create.output,
        execution_role_arn="{{ ti.xcom_pull(task_ids='stage')['job']['execution_role_arn'] }}",
        job_driver="{{ ti.xcom_pull(task_ids='stage')['job']['job_driver'] }}",
        configuration_overrides="{{ ti.xcom_pull(task_ids='stage')['job']['configuration_overrides'] }}",
        client_request_token="{{ ti.xcom_pull(task_ids='stage')['job']['client_request_token'] }}",
        name="{{ ti.xcom_pull(task_ids='stage')['job']['name'] }}",
        config="{{ ti.xcom_pull(task_ids='stage')['job']['config'] }}",
        wait_for_completion=True,
        cancel_on_kill=True,
        **WAITS,
    )

    @task
    def commit(plan: dict) -> dict:
        """run.json only once the output folder is whole: the pointer fetch follows moves in one PUT."""
        hook = S3Hook(aws_conn_id=AWS_CONN_ID)
        bucket, prefix = _split_s3(plan["output_uri"])
        names = [key[len(prefix):] for key in (hook.list_keys(bucket_name=bucket, prefix=prefix) or [])]
        missing = [name for name in ("_SUCCESS", "_model.json") if name not in names]
        if not any(PART_FILE.match(name) for name in names):
            missing.append("a part-*.parquet file")
        if missing:
            raise RuntimeError(f"{plan['output_uri']} lacks {', '.join(missing)}: run.json not written")
        manifest_bucket, manifest_key = _split_s3(plan["manifest_uri"])
        hook.load_string(json.dumps(plan["manifest"], indent=2) + "\n", key=manifest_key, bucket_name=manifest_bucket,
                         replace=True, encrypt=True)
        return {"run_id": plan["run_id"], "output_uri": plan["output_uri"]}

    stop = EmrServerlessStopApplicationOperator(
        task_id="stop_application",
        aws_conn_id=AWS_CONN_ID,
        application_id=create.output,
        force_stop=True,
        wait_for_completion=True,
        **WAITS,
        **TEARDOWN_RETRIES,
    ).as_teardown(setups=create)

    @task
    def compare(plan: dict, **context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        if not conf.get("compare", COMPARE):
            raise AirflowSkipException("comparison switched off (PRICECAST_COMPARE=0 or conf compare=false)")
        if not FETCH_ARGS:
            raise RuntimeError("PRICECAST_FETCH_ARGS is not set: say where the run is (--config FILE, or --bucket/--prefix)")
        result = json.loads(_run_cli(["emr", "fetch", "--run-id", plan["run_id"], "--compare", "--json", *FETCH_ARGS]))
        if not result.get("parity", {}).get("ok"):
            raise RuntimeError(f"parity outside tolerance: {json.dumps(result.get('parity'))[:2000]}")
        return {"run_id": plan["run_id"], "ok": True}

    committed = commit(staged)
    staged >> create >> start_job >> committed >> stop
    committed >> compare(staged)
