#!/usr/bin/env bash
# Creates, or reuses, the Airflow environment: <cache>/airflow-env (Airflow 3.1 with
# apache-airflow-providers-amazon, and moto for the tests), from the fully pinned airflow/requirements.txt.
# <cache> is $PRICECAST_CACHE when set (src/paths.ts decides it for pricecast, docs/install.md#the-cache-folder),
# else <project>/.cache.
#
# - Python 3.11 (Airflow 3.1 supports 3.10-3.13; the pins were resolved on 3.11): PRICECAST_AIRFLOW_PYTHON,
#   else python3.11, else ~/.pyenv/versions/3.11.*/bin/python3.11.
# - Reuse is keyed on a hash of airflow/requirements.txt and the interpreter (python -VV), in a stamp
#   written last: a changed pin rebuilds, a half-built env (no stamp) is rebuilt.
# - Concurrent callers are serialised with flock. Prints the env's path on stdout; the rest on stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${PRICECAST_CACHE:-$root/.cache}"
env_dir="$cache/airflow-env"
stamp="$env_dir/.pricecast-stamp"
requirements="$root/airflow/requirements.txt"

log() { echo "airflow provision: $*" >&2; }
die() { echo "airflow provision: $*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in ${PRICECAST_AIRFLOW_PYTHON:-} python3.11 "$HOME"/.pyenv/versions/3.11.*/bin/python3.11; do
    [[ -n "$candidate" ]] || continue
    command -v "$candidate" >/dev/null 2>&1 || [[ -x "$candidate" ]] || continue
    if [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == 3.11 ]]; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  die "Python 3.11 is required for the Airflow env (the pins in airflow/requirements.txt were resolved on it): install it, e.g. 'apt-get install python3.11 python3.11-venv' or 'pyenv install 3.11', or point PRICECAST_AIRFLOW_PYTHON at it."
}
env_key() { { cat "$requirements"; "$1" -VV; } | sha256sum | cut -d' ' -f1; }

mkdir -p "$cache"
exec 9>"$cache/airflow-env.lock"
flock 9

if [[ -f "$stamp" && -x "$env_dir/bin/python" ]] && have="$(env_key "$env_dir/bin/python" 2>/dev/null)" \
    && [[ "$(cat "$stamp")" == "$have" ]]; then
  echo "$env_dir"
  exit 0
fi

python="$(find_python)"
want="$(env_key "$python")"
log "building $env_dir with $python ($("$python" -V 2>&1))"
started=$SECONDS
rm -rf "$env_dir"
"$python" -m venv "$env_dir" >&2
"$env_dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --no-deps -r "$requirements" >&2 \
  || die "pip install into $env_dir failed (see above); the env is left without a stamp and is rebuilt on the next call."
# --no-deps above installs exactly the pinned set; this says so if the set is not self-consistent.
"$env_dir/bin/python" -m pip check >&2 || die "the pinned set in $requirements is not consistent (pip check above)"
echo "$want" > "$stamp"
log "built in $(( SECONDS - started )) s"
echo "$env_dir"
