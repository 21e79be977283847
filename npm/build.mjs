// Compiles src/ into lib/: ESM with declarations (lib/esm, type-checked by tsc), and the same code as CommonJS
// (lib/cjs, for jest and other `require` users) with the same declarations. The CommonJS files are transpiled
// one by one (the ESM build has already checked the types); this package's one use of `import.meta.url`
// (src/binary.ts: where the module is) becomes `__filename`'s URL there.
//
// Usage: node build.mjs   (needs the dev dependencies: npm ci)
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const ts = createRequire(import.meta.url)("typescript");
const lib = join(root, "lib");

rmSync(lib, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], {
  stdio: "inherit",
});

const cjs = join(lib, "cjs");
mkdirSync(cjs);
let replaced = 0;
for (const file of readdirSync(join(root, "src"))) {
  const source = readFileSync(join(root, "src", file), "utf8").replaceAll("import.meta.url", () => {
    replaced += 1;
    return 'require("node:url").pathToFileURL(__filename).href';
  });
  const { outputText, diagnostics } = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: false },
  });
  if (diagnostics.length > 0) {
    throw new Error(`build.mjs: ${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, "\n")}`);
  }
  const base = file.replace(/\.ts$/, "");
  writeFileSync(join(cjs, `${base}.js`), outputText);
  copyFileSync(join(lib, "esm", `${base}.d.ts`), join(cjs, `${base}.d.ts`));
}
if (replaced !== 1) {
  throw new Error(`build.mjs: expected one import.meta.url in src/, found ${replaced}`);
}
writeFileSync(join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
