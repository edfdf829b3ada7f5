#!/usr/bin/env bash
# EMR bootstrap action: installs the reference job's Python packages on every node, OFFLINE, from the
# wheelhouse that pyspark/wheelhouse.sh built locally and the run staged to S3:
#
#   bootstrap.sh s3://BUCKET/PREFIX/wheelhouse/KEY/
#
# - No PyPI: `pip install --no-index --require-hashes` from the staged wheels only (the node needs S3,
#   which EMR needs anyway, and no internet egress).
# - No system pip, no sudo pip: a venv of its own (the cluster's spark-env points PYSPARK_PYTHON at
#   it), with pip run from the wheelhouse's pip wheel; `python3 -m ensurepip` is the fallback when the
#   wheelhouse has no pip wheel. EMR's own Spark stays EMR's (spark-submit puts it on PYTHONPATH).
# - Fails loudly: any error fails the bootstrap action, and with it the cluster's start (cheap: before
#   any step runs).
# - Python 3.11: the wheelhouse holds cp311 wheels. EMR 7.x nodes run Amazon Linux 2023, whose system
#   python3 is 3.9 and which ships python3.11 as a package: installed here with dnf when the node lacks
#   it (docs/emr.md#node-types-and-python). The cluster's PYSPARK_PYTHON and spark.pyspark.python
#   point at the venv, so the job, its UDFs and the publish guard all run on 3.11.
# Overridable for the local test: PRICECAST_VENV (default /opt/pricecast/venv), PRICECAST_PYTHON
# (default python3.11).
set -euo pipefail

wheelhouse_uri="${1:?usage: bootstrap.sh s3://BUCKET/PREFIX/wheelhouse/KEY/}"
venv="${PRICECAST_VENV:-/opt/pricecast/venv}"
python="${PRICECAST_PYTHON:-python3.11}"
sudo=""; [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v "$python" >/dev/null 2>&1; then
  echo "bootstrap: installing $python (Amazon Linux 2023's package)"
  $sudo dnf install -y -q "$python" \
    || { echo "bootstrap: could not install $python with dnf; the job needs Python 3.11 (EMR 7.x, Amazon Linux 2023)" >&2; exit 1; }
fi
"$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "bootstrap: $python is $("$python" --version 2>&1), but the wheelhouse holds CPython 3.11 wheels" >&2; exit 1; }

echo "bootstrap: fetching the wheelhouse $wheelhouse_uri"
aws s3 cp --only-show-errors --recursive "${wheelhouse_uri%/}/" "$work/wheelhouse/"
[[ -s "$work/wheelhouse/requirements.txt" ]] || { echo "bootstrap: no requirements.txt in $wheelhouse_uri" >&2; exit 1; }

echo "bootstrap: creating $venv with $("$python" --version 2>&1)"
$sudo mkdir -p "$(dirname "$venv")"
$sudo chown "$(id -u):$(id -g)" "$(dirname "$venv")"
rm -rf "$venv"
"$python" -m venv --without-pip "$venv"

pip_wheel="$(ls "$work"/wheelhouse/pip-*.whl 2>/dev/null | head -1 || true)"
if [[ -n "$pip_wheel" ]]; then
  pip=("$venv/bin/python" "$pip_wheel/pip")   # pip runs from its own wheel (a zip on sys.path)
else
  "$venv/bin/python" -m ensurepip --default-pip
  pip=("$venv/bin/python" -m pip)
fi
"${pip[@]}" install --no-index --find-links "$work/wheelhouse" --require-hashes --no-cache-dir \
  --disable-pip-version-check --no-input -r "$work/wheelhouse/requirements.txt"

# The job's imports (and the publish guard's boto3), checked here so a broken install fails the bootstrap,
# not the step an hour later.
"$venv/bin/python" -c 'import numpy, pandas, pyarrow, ta.momentum, boto3; print("bootstrap: numpy", numpy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__)'
