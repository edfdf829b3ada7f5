#!/usr/bin/env bash
# Builds, or reuses, the offline wheelhouse the EMR bootstrap installs from: <cache>/wheelhouse, where <cache>
# is $PRICECAST_CACHE, which pricecast sets (src/paths.ts decides it, docs/install.md#the-cache-folder); run by
# hand in a checkout, <project>/.cache. PRICECAST_WHEELHOUSE names another folder.
#
#   1. pip download --only-binary :all: --platform manylinux2014_x86_64 --python-version 3.11 of every
#      pin in pyspark/wheelhouse.txt except the sdist-only ones, with --require-hashes (a file whose
#      sha256 differs from the pin is refused);
#   2. the sdist-only pins (ta) downloaded by hash and built into a pure-Python wheel here, with
#      SOURCE_DATE_EPOCH fixed so the wheel's bytes are reproducible;
#   3. <wheelhouse>/requirements.txt: every wheel with its own sha256, which bootstrap.sh installs with
#      `pip install --no-index --require-hashes`.
# Reuse is keyed on the hash of pyspark/wheelhouse.txt, in a stamp written last (a half-built wheelhouse
# is rebuilt). Concurrent callers are serialised with flock. Prints the wheelhouse's path on stdout; the
# rest goes to stderr. Needs network (PyPI) only when it builds; the nodes never do.
# `wheelhouse.sh --check` builds nothing: it prints "wheelhouse<tab>ok<tab>DIR" or
# "wheelhouse<tab>missing<tab>WHY" for `pricecast doctor`, and exits 0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pins="$root/pyspark/wheelhouse.txt"
out="${PRICECAST_WHEELHOUSE:-${PRICECAST_CACHE:-$root/.cache}/wheelhouse}"
stamp="$out/.pricecast-stamp"
sdist_only=(ta)   # packages that publish no wheel

log() { echo "wheelhouse: $*" >&2; }
die() { echo "wheelhouse: $*" >&2; exit 1; }

if [[ "${1:-}" == "--check" ]]; then
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$(sha256sum "$pins" | cut -d' ' -f1)" ]]; then printf 'wheelhouse\tok\t%s\n' "$out"
  elif [[ -d "$out" ]]; then printf 'wheelhouse\tmissing\t%s is out of date (the pins changed, or a build was cut short)\n' "$out"
  else printf 'wheelhouse\tmissing\t%s is not built yet\n' "$out"; fi
  exit 0
fi

python="${PRICECAST_BUILD_PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3 python3.12 python3.11 python3.10 python3.9; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -m pip --version >/dev/null 2>&1; then
      python="$(command -v "$candidate")"; break
    fi
  done
fi
[[ -n "$python" ]] || die "a python3 with pip is needed to build the wheelhouse (or set PRICECAST_BUILD_PYTHON)"

mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9

want="$(sha256sum "$pins" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$out"
  exit 0
fi

log "building $out from $pins"
started=$SECONDS
rm -rf "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

sdist_pattern="^($(IFS='|'; echo "${sdist_only[*]}"))=="
grep -E '^[a-zA-Z]' "$pins" | grep -v -E "$sdist_pattern" > "$work/binary.txt"
grep -E "$sdist_pattern" "$pins" > "$work/sdist.txt" || true

pip=("$python" -m pip --disable-pip-version-check --no-input -q)
"${pip[@]}" download --require-hashes --no-deps --only-binary :all: \
  --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
  -d "$out" -r "$work/binary.txt" >&2 || die "pip download failed (see above)"
if [[ -s "$work/sdist.txt" ]]; then
  "${pip[@]}" download --require-hashes --no-deps --no-binary :all: -d "$work/sdist" -r "$work/sdist.txt" >&2 \
    || die "pip download of the sdists failed (see above)"
  for sdist in "$work"/sdist/*; do
    SOURCE_DATE_EPOCH=315532800 "${pip[@]}" wheel --no-deps -w "$out" "$sdist" >&2 || die "could not build a wheel from $sdist"
  done
fi

# requirements.txt for the nodes: name==version and the sha256 of the exact wheel, for every wheel but pip
# (bootstrap runs pip from its wheel; it is a tool there, not one of the job's packages).
(
  cd "$out"
  for wheel in *.whl; do
    name="${wheel%%-*}"; rest="${wheel#*-}"; version="${rest%%-*}"
    [[ "$name" == pip ]] && continue
    echo "${name//_/-}==$version --hash=sha256:$(sha256sum "$wheel" | cut -d' ' -f1)"
  done
) > "$out/requirements.txt"
echo "$want" > "$stamp"
log "built in $(( SECONDS - started )) s: $(ls "$out"/*.whl | wc -l) wheels"
echo "$out"
