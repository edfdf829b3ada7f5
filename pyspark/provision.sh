#!/usr/bin/env bash
# Creates, or reuses, the project's Python environment for the reference job and the Python test helpers:
# <cache>/pyenv, built from pyspark/requirements.txt + test/requirements.txt (the latter only in a checkout:
# an installed package has no test/). <cache> is $PRICECAST_CACHE, which pricecast sets (src/paths.ts decides
# it, docs/install.md#the-cache-folder); run by hand in a checkout, <project>/.cache.
#
# - Checks first that a Java that Spark 3.5 runs on (17-21) and, when it has to build, a Python the pins
#   install on (3.9-3.12: numpy 1.26.4 and pyarrow 17.0.0 have no wheels for 3.13) are present; if not,
#   fails with ONE message naming what is missing and how to get it.
# - Reuse is keyed on a hash of both requirement files and the env's interpreter (python -VV), kept in a
#   stamp file written last: a changed pin rebuilds, and a half-built env (no stamp, e.g. an interrupted
#   install) is rebuilt. An env that is current is reused whichever python3 is first on PATH now.
# - Two concurrent callers are serialised with flock; the second one finds the env current and returns.
# - Prints the env's path on stdout at the end; everything else goes to stderr. Beside the env it records
#   the Java home it checked (<env>/pricecast-java-home) so callers can set JAVA_HOME for spark-submit.
# Override the interpreter with PRICECAST_PYTHON=/path/to/python3, the Java with JAVA_HOME.
# `provision.sh --check` builds nothing: it prints one line per piece (java, python, env) for
# `pricecast doctor`, "NAME<tab>ok<tab>DETAIL" or "NAME<tab>missing<tab>WHAT TO DO", and exits 0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${PRICECAST_CACHE:-$root/.cache}"
env_dir="$cache/pyenv"
stamp="$env_dir/.pricecast-stamp"
lock="$cache/pyenv.lock"
requirement_files=("$root/pyspark/requirements.txt")
[[ -f "$root/test/requirements.txt" ]] && requirement_files+=("$root/test/requirements.txt")

log() { echo "provision: $*" >&2; }
die() { echo "provision: $*" >&2; exit 1; }

# --- Python: the env's own, if the env is current; else the first of PRICECAST_PYTHON, python3,
# python3.12 .. python3.9 that is 3.9-3.12 ------------------------------------------------------------------
python_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
find_python() {
  local candidate version minor newest_seen=""
  for candidate in ${PRICECAST_PYTHON:-} python3 python3.12 python3.11 python3.10 python3.9; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    version="$(python_version "$candidate")" || continue
    minor="${version#3.}"
    [[ "$version" == 3.* && "$minor" =~ ^[0-9]+$ ]] || continue
    newest_seen="${newest_seen:-$version}"
    if (( minor >= 9 && minor <= 12 )); then command -v "$candidate"; return 0; fi
  done
  if [[ -n "$newest_seen" ]]; then
    die "Python 3.9-3.12 is required (found only Python $newest_seen; the pinned numpy 1.26.4 and pyarrow 17.0.0 have no wheels for other versions): install one, e.g. 'apt-get install python3.11 python3.11-venv' or 'pyenv install 3.11', or point PRICECAST_PYTHON at it."
  fi
  die "Python 3.9-3.12 is required and none was found on PATH: install one, e.g. 'apt-get install python3 python3-venv', or point PRICECAST_PYTHON at it."
}
# The key the env is built for: both requirement files and the exact interpreter (python -VV).
env_key() { { cat "${requirement_files[@]}"; "$1" -VV; } | sha256sum | cut -d' ' -f1; }

# --- Java: JAVA_HOME's, then the one on PATH, then any under /usr/lib/jvm; Spark 3.5 runs on 17-21 ----------
java_major() {
  local line
  line="$("$1" -version 2>&1 | grep -m1 -E 'version "' || true)"
  line="${line#*version \"}"; line="${line%%\"*}"
  [[ "$line" == 1.* ]] && line="${line#1.}"   # "1.8.0_402" -> 8
  echo "${line%%[.+-]*}"
}
find_java_home() {
  local candidate major java_seen=""
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    major="$(java_major "$candidate")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    java_seen="${java_seen:-$major}"
    if (( major >= 17 && major <= 21 )); then
      dirname "$(dirname "$(readlink -f "$candidate")")"
      return 0
    fi
  done
  if [[ -n "$java_seen" ]]; then
    die "Java 17-21 is required by Spark 3.5 (found only Java $java_seen): install it, e.g. 'apt-get install openjdk-17-jre-headless', or set JAVA_HOME to one."
  fi
  die "Java 17-21 is required by Spark 3.5 and none was found: install it, e.g. 'apt-get install openjdk-17-jre-headless', or set JAVA_HOME to one."
}

# --- --check: report each piece, build nothing -----------------------------------------------------------------
env_is_current() {
  [[ -f "$stamp" && -x "$env_dir/bin/python" ]] && have="$(env_key "$env_dir/bin/python" 2>/dev/null)" \
    && [[ "$(cat "$stamp")" == "$have" ]]
}
if [[ "${1:-}" == "--check" ]]; then
  # die inside $(...) ends only the subshell; its message (stderr) becomes the line's advice.
  if found="$(find_java_home 2>/dev/null)"; then
    printf 'java\tok\tJava %s (%s)\n' "$(java_major "$found/bin/java")" "$found"
  else
    printf 'java\tmissing\t%s\n' "$(find_java_home 2>&1 >/dev/null | sed 's/^provision: //')"
  fi
  if found="$(find_python 2>/dev/null)"; then
    printf 'python\tok\tPython %s (%s)\n' "$(python_version "$found")" "$found"
  else
    printf 'python\tmissing\t%s\n' "$(find_python 2>&1 >/dev/null | sed 's/^provision: //')"
  fi
  if env_is_current; then printf 'env\tok\t%s\n' "$env_dir"
  elif [[ -d "$env_dir" ]]; then printf 'env\tmissing\t%s is out of date (the pins changed, or a build was cut short)\n' "$env_dir"
  else printf 'env\tmissing\t%s is not built yet\n' "$env_dir"; fi
  exit 0
fi
java_home="$(find_java_home)"

# --- the env ------------------------------------------------------------------------------------------------
# The benchmark peers' packages (bench/requirements.txt, e.g. polars) go on top of a current env, keyed by a
# stamp of their own: changing them installs into the env instead of rebuilding it under other users.
bench_requirements="$root/bench/requirements.txt"
bench_stamp="$env_dir/.pricecast-bench-stamp"
ensure_bench_layer() {
  [[ -f "$bench_requirements" ]] || return 0
  local want_bench
  want_bench="$(sha256sum "$bench_requirements" | cut -d' ' -f1)"
  [[ -f "$bench_stamp" && "$(cat "$bench_stamp")" == "$want_bench" ]] && return 0
  log "installing the benchmark peers' packages from $bench_requirements"
  "$env_dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet -r "$bench_requirements" >&2 \
    || die "pip install -r $bench_requirements into $env_dir failed (see pip's output above)."
  echo "$want_bench" > "$bench_stamp"
}
# The screening tests' reference (arch, with scipy and statsmodels) is a layer of the same kind, with its own stamp.
screening_requirements="$root/test/requirements-screening.txt"
screening_stamp="$env_dir/.pricecast-screening-stamp"
ensure_screening_layer() {
  [[ -f "$screening_requirements" ]] || return 0
  local want_screening
  want_screening="$(sha256sum "$screening_requirements" | cut -d' ' -f1)"
  [[ -f "$screening_stamp" && "$(cat "$screening_stamp")" == "$want_screening" ]] && return 0
  log "installing the screening tests' reference packages from $screening_requirements"
  "$env_dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet -r "$screening_requirements" >&2 \
    || die "pip install -r $screening_requirements into $env_dir failed (see pip's output above)."
  echo "$want_screening" > "$screening_stamp"
}
mkdir -p "$cache"
exec 9>"$lock"
flock 9   # held until this script exits; a concurrent caller waits here, then finds the env current

# Current: stamped with the key of the pins and of the env's own interpreter (whichever python3 comes
# first on PATH right now does not matter: callers with different PATHs share one env).
if env_is_current; then
  echo "$java_home" > "$env_dir/pricecast-java-home"
  ensure_bench_layer
  ensure_screening_layer
  echo "$env_dir"
  exit 0
fi

python="$(find_python)"
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  die "$python cannot create virtual environments (module venv/ensurepip missing): install it, e.g. 'apt-get install python3-venv'."
fi
want="$(env_key "$python")"
log "building $env_dir with $python ($("$python" -V 2>&1)); the first build downloads pyspark (~300 MB)"
started=$SECONDS
rm -rf "$env_dir"
"$python" -m venv "$env_dir" >&2
requirement_args=()
for file in "${requirement_files[@]}"; do requirement_args+=(-r "$file"); done
"$env_dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "${requirement_args[@]}" >&2 \
  || die "pip install into $env_dir failed (see pip's output above); the env is left without a stamp and is rebuilt on the next call."
echo "$java_home" > "$env_dir/pricecast-java-home"
echo "$want" > "$stamp"   # last: an env without a stamp is half-built and gets rebuilt
log "built in $(( SECONDS - started )) s"
ensure_bench_layer
ensure_screening_layer
echo "$env_dir"
