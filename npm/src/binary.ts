// Finding a binary: the override variable, else the platform package npm installed with this one (an optional
// dependency chosen by its `os` and `cpu` fields, as esbuild and Biome ship theirs), else a message saying why
// none fits and what to do.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// Where this module is. The CommonJS build (build.mjs) replaces the expression on the next line.
const here: string = import.meta.url;

/** The two tools: the mock, and the contract kit. */
export type Tool = "openmic-mock" | "openmic-contract";

/** The variable that points at another build of each tool (one built from source, for example). */
export const BINARY_ENV: Readonly<Record<Tool, string>> = {
  "openmic-mock": "OPENMIC_MOCK_BINARY",
  "openmic-contract": "OPENMIC_CONTRACT_BINARY",
};

/** The platforms with a package of binaries: `<process.platform>-<process.arch>`. */
export const PLATFORMS: readonly string[] = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];

/**
 * The path of `tool`'s binary: `$OPENMIC_MOCK_BINARY` (`$OPENMIC_CONTRACT_BINARY` for the kit) when set, else
 * the one in `@openmic-mock/<platform>-<arch>`. Throws an `Error` saying what to do when neither is there.
 */
export function findBinary(tool: Tool = "openmic-mock"): string {
  const override = process.env[BINARY_ENV[tool]];
  if (override) {
    return override;
  }
  const platform = `${process.platform}-${process.arch}`;
  const pkg = `@openmic-mock/${platform}`;
  const exe = process.platform === "win32" ? `${tool}.exe` : tool;
  const fix = `or build it from source (cargo install ${tool} --features tls) and set ${BINARY_ENV[tool]} to its path`;
  if (!PLATFORMS.includes(platform)) {
    throw new Error(
      `openmic-mock has no binary for this platform (${platform}); binaries exist for ${PLATFORMS.join(", ")}. ` +
        `Use the container image (ghcr.io/openmic-mock/openmic-mock), ${fix}`,
    );
  }
  let folder: string;
  try {
    folder = dirname(createRequire(here).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(
      `the package ${pkg}, which holds the ${tool} binary for this platform, is not installed. npm installs it ` +
        `with openmic-mock as an optional dependency: it is left out by \`npm install --omit=optional\` (or ` +
        `--no-optional), and by a package-lock.json written on another platform without it. Reinstall ` +
        `(rm -rf node_modules package-lock.json && npm install), add ${pkg} to your devDependencies, ${fix}`,
    );
  }
  const binary = join(folder, "bin", exe);
  if (!existsSync(binary)) {
    throw new Error(`${pkg} is installed at ${folder} but has no bin/${exe}: reinstall it, ${fix}`);
  }
  return binary;
}
