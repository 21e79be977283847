#!/usr/bin/env bash
# Builds the two wheels from this workspace (maturin: `openmic-mock` from python/, `openmic-contract` from
# python/contract/; static binaries of the `dist` profile), shows what `auditwheel show` makes of their tags,
# installs them in a fresh virtual environment, type-checks the package (mypy --strict) and runs python/tests
# against the installed wheels; then installs them in a second environment made with `env -i` and no cargo on
# PATH, and runs `openmic-mock --version`, `openmic-contract --help` and the README's first pytest example there. Needs python3 (3.10 or later, for the pinned tools; the package itself runs on 3.9) with the
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

version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' ../Cargo.toml)
if ! grep -qx "dependencies = \[\"openmic-contract==$version\"\]" pyproject.toml; then
  echo "python/pyproject.toml must depend on openmic-contract==$version, the workspace's version" >&2
  exit 1
fi

# The same build as scripts/dist: the host's target named (so RUSTFLAGS reach the binaries only), the C runtime
# static on Linux, the `dist` profile and the `tls` feature (pyproject.toml); cargo shares what it already built.
host=$(rustc -vV | sed -n 's/^host: //p')
case $host in
  *-linux-gnu | *-windows-msvc) export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" ;;
esac
rm -rf "$wheels"
for project in contract .; do
  echo "== python: maturin build ($project/pyproject.toml, --target $host)"
  start=$(now)
  (cd "$project" && "$venv/bin/maturin" build --locked --target "$host" --out "$wheels")
  echo "   built in $(took "$start")"
done
for wheel in "$wheels"/*.whl; do
  echo "   $(basename "$wheel"): $(du -h "$wheel" | cut -f1)"
done
case $host in
  *-linux-*)
    echo "== python: auditwheel show"
    for wheel in "$wheels"/*.whl; do
      "$venv/bin/auditwheel" show "$wheel" | sed 's/^/   /'
    done
    ;;
esac

echo "== python: pip install the wheels"
start=$(now)
# No dependencies to fetch: the package is the standard library, its binary and the kit's wheel.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$wheels" \
  "openmic-mock==$version"
echo "   installed in $(took "$start")"

echo "== python: mypy --strict"
"$venv/bin/mypy" --strict --cache-dir "$target/python/mypy-cache" openmic_mock tests

echo "== python: pytest python/tests"
# The environment's bin on PATH, as an activated one would have it (a test checks `openmic-mock` is found).
# `pytest`, not `python -m pytest`: the latter puts this folder on sys.path, and the tests would import the
# package's source instead of the installed wheel.
PATH="$venv/bin:$PATH" "$venv/bin/pytest" tests -p no:cacheprovider "$@"

echo "== python: a clean environment (env -i, PATH=/usr/bin:/bin, no cargo): install, run, the README's test"
start=$(now)
clean="$target/python/clean"
interpreter=$("$python" -c 'import sys; print(sys.executable)')
rm -rf "$clean"
mkdir -p "$clean/home"
# The README's first example, as a user would paste it into a test file.
sed -n '/^## A test/,/^```$/{/^```python/,/^```$/p}' README.md | sed '1d;$d' >"$clean/test_readme.py"
grep -q "def test_lists_calls" "$clean/test_readme.py"
pytest_pin=$(grep '^pytest==' requirements-test.txt)
env -i PATH=/usr/bin:/bin HOME="$clean/home" "$interpreter" -m venv "$clean/venv"
env -i PATH=/usr/bin:/bin HOME="$clean/home" "$clean/venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check --find-links "$wheels" "openmic-mock==$version" "$pytest_pin"
if env -i PATH=/usr/bin:/bin sh -c 'command -v cargo' >/dev/null; then
  echo "cargo is on PATH=/usr/bin:/bin: the clean environment would not prove the wheels need no Rust" >&2
  exit 1
fi
(
  cd "$clean"
  export -n RUSTFLAGS
  env -i PATH="$clean/venv/bin:/usr/bin:/bin" HOME="$clean/home" sh -c '
    set -e
    echo "   installed: $(pip list --format=freeze --disable-pip-version-check | grep openmic | tr "\n" " ")"
    echo "   $ command -v openmic-mock: $(command -v openmic-mock)"
    echo "   $ openmic-mock --version: $(openmic-mock --version)"
    openmic-contract --help >contract-help.txt
    echo "   $ openmic-contract --help: $(head -1 contract-help.txt)"
    pytest -q -p no:cacheprovider test_readme.py
  '
)
echo "   done in $(took "$start")"
