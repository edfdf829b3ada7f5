"""Runs airflow/dags/pricecast_emr_serverless.py for test/airflow/serverlessDag.test.ts; prints one JSON object.

    run_serverless_dag.py success PLAN.json OUTPUT_DIR
        dag.test() in-process under moto's mock_aws (whose job runs are SUCCESS at once), with the job's
        output (OUTPUT_DIR's files, the engine's own) put where the job would write it, as the job would.
    run_serverless_dag.py partial PLAN.json
        the same with only _SUCCESS in the output folder: commit fails, run.json is not written, the
        teardown still stops the application.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_dag import load_dag, task_states  # noqa: E402


def main() -> None:
    mode, plan_file = sys.argv[1], sys.argv[2]
    plan = json.loads(Path(plan_file).read_text())
    import boto3
    from moto import mock_aws
    from moto.emrserverless import models as serverless_models

    # moto creates applications STARTED; EMR Serverless creates them CREATING, then CREATED, which the
    # provider's create waiter waits for (and its start-job operator then starts them).
    serverless_models.APPLICATION_STATUS = "CREATED"

    with mock_aws():
        region = os.environ.get("AWS_REGION", "us-east-1")
        s3 = boto3.client("s3", region_name=region)
        bucket, output_key = re.match(r"^s3://([^/]+)/(.*)$", plan["outputUri"]).groups()
        s3.create_bucket(Bucket=bucket)
        if mode == "success":
            for file in sorted(Path(sys.argv[3]).iterdir()):
                s3.put_object(Bucket=bucket, Key=output_key + file.name, Body=file.read_bytes())
        else:
            s3.put_object(Bucket=bucket, Key=output_key + "_SUCCESS", Body=b"")
        _, dag = load_dag("pricecast_emr_serverless")
        run = dag.test(run_conf={"plan": plan, "compare": False})
        serverless = boto3.client("emr-serverless", region_name=region)
        apps = serverless.list_applications()["applications"]
        manifest_key = re.match(r"^s3://[^/]+/(.*)$", plan["manifestUri"]).group(1)
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=manifest_key).get("KeyCount", 0)
        try:
            runs = serverless.list_job_runs(applicationId=apps[0]["id"])["jobRuns"] if apps else []
        except serverless.exceptions.ResourceNotFoundException:  # moto: an application with no job run yet
            runs = []
        job = serverless.get_job_run(applicationId=apps[0]["id"], jobRunId=runs[0]["id"])["jobRun"] if runs else {}
        print(json.dumps({
            "runState": run.state.value if hasattr(run.state, "value") else run.state,
            "tasks": task_states(run),
            "applications": [{"name": a["name"], "state": a["state"]} for a in apps],
            "jobRun": {key: job.get(key) for key in ("executionRole", "jobDriver", "executionTimeoutMinutes", "tags")},
            "manifestWritten": listed > 0,
        }, default=str))


if __name__ == "__main__":
    main()
