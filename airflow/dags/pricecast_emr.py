"""pricecast on EMR as an Airflow DAG: the original project's pipeline, built from `pricecast emr` plans.

    stage --> create_cluster --> add_steps --> watch_last_step --> compare
                   |                                  |
                   +------ terminate_cluster <--------+   (teardown: runs whatever happened)

- stage: `pricecast emr stage` uploads the run's files (data, job, bootstrap, offline wheelhouse) and
  prints the plan as JSON (run id, the RunJobFlow request, the steps). Where Node is not available
  (Amazon MWAA workers), stage outside Airflow and trigger the DAG with the plan as the run's conf:
  `{"plan": <the JSON that pricecast emr stage printed>}`; this task then only passes it on.
- create_cluster: EmrCreateJobFlowOperator with emr_conn_id=None: the request is exactly the plan's
  (release, single node by default, bootstrap action, tags incl. the creator, auto-termination), less
  its Steps, which add_steps adds (so the step ids are known to the sensor).
- watch_last_step: EmrStepSensor on the last step (each step fails the cluster on failure, and each is
  bounded by `timeout` on the node, see src/emr/plan.ts). Its own timeout bounds the wait here too.
- terminate_cluster: EmrTerminateJobFlowOperator as a TEARDOWN of create_cluster: it runs when the
  steps failed or the sensor gave up, so the cluster never outlives the run; the run is still marked
  failed (a teardown's success does not hide its work tasks' failure).
- compare: `pricecast emr fetch --run-id ID --compare` (the output against the local engine), only
  where Node is available (`PRICECAST_COMPARE=0` or conf `{"compare": false}` skips it, e.g. on MWAA;
  run it later anywhere with the run id).

Settings (environment of the scheduler/workers, read when the DAG file is parsed):
  PRICECAST_CMD              how to run the CLI (default "pricecast"; e.g. "node /opt/pricecast/dist/cli.js")
  PRICECAST_STAGE_ARGS       arguments for `emr stage`, e.g. "--config /opt/emr.json --input /data/prices.csv"
  PRICECAST_FETCH_ARGS       arguments for `emr fetch` (where the run is: --config / --bucket / --prefix;
                             default PRICECAST_STAGE_ARGS, fine when everything is in a --config file)
  PRICECAST_COMPARE          1 (default) or 0
  PRICECAST_POKE_SECONDS     how often the sensor polls (default 60)
  PRICECAST_SENSOR_TIMEOUT_SECONDS  the sensor gives up after this long (default 3 h: longer than the
                             steps' own 2 h bound plus provisioning)
  PRICECAST_AWS_CONN_ID      the Airflow AWS connection (default aws_default; without one, boto3's chain)
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import datetime, timedelta

from airflow.providers.amazon.aws.operators.emr import (
    EmrAddStepsOperator,
    EmrCreateJobFlowOperator,
    EmrTerminateJobFlowOperator,
)
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor
from airflow.sdk import DAG, task
from airflow.exceptions import AirflowSkipException

PRICECAST_CMD = os.environ.get("PRICECAST_CMD", "pricecast")
STAGE_ARGS = shlex.split(os.environ.get("PRICECAST_STAGE_ARGS", ""))
FETCH_ARGS = shlex.split(os.environ.get("PRICECAST_FETCH_ARGS", os.environ.get("PRICECAST_STAGE_ARGS", "")))
COMPARE = os.environ.get("PRICECAST_COMPARE", "1") != "0"
POKE_SECONDS = float(os.environ.get("PRICECAST_POKE_SECONDS", "60"))
SENSOR_TIMEOUT_SECONDS = float(os.environ.get("PRICECAST_SENSOR_TIMEOUT_SECONDS", str(3 * 3600)))
AWS_CONN_ID = os.environ.get("PRICECAST_AWS_CONN_ID", "aws_default")


def _run_cli(args: list[str]) -> str:
    """Runs the pricecast CLI; its stderr (progress) goes to the task log, its stdout is returned."""
    command = [*shlex.split(PRICECAST_CMD), *args]
    print("running:", shlex.join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.stderr:
        print(done.stderr, flush=True)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def plan_for_airflow(plan: dict) -> dict:
    """The plan's parts the operators take: the RunJobFlow request without Steps, and the steps."""
    request = plan.get("runJobFlow")
    if request is None:
        raise ValueError("the plan has no runJobFlow (a plan for an existing cluster, --cluster-id, is not for this DAG)")
    steps = request.get("Steps") or []
    if not steps:
        raise ValueError("the plan's RunJobFlow request has no steps")
    return {
        "run_id": plan["runId"],
        "attempt_id": plan.get("attemptId"),
        "job_flow": {key: value for key, value in request.items() if key != "Steps"},
        "steps": steps,
    }


with DAG(
    dag_id="pricecast_emr",
    description="pricecast's reference PySpark job on EMR: stage, run, always terminate, compare",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    # XComs (the plan's dicts) are rendered into the operators' fields as objects, not strings.
    render_template_as_native_obj=True,
    default_args={"retries": 0},
    tags=["pricecast", "emr"],
) as dag:

    @task
    def stage(**context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        if conf.get("plan") is not None:
            plan = conf["plan"]
            print(f"plan from the run's conf: run {plan.get('runId')}", flush=True)
        else:
            plan = json.loads(_run_cli(["emr", "stage", *STAGE_ARGS]))
        return plan_for_airflow(plan)

    staged = stage()

    create = EmrCreateJobFlowOperator(
        task_id="create_cluster",
        aws_conn_id=AWS_CONN_ID,
        emr_conn_id=None,
        job_flow_overrides="{{ ti.xcom_pull(task_ids='stage')['job_flow'] }}",
    )

    add_steps = EmrAddStepsOperator(
        task_id="add_steps",
        aws_conn_id=AWS_CONN_ID,
        job_flow_id=create.output,
        steps="{{ ti.xcom_pull(task_ids='stage')['steps'] }}",
    )

    watch = EmrStepSensor(
        task_id="watch_last_step",
        aws_conn_id=AWS_CONN_ID,
        job_flow_id=create.output,
        step_id="{{ ti.xcom_pull(task_ids='add_steps')[-1] }}",
        poke_interval=POKE_SECONDS,
        timeout=SENSOR_TIMEOUT_SECONDS,
        mode="poke",
    )

    terminate = EmrTerminateJobFlowOperator(
        task_id="terminate_cluster",
        aws_conn_id=AWS_CONN_ID,
        job_flow_id=create.output,
    ).as_teardown(setups=create)

    @task
    def compare(plan: dict, **context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        if not conf.get("compare", COMPARE):
            raise AirflowSkipException("comparison switched off (PRICECAST_COMPARE=0 or conf compare=false)")
        args = ["emr", "fetch", "--run-id", plan["run_id"], "--compare", "--json", *FETCH_ARGS]
        if plan.get("attempt_id"):
            args += ["--attempt", plan["attempt_id"]]
        result = json.loads(_run_cli(args))
        if not result.get("parity", {}).get("ok"):
            raise RuntimeError(f"parity outside tolerance: {json.dumps(result.get('parity'))[:2000]}")
        return {"run_id": plan["run_id"], "ok": True}

    staged >> create >> add_steps >> watch >> terminate
    watch >> compare(staged)
