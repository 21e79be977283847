// Compiles src/ into lib/: ESM with declarations (lib/esm), and the same as CommonJS (lib/cjs, for jest and
// other `require` users), from one source. The CommonJS build compiles a copy of src/ in which this package's
// one use of `import.meta.url` (src/binary.ts: where the module is) becomes `__filename`'s URL.
//
// Usage: node build.mjs   (needs the dev dependencies: npm ci)
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const lib = join(root, "lib");
const cjsSource = join(root, ".cjs-src");

rmSync(lib, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", root], { stdio: "inherit" });

rmSync(cjsSource, { recursive: true, force: true });
mkdirSync(cjsSource);
let replaced = 0;
for (const file of readdirSync(join(root, "src"))) {
  const text = readFileSync(join(root, "src", file), "utf8");
  const cjs = text.replaceAll("import.meta.url", () => {
    replaced += 1;
    return 'require("node:url").pathToFileURL(__filename).href';
  });
  writeFileSync(join(cjsSource, file), cjs);
}
if (replaced !== 1) {
  throw new Error(`build.mjs: expected one import.meta.url in src/, found ${replaced}`);
}
const commonjs = JSON.stringify({ type: "commonjs" });
writeFileSync(join(cjsSource, "package.json"), commonjs);
writeFileSync(
  join(cjsSource, "tsconfig.json"),
  JSON.stringify({
    extends: "../tsconfig.json",
    compilerOptions: { rootDir: ".", outDir: "../lib/cjs" },
    include: ["*.ts"],
  }),
);
try {
  execFileSync(process.execPath, [tsc, "-p", cjsSource], { stdio: "inherit" });
} finally {
  rmSync(cjsSource, { recursive: true, force: true });
}
writeFileSync(join(lib, "cjs", "package.json"), `${commonjs}\n`);
