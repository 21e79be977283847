#!/usr/bin/env bash
# The npm package's tests, against the package as a user installs it: scripts/npm-pack builds it (and the release
# archive, when missing) into dist/npm/; the main tarball and this machine's platform tarball are installed into
# npm/test/node_modules/ with `npm install`; then the recipes of npm/README.md run there: node:test
# (test/node-test), vitest (test/vitest: one mock per run, a tenant per test, two files in parallel), jest
# (test/jest, CommonJS), and `tsc --noEmit` on consumer files with `strict` (test/typecheck). The test tools are
# npm/package-lock.json's (`npm ci`), run with the machine's Node.js (20 or later). Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")"

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then
  echo "npm/test.sh needs Node.js 20 or later (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

start=$(now)
../scripts/npm-pack
echo "   packed in $(took "$start")"

version=$(node -p 'require("./package.json").version')
case "$(node -p 'process.platform + "-" + process.arch')" in
  linux-x64 | linux-arm64 | darwin-x64 | darwin-arm64 | win32-x64) platform=$(node -p 'process.platform + "-" + process.arch') ;;
  *) echo "npm/test.sh: no platform package for this machine" >&2; exit 1 ;;
esac
echo "== npm: install openmic-mock-$version.tgz and openmic-mock-$platform-$version.tgz into npm/test/"
start=$(now)
rm -rf test/node_modules
# No lock file for the consumer: it installs the two tarballs and nothing else (the optional dependencies for
# other platforms are skipped).
(cd test && npm install --no-save --no-package-lock --no-audit --no-fund \
  "../../dist/npm/openmic-mock-$version.tgz" "../../dist/npm/openmic-mock-$platform-$version.tgz")
echo "   installed in $(took "$start")"
unset OPENMIC_MOCK_BINARY OPENMIC_CONTRACT_BINARY

bin=$(pwd)/node_modules/.bin
cd test
echo "== npm: node --test (node-test/, and npm/README.md's complete test file)"
start=$(now)
rm -rf readme && mkdir readme
awk '/^```js$/ { getline; if ($0 == "// calls.test.mjs") { on = 1 } } /^```$/ { on = 0 } on' ../README.md >readme/calls.test.mjs
if ! grep -q 'startMock' readme/calls.test.mjs; then
  echo "npm/test.sh: no \`// calls.test.mjs\` example in npm/README.md" >&2
  exit 1
fi
node --test --test-reporter=spec node-test/ readme/
echo "   passed in $(took "$start")"

echo "== npm: vitest run (vitest/)"
start=$(now)
"$bin/vitest" run --config vitest/vitest.config.mjs
echo "   passed in $(took "$start")"

echo "== npm: jest (jest/)"
start=$(now)
"$bin/jest" --config jest/jest.config.cjs
echo "   passed in $(took "$start")"

echo "== npm: tsc --noEmit (typecheck/ and the TypeScript example of README.md, strict)"
start=$(now)
awk '/^### TypeScript and JavaScript$/ { section = 1 } section && /^```ts$/ { on = 1; next } on && /^```$/ { exit } on' \
  ../../README.md >typecheck/readme.generated.ts
if ! grep -q 'startMock' typecheck/readme.generated.ts; then
  echo "npm/test.sh: no TypeScript example under '### TypeScript and JavaScript' in README.md" >&2
  exit 1
fi
"$bin/tsc" -p typecheck
echo "   passed in $(took "$start")"
