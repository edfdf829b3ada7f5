"""pricecast on EMR as an Airflow DAG: the original project's pipeline, built from `pricecast emr` plans.

    stage --> create_cluster --> add_steps --> watch_step_1 --> ... --> watch_step_4 --> compare
                   |                                                          |
                   +------------------- terminate_cluster <-------------------+   (teardown)

- stage: `pricecast emr stage --command COMMAND` uploads the run's files (data, job, bootstrap, offline
  wheelhouse) and prints the plan as JSON (run id, the RunJobFlow request, the steps). COMMAND is the
  DAG's `command` parameter: `predict` (default) or `experiment` (the walk-forward job, its feature sets
  given as `--set NAME=SPEC` in PRICECAST_STAGE_ARGS or the config file; docs/emr.md#the-experiment-on-emr).
  Where Node is not available (Amazon MWAA workers), stage outside Airflow and trigger the DAG with the
  plan as the run's conf: `{"plan": <the JSON that pricecast emr stage printed>}`; this task then only
  passes it on (and refuses a plan of another command than the run's parameter).
- create_cluster: EmrCreateJobFlowOperator with emr_conn_id=None: the request is exactly the plan's
  (release, single node by default, bootstrap action, tags incl. the creator, auto-termination), less
  its Steps, which add_steps adds (so the step ids are known to the sensors). Because the cluster
  starts with no steps, KeepJobFlowAliveWhenNoSteps is switched on here: otherwise a cluster that is up
  before add_steps runs ends itself with nothing done. Its idle auto-termination still bounds it, and
  the teardown ends it.
- watch_step_N: one EmrStepSensor per step, so the task that fails is the step that failed (its
  FailureDetails in that task's log), not only the last one. Each step is bounded by `timeout` on the
  node (src/emr/plan.ts); the sensors' own time limit bounds the wait here too.
- terminate_cluster: EmrTerminateJobFlowOperator as a TEARDOWN of create_cluster: it runs when the
  steps failed or a sensor gave up, so the cluster never outlives the run; the run is still marked
  failed (a teardown's success does not hide its work tasks' failure). The only task with retries: a
  throttled TerminateJobFlows must not leave a cluster running.
- compare: `pricecast emr fetch --run-id ID --compare` (the output against the local engine; with
  experiment, results.json against the engine's experiment, as run.json records the command), only
  where Node is available (`PRICECAST_COMPARE=0` or conf `{"compare": false}` skips it, e.g. on MWAA;
  run it later anywhere with the run id).

Every operator and sensor sets `deferrable=False` and its waits explicitly: an environment whose
`[operators] default_deferrable` is true would otherwise defer them with the provider's own limits
(the step sensor gives up after 60 tries of a minute, add_steps after 30 minutes), and the teardown
would then terminate a cluster whose steps are still running.

Settings (environment of the scheduler/workers, read when the DAG file is parsed):
  PRICECAST_CMD              how to run the CLI (default "pricecast"; e.g. "node /opt/pricecast/dist/cli.js")
  PRICECAST_STAGE_ARGS       arguments for `emr stage`, e.g. "--config /opt/emr.json --input /data/prices.csv"
  PRICECAST_FETCH_ARGS       arguments for `emr fetch`: where the run is (--config / --bucket / --prefix);
                             required for compare (the stage arguments are not fetch's: no default)
  PRICECAST_COMPARE          1 (default) or 0
  PRICECAST_POKE_SECONDS     how often the sensors poll (default 60)
  PRICECAST_SENSOR_TIMEOUT_SECONDS  each sensor gives up after this long (default 3 h: longer than a
                             step's own 2 h bound plus provisioning)
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
from airflow.sdk import DAG, Param, task
from airflow.exceptions import AirflowSkipException

PRICECAST_CMD = os.environ.get("PRICECAST_CMD", "pricecast")
STAGE_ARGS = shlex.split(os.environ.get("PRICECAST_STAGE_ARGS", ""))
FETCH_ARGS = shlex.split(os.environ.get("PRICECAST_FETCH_ARGS", ""))
COMPARE = os.environ.get("PRICECAST_COMPARE", "1") != "0"
POKE_SECONDS = float(os.environ.get("PRICECAST_POKE_SECONDS", "60"))
SENSOR_TIMEOUT_SECONDS = float(os.environ.get("PRICECAST_SENSOR_TIMEOUT_SECONDS", str(3 * 3600)))
AWS_CONN_ID = os.environ.get("PRICECAST_AWS_CONN_ID", "aws_default")
# The plan's four steps (src/emr/plan.ts): s3-dist-cp in, spark-submit, the publish guard (claims the
# output folder, refuses one holding objects not of this run), s3-dist-cp out.
STEP_COUNT = 4
# Explicit waits, never the environment's deferrable default (see above).
NOT_DEFERRED = {"deferrable": False}
TEARDOWN_RETRIES = {"retries": 3, "retry_delay": timedelta(seconds=30)}


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


COMMANDS = ["predict", "experiment"]


def plan_for_airflow(plan: dict) -> dict:
    """The plan's parts the operators take: the RunJobFlow request without Steps, and the steps."""
    request = plan.get("runJobFlow")
    if request is None:
        raise ValueError("the plan has no runJobFlow (a plan for an existing cluster, --cluster-id, is not for this DAG)")
    steps = request.get("Steps") or []
    if not steps:
        raise ValueError("the plan's RunJobFlow request has no steps")
    if len(steps) != STEP_COUNT:
        raise ValueError(f"the plan has {len(steps)} steps; this DAG watches {STEP_COUNT}")
    job_flow = {key: value for key, value in request.items() if key != "Steps"}
    # Started without steps: kept alive until add_steps adds them (bounded by its idle auto-termination).
    job_flow["Instances"] = {**job_flow.get("Instances", {}), "KeepJobFlowAliveWhenNoSteps": True}
    return {
        "run_id": plan["runId"],
        "attempt_id": plan.get("attemptId"),
        "command": plan.get("command", "predict"),
        "job_flow": job_flow,
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
    params={
        "command": Param("predict", type="string", enum=COMMANDS,
                         description="what runs on the cluster: predict, or the walk-forward experiment"),
    },
    tags=["pricecast", "emr"],
) as dag:

    @task
    def stage(**context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        command = context["params"]["command"]
        if conf.get("plan") is not None:
            plan = conf["plan"]
            print(f"plan from the run's conf: run {plan.get('runId')}", flush=True)
        else:
            plan = json.loads(_run_cli(["emr", "stage", "--command", command, *STAGE_ARGS]))
        staged_plan = plan_for_airflow(plan)
        if staged_plan["command"] != command:
            raise ValueError(f"the plan runs {staged_plan['command']}, but this run's command parameter is {command}")
        print(f"run {staged_plan['run_id']}: {command}", flush=True)
        return staged_plan

    staged = stage()

    create = EmrCreateJobFlowOperator(
        task_id="create_cluster",
        aws_conn_id=AWS_CONN_ID,
        emr_conn_id=None,
        job_flow_overrides="{{ ti.xcom_pull(task_ids='stage')['job_flow'] }}",
        wait_for_completion=False,
        waiter_delay=int(POKE_SECONDS),
        waiter_max_attempts=max(1, int(SENSOR_TIMEOUT_SECONDS // POKE_SECONDS)),
        **NOT_DEFERRED,
    )

    add_steps = EmrAddStepsOperator(
        task_id="add_steps",
        aws_conn_id=AWS_CONN_ID,
        job_flow_id=create.output,
        steps="{{ ti.xcom_pull(task_ids='stage')['steps'] }}",
        wait_for_completion=False,
        waiter_delay=int(POKE_SECONDS),
        waiter_max_attempts=max(1, int(SENSOR_TIMEOUT_SECONDS // POKE_SECONDS)),
        **NOT_DEFERRED,
    )

    watches = [
        EmrStepSensor(
            task_id=f"watch_step_{index + 1}",
            aws_conn_id=AWS_CONN_ID,
            job_flow_id=create.output,
            step_id=f"{{{{ ti.xcom_pull(task_ids='add_steps')[{index}] }}}}",
            poke_interval=POKE_SECONDS,
            timeout=SENSOR_TIMEOUT_SECONDS,
            mode="poke",
            max_attempts=max(1, int(SENSOR_TIMEOUT_SECONDS // POKE_SECONDS)),
            **NOT_DEFERRED,
        )
        for index in range(STEP_COUNT)
    ]

    terminate = EmrTerminateJobFlowOperator(
        task_id="terminate_cluster",
        aws_conn_id=AWS_CONN_ID,
        job_flow_id=create.output,
        waiter_delay=int(POKE_SECONDS),
        waiter_max_attempts=20,
        **NOT_DEFERRED,
        **TEARDOWN_RETRIES,
    ).as_teardown(setups=create)

    @task
    def compare(plan: dict, **context) -> dict:
        conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
        if not conf.get("compare", COMPARE):
            raise AirflowSkipException("comparison switched off (PRICECAST_COMPARE=0 or conf compare=false)")
        if not FETCH_ARGS:
            raise RuntimeError("PRICECAST_FETCH_ARGS is not set: say where the run is (--config FILE, or --bucket/--prefix)")
        args = ["emr", "fetch", "--run-id", plan["run_id"], "--compare", "--json", *FETCH_ARGS]
        if plan.get("attempt_id"):
            args += ["--attempt", plan["attempt_id"]]
        result = json.loads(_run_cli(args))
        if not result.get("parity", {}).get("ok"):
            raise RuntimeError(f"parity outside tolerance: {json.dumps(result.get('parity'))[:2000]}")
        return {"run_id": plan["run_id"], "ok": True}

    staged >> create >> add_steps >> watches[0]
    for before, after in zip(watches, watches[1:]):
        before >> after
    watches[-1] >> terminate
    watches[-1] >> compare(staged)
