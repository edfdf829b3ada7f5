"""Runs airflow/dags/pricecast_forecast.py for test/airflow/forecastDag.test.ts and prints one JSON object.

    run_forecast_dag.py import          DagBag import: errors, the DAG's schedule, catchup, max_active_runs, tasks
    run_forecast_dag.py run DATE        dag.test(logical_date=DATE) with the real CLI (PRICECAST_CMD) against
                                        whatever S3 the environment points at (the moto server in the test)
    run_forecast_dag.py emr-run DATE    PRICECAST_FORECAST_MODE=emr: dag.test(logical_date=DATE) in-process under
                                        moto's mock_aws (the server endpoint dropped), the step scripted to
                                        COMPLETED when the sensor first asks (moto never runs steps)

AIRFLOW_HOME (a fresh temporary folder with its SQLite database) is set by the caller.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

DAGS = Path(__file__).resolve().parent.parent / "dags"


def load():
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    return bag, bag.dags.get("pricecast_forecast")


def task_settings(task) -> dict:
    """What each task waits with: deferred or not, its limits, its retries."""
    keys = ("deferrable", "wait_for_completion", "waiter_delay", "waiter_max_attempts", "max_attempts", "mode", "poke_interval", "timeout")
    found = {key: getattr(task, key) for key in keys if hasattr(task, key)}
    if hasattr(found.get("timeout"), "total_seconds"):
        found["timeout"] = found["timeout"].total_seconds()
    found["retries"] = task.retries
    return found


def run_report(run) -> dict:
    states = {ti.task_id: (ti.state.value if hasattr(ti.state, "value") else ti.state) for ti in run.get_task_instances()}
    return {"runState": run.state.value if hasattr(run.state, "value") else run.state, "tasks": states}


def emr_run(day: datetime) -> dict:
    # In-process moto, not the server: its endpoint goes, and its blank AWS_PROFILE (botocore reads a blank
    # one as a profile's name), before boto3 and moto are imported.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    if not os.environ.get("AWS_PROFILE"):
        os.environ.pop("AWS_PROFILE", None)
    # Airflow's AWS hook takes the region botocore reads (AWS_DEFAULT_REGION), not the SDKs' AWS_REGION.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    import boto3
    from moto import mock_aws
    from moto.emr import models as emr_models
    original = emr_models.ElasticMapReduceBackend.describe_step

    def describe_step(self, cluster_id, step_id):
        for step in self.clusters[cluster_id].steps:
            step.state = "COMPLETED"
        return original(self, cluster_id, step_id)

    emr_models.ElasticMapReduceBackend.describe_step = describe_step
    with mock_aws():
        _, dag = load()
        report = run_report(dag.test(logical_date=day))
        emr = boto3.client("emr", region_name=os.environ.get("AWS_REGION", "us-east-1"))
        clusters = []
        for c in emr.list_clusters()["Clusters"]:
            cluster = emr.describe_cluster(ClusterId=c["Id"])["Cluster"]
            steps = emr.list_steps(ClusterId=c["Id"])["Steps"]
            actions = emr.list_bootstrap_actions(ClusterId=c["Id"])["BootstrapActions"]
            clusters.append({
                "name": cluster["Name"], "state": cluster["Status"]["State"], "releaseLabel": cluster.get("ReleaseLabel"),
                "tags": {t["Key"]: t["Value"] for t in cluster.get("Tags", [])},
                "bootstrap": [{"path": a["ScriptPath"], "args": a.get("Args", [])} for a in actions],
                "steps": [{"name": s["Name"], "state": s["Status"]["State"], "args": s["Config"]["Args"]} for s in reversed(steps)],
            })
        return {**report, "clusters": clusters}


def main() -> None:
    mode = sys.argv[1]
    if mode == "emr-run":
        print(json.dumps(emr_run(datetime.fromisoformat(sys.argv[2]).replace(tzinfo=timezone.utc))))
        return
    bag, dag = load()
    if mode == "import":
        print(json.dumps({
            "errors": {k: str(v) for k, v in bag.import_errors.items()},
            "schedule": str(getattr(dag, "schedule", None)) if dag else None,
            "catchup": dag.catchup if dag else None,
            "maxActiveRuns": dag.max_active_runs if dag else None,
            "tasks": sorted(dag.task_dict) if dag else [],
            "settings": {t.task_id: task_settings(t) for t in dag.tasks} if dag else {},
            "teardowns": {t.task_id: sorted(u.task_id for u in t.upstream_list if u.is_setup) for t in dag.tasks if t.is_teardown} if dag else {},
            "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
        }))
        return
    if mode == "run":
        day = datetime.fromisoformat(sys.argv[2]).replace(tzinfo=timezone.utc)
        print(json.dumps(run_report(dag.test(logical_date=day))))
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
