"""Runs airflow/dags/pricecast_emr.py for test/airflow/dag.test.ts and prints one JSON object of what happened.

    run_dag.py import                 DagBag import: errors, tasks, which task is a teardown of which
    run_dag.py success PLAN.json      dag.test() in-process under moto's mock_aws, the steps scripted to
                                      COMPLETED when the sensor first asks (moto never runs steps)
    run_dag.py against-server [CONF]  dag.test() against the moto SERVER the environment points boto3 at
                                      (AWS_ENDPOINT_URL), with the real `pricecast emr stage` (PRICECAST_CMD,
                                      PRICECAST_STAGE_ARGS); moto keeps the steps RUNNING, so the sensor
                                      times out (PRICECAST_SENSOR_TIMEOUT_SECONDS) and the run fails

AIRFLOW_HOME (a fresh temporary folder with its SQLite database) is set by the caller.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parent.parent / "dags"


def load_dag(dag_id: str = "pricecast_emr"):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    return bag, bag.dags.get(dag_id)


def task_settings(task) -> dict:
    """What each task waits with: deferred or not, its limits, its retries (the explicit modes)."""
    keys = ("deferrable", "wait_for_completion", "waiter_delay", "waiter_max_attempts", "max_attempts", "mode", "poke_interval", "timeout")
    found = {key: getattr(task, key) for key in keys if hasattr(task, key)}
    if hasattr(task, "timeout") and hasattr(found.get("timeout"), "total_seconds"):
        found["timeout"] = found["timeout"].total_seconds()
    found["retries"] = task.retries
    return found


def task_states(run) -> dict:
    return {ti.task_id: (ti.state.value if hasattr(ti.state, "value") else ti.state) for ti in run.get_task_instances()}


def cluster_summary(emr, cluster_id: str) -> dict:
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    steps = emr.list_steps(ClusterId=cluster_id)["Steps"]
    return {
        "id": cluster_id,
        "state": cluster["Status"]["State"],
        "name": cluster["Name"],
        "tags": {t["Key"]: t["Value"] for t in cluster.get("Tags", [])},
        "autoTerminate": cluster.get("AutoTerminate"),
        "steps": [{"name": s["Name"], "state": s["Status"]["State"], "args": s["Config"]["Args"]} for s in reversed(steps)],
    }


def run_and_report(dag, conf: dict) -> dict:
    import boto3

    run = dag.test(run_conf=conf)
    emr = boto3.client("emr", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    clusters = emr.list_clusters()["Clusters"]
    return {
        "runState": run.state.value if hasattr(run.state, "value") else run.state,
        "tasks": task_states(run),
        "clusters": [cluster_summary(emr, c["Id"]) for c in clusters],
    }


def main() -> None:
    mode = sys.argv[1]
    if mode == "import":
        bag, dag = load_dag(sys.argv[2] if len(sys.argv) > 2 else "pricecast_emr")
        module = sys.modules.get(next((name for name in sys.modules if name.endswith("pricecast_emr")), ""), None)
        print(json.dumps({
            "fetchArgs": getattr(module, "FETCH_ARGS", None),
            "settings": {t.task_id: task_settings(t) for t in dag.tasks} if dag else {},
            "errors": {k: str(v) for k, v in bag.import_errors.items()},
            "dagIds": sorted(bag.dag_ids),
            "params": dag.params.dump() if dag else {},
            "tasks": sorted(dag.task_dict) if dag else [],
            "teardowns": {t.task_id: sorted(u.task_id for u in t.upstream_list if u.is_setup) for t in dag.tasks if t.is_teardown} if dag else {},
            "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
        }))
        return

    if mode == "success":
        plan = json.loads(Path(sys.argv[2]).read_text())
        from moto import mock_aws
        from moto.emr import models as emr_models

        # The script: moto never advances steps, so the first DescribeStep completes them all.
        original = emr_models.ElasticMapReduceBackend.describe_step

        def describe_step(self, cluster_id, step_id):
            for step in self.clusters[cluster_id].steps:
                step.state = "COMPLETED"
            return original(self, cluster_id, step_id)

        emr_models.ElasticMapReduceBackend.describe_step = describe_step
        with mock_aws():
            _, dag = load_dag()
            print(json.dumps(run_and_report(dag, {"plan": plan, "compare": False})))
        return

    if mode == "against-server":
        _, dag = load_dag()
        print(json.dumps(run_and_report(dag, json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})))
        return

    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
