"""Runs airflow/dags/pricecast_forecast.py for test/airflow/forecastDag.test.ts and prints one JSON object.

    run_forecast_dag.py import          DagBag import: errors, the DAG's schedule, catchup, max_active_runs, tasks
    run_forecast_dag.py run DATE        dag.test(logical_date=DATE) with the real CLI (PRICECAST_CMD) against
                                        whatever S3 the environment points at (the moto server in the test)

AIRFLOW_HOME (a fresh temporary folder with its SQLite database) is set by the caller.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

DAGS = Path(__file__).resolve().parent.parent / "dags"


def load():
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    return bag, bag.dags.get("pricecast_forecast")


def main() -> None:
    mode = sys.argv[1]
    bag, dag = load()
    if mode == "import":
        print(json.dumps({
            "errors": {k: str(v) for k, v in bag.import_errors.items()},
            "schedule": str(getattr(dag, "schedule", None)) if dag else None,
            "catchup": dag.catchup if dag else None,
            "maxActiveRuns": dag.max_active_runs if dag else None,
            "tasks": sorted(dag.task_dict) if dag else [],
        }))
        return
    if mode == "run":
        day = datetime.fromisoformat(sys.argv[2]).replace(tzinfo=timezone.utc)
        run = dag.test(logical_date=day)
        states = {ti.task_id: (ti.state.value if hasattr(ti.state, "value") else ti.state) for ti in run.get_task_instances()}
        print(json.dumps({"runState": run.state.value if hasattr(run.state, "value") else run.state, "tasks": states}))
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
