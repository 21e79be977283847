"use strict";
// What `npx openmic-mock` and `npx openmic-contract` run: the tool's binary (found as `findBinary` finds it),
// with the same arguments, standard streams and exit code; signals sent to this process go to the binary.
const { spawn } = require("node:child_process");
const { findBinary } = require("../lib/cjs/binary.js");

exports.run = function run(tool) {
  let binary;
  try {
    binary = findBinary(tool);
  } catch (err) {
    process.stderr.write(`${tool}: ${err.message}\n`);
    process.exit(1);
  }
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: false });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) {
    process.on(signal, forward);
  }
  child.on("error", (err) => {
    process.stderr.write(`${tool}: cannot run ${binary}: ${err.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const name of signals) {
      process.off(name, forward);
    }
    if (signal) {
      // End the way the binary ended, so a shell sees the same signal.
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
};
