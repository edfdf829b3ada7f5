#!/usr/bin/env bash
# EMR bootstrap action: installs the reference job's Python dependencies on every node, with the system
# python3 that EMR runs PySpark with (Python 3.9 on emr-7.x).
#
#   bootstrap.sh s3://BUCKET/PREFIX/requirements.txt
#
# The pins come from pyspark/requirements.txt, staged to S3 beside this script, so the cluster gets exactly
# the versions the local runs use. Every pin EXCEPT pyspark: EMR ships its own Spark (3.5.5 on emr-7.10.0),
# and a pip-installed pyspark would shadow it on the Python path.
# Fails loudly: any error fails the bootstrap action, and with it the cluster's start.
set -euo pipefail

requirements_uri="${1:?usage: bootstrap.sh s3://BUCKET/PREFIX/requirements.txt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "bootstrap: fetching $requirements_uri"
aws s3 cp --only-show-errors "$requirements_uri" "$work/requirements.txt"

# Drop the pyspark requirement (any spelling: pyspark==x, pyspark[extra]==x, PySpark >= x) and comments.
grep -v -i -E '^[[:space:]]*pyspark([[:space:]]*([=<>!~;[]|$))' "$work/requirements.txt" \
  | sed -e 's/#.*//' -e 's/[[:space:]]*$//' | grep -v -E '^$' > "$work/emr-requirements.txt" || true
if [[ ! -s "$work/emr-requirements.txt" ]]; then
  echo "bootstrap: $requirements_uri has no requirements besides pyspark; refusing to continue" >&2
  exit 1
fi
if grep -q -i -E '^[[:space:]]*pyspark' "$work/emr-requirements.txt"; then
  echo "bootstrap: could not filter pyspark out of $requirements_uri" >&2
  exit 1
fi

echo "bootstrap: installing with $(python3 --version 2>&1):"
sed 's/^/  /' "$work/emr-requirements.txt"
sudo python3 -m pip install --no-cache-dir --disable-pip-version-check --no-input -r "$work/emr-requirements.txt"

# The job's imports, checked here so a broken install fails the bootstrap, not the step an hour later.
python3 -c 'import numpy, pandas, pyarrow, ta.momentum; print("bootstrap: numpy", numpy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__)'
