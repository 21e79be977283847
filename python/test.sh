#!/usr/bin/env bash
# Builds the Python wheel from this workspace (maturin, the `openmic-mock` binary in release mode), installs it
# in a fresh virtual environment, type-checks the package (mypy --strict) and runs python/tests against the
# installed wheel. Needs python3 (3.10 or later, for the pinned tools; the package itself runs on 3.9) with the
# venv module, and the Rust toolchain; maturin, pytest, pytest-xdist and mypy come from PyPI
# (requirements-test.txt). Everything it makes lives under the cargo target directory. Prints how long each
# step took. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-$(cd .. && pwd)/target}
venv="$target/python/venv"
wheels="$target/python/wheels"

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "python/test.sh needs Python 3.10 or later with the venv and ensurepip modules as \`$python\`" \
    "(on Debian and Ubuntu: apt install python3-venv; or set PYTHON)" >&2
  exit 1
fi

echo "== python: a fresh virtual environment ($("$python" --version), $venv)"
start=$(now)
"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
echo "   ready in $(took "$start")"

echo "== python: maturin build --release"
rm -rf "$wheels"
start=$(now)
"$venv/bin/maturin" build --release --out "$wheels"
wheel=$(ls "$wheels"/*.whl)
echo "   built $(basename "$wheel") ($(du -h "$wheel" | cut -f1)) in $(took "$start")"

echo "== python: pip install the wheel"
start=$(now)
# No dependencies to fetch: the package is the standard library and its binary.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
echo "   installed in $(took "$start")"

echo "== python: mypy --strict"
"$venv/bin/mypy" --strict --cache-dir "$target/python/mypy-cache" openmic_mock tests

echo "== python: pytest python/tests"
# The environment's bin on PATH, as an activated one would have it (a test checks `openmic-mock` is found).
# `pytest`, not `python -m pytest`: the latter puts this folder on sys.path, and the tests would import the
# package's source instead of the installed wheel.
PATH="$venv/bin:$PATH" "$venv/bin/pytest" tests -p no:cacheprovider "$@"
