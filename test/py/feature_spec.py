"""The reference job's feature-spec parser and catalogue, for test/engine/features/spec.test.ts (no Spark session).

Reads {"specs": [...]} on stdin; writes {"catalogue": {...}, "needsHighLow": [...], "parsed": [...]} where each
parsed entry is {"ok": items} or {"error": message}, items' args as the job writes them to _model.json.
"""
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pyspark"))
import price_regression as job  # noqa: E402

request = json.load(sys.stdin)
catalogue, needs_high_low = job.feature_catalogue()
parsed = []
for spec in request["specs"]:
    try:
        items = job.parse_feature_spec(spec)
        parsed.append({"ok": [{**item, "args": job._json_args(item["args"])} for item in items]})
    except job.FeatureSpecError as error:
        parsed.append({"error": str(error)})
json.dump({"catalogue": catalogue, "needsHighLow": needs_high_low, "parsed": parsed}, sys.stdout)
