/// <reference lib="esnext.disposable" preserve="true" />
// The `openmic-mock` binary as a running process: started on a free port, ready once it answers, stopped with
// SIGTERM (a kill after a timeout). The port comes from the one line the mock prints on stdout when it listens
// (`openmic-mock listening on http://127.0.0.1:PORT ...`), so there is no sleep and no race for a port.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { AdminApi, type AdminTarget, Tenant } from "./admin.js";
import { findBinary } from "./binary.js";
import { OpenMicMockError, StartError } from "./errors.js";
import type { TenantInfo } from "./types.js";

// Node 20 has Symbol.asyncDispose; an older runtime gets the name Node itself uses.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for("nodejs.asyncDispose");

const LISTENING = /listening on (http:\/\/(\[[^\]]+\]|[^\s:/]+):(\d+))/;

/** How much of the mock's stderr is kept for error messages (its end). */
const STDERR_KEPT = 64 * 1024;

/** Mocks still running, stopped when this process exits if their owner did not (a test run interrupted). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function stopAllOnExit(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const child of running) {
        child.kill("SIGTERM");
      }
    });
  }
}

/** How to start the mock. Every field is optional. */
export interface StartOptions {
  /**
   * Flags of `openmic-mock serve` (docs/cli.md), such as `["--clock", "virtual"]`, `["--generate", "1000"]` or
   * `["--fixtures", "calls.json"]`.
   */
  args?: readonly string[];
  /**
   * Variables added to the mock's environment. `OPENMIC_MOCK_*` variables of this process's environment are not
   * passed on, so that `args` and `env` alone decide how the mock runs.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The port to listen on; default 0, a free port (read back from the mock's startup line). */
  port?: number;
  /** The API key the mock accepts for its default data set (`--api-key`); default `test-key`. */
  apiKey?: string;
  /** Sent with every admin request, and passed as `--admin-key`. */
  adminKey?: string;
  /** The binary to run; default `findBinary()` (`$OPENMIC_MOCK_BINARY`, else the platform package's). */
  binary?: string;
  /** How long the start may take, until the first answer (loading a large fixture file takes seconds). Default 60 s. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before it kills the process. Default 10 s. */
  stopTimeoutMs?: number;
  /** How long one admin request may take. Default 60 s. */
  adminTimeoutMs?: number;
}

/**
 * Starts the mock on a free loopback port and resolves once it has answered a request (its health check). A mock
 * that exits (a bad fixture file, an unknown flag) or does not answer within `startTimeoutMs` rejects with a
 * `StartError` carrying what it printed.
 *
 * ```ts
 * await using mock = await startMock({ args: ["--clock", "virtual"] });
 * const tenant = await mock.tenant();
 * ```
 */
export async function startMock(options: StartOptions = {}): Promise<MockServer> {
  const binary = options.binary ?? findBinary("openmic-mock");
  const apiKey = options.apiKey ?? "test-key";
  const extra = options.args ?? [];
  const command = ["serve"];
  if (options.port !== undefined || !extra.some((a) => a === "--port" || a.startsWith("--port="))) {
    command.push("--port", String(options.port ?? 0));
  }
  command.push("--api-key", apiKey);
  if (options.adminKey !== undefined) {
    command.push("--admin-key", options.adminKey);
  }
  command.push(...extra);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("OPENMIC_MOCK_")) {
      env[name] = value;
    }
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) {
      delete env[name];
    } else {
      env[name] = value;
    }
  }

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const child = spawn(binary, command, { stdio: ["ignore", "pipe", "pipe"], env, windowsHide: true });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
    // A binary that cannot be run (not found, not executable) never starts, and may never emit 'exit'.
    child.once("error", () => {
      if (child.pid === undefined) {
        running.delete(child);
        resolve(null);
      }
    });
  });
  running.add(child);
  stopAllOnExit();

  const server = new MockServer(child, exited, () => stderr, apiKey, options);
  try {
    const line = await firstLine(child, binary, startTimeoutMs, () => stderr);
    const match = LISTENING.exec(line);
    if (!match) {
      throw new StartError(`unexpected startup line from openmic-mock: ${JSON.stringify(line)}`);
    }
    const host = ({ "0.0.0.0": "127.0.0.1", "[::]": "[::1]" } as Record<string, string>)[match[2]!] ?? match[2];
    server.started(`http://${host}:${match[3]}`, line);
    const health = await fetch(`${server.baseUrl}/__admin/health`, { signal: AbortSignal.timeout(startTimeoutMs) });
    await health.arrayBuffer();
  } catch (err) {
    await server.stop();
    if (err instanceof StartError) {
      throw err;
    }
    throw new StartError(`openmic-mock did not answer: ${String(err)}\n${stderr}`.trimEnd(), null, stderr);
  }
  return server;
}

/** The mock's first line on stdout; then stdout is drained until the mock exits, so it never blocks on a pipe. */
function firstLine(child: ChildProcess, binary: string, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      done();
      reject(new StartError(`openmic-mock printed nothing in ${timeoutMs} ms; stderr:\n${stderr()}`, null, stderr()));
    }, timeoutMs);
    const onLine = (line: string) => {
      done();
      resolve(line.trim());
    };
    const onError = (err: Error) => {
      done();
      reject(new StartError(`cannot run ${binary}: ${err.message}`));
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      // The 'exit' event can come before stderr's last chunk: wait for the pipe to end.
      const report = () => {
        const text = stderr();
        const how = code === null ? `on signal ${signal}` : `with code ${code}`;
        reject(new StartError(`openmic-mock exited ${how} before listening:\n${text}`.trimEnd(), code, text));
      };
      if (child.stderr?.readableEnded) {
        report();
      } else {
        child.stderr?.once("end", report);
      }
    };
    function done() {
      clearTimeout(timer);
      lines.off("line", onLine);
      child.off("error", onError);
      child.off("exit", onExit);
      // Keep reading (and dropping) stdout.
      lines.on("line", () => {});
    }
    lines.once("line", onLine);
    child.once("error", onError);
    child.once("exit", onExit);
  });
}

/**
 * A running mock's admin API, server-wide: its methods act on the default data set and the server-wide faults,
 * and `tenant()` gives a test a key and a data set of its own. `MockServer` (from `startMock`) is one that also
 * owns the process; `connectMock` gives one for a mock started elsewhere (a test runner's global setup, a
 * container).
 */
export abstract class MockAdmin extends AdminApi {
  protected readonly scope = "/__admin";
  protected readonly journalKey = undefined;

  /** The startup data set again, no faults, an empty journal (tenants are kept). Resolves to its call count. */
  async reset(): Promise<number> {
    return (await this.admin<{ calls: number }>("POST", "/__admin/reset")).calls;
  }

  /**
   * A new tenant: `apiKey` (a fresh random one by default) gets a copy of the startup data set and becomes valid.
   * Remove it with `delete()`, or with `await using`.
   */
  async tenant(apiKey?: string): Promise<Tenant> {
    const tenant = new Tenant(this.target, apiKey ?? `tenant-${randomBytes(8).toString("hex")}`);
    await tenant.reset();
    return tenant;
  }

  /** Every tenant's key and call count, sorted by key. */
  async tenants(): Promise<TenantInfo[]> {
    return (await this.admin<{ tenants: TenantInfo[] }>("GET", "/__admin/tenants")).tenants;
  }

  /** Empties the request journal. Resolves to how many entries it dropped. */
  async clearRequests(): Promise<number> {
    return (await this.admin<{ cleared: number }>("DELETE", "/__admin/requests")).cleared;
  }
}

/**
 * The mock, running as a process on a loopback port, and its admin API. Its admin methods act on the default
 * data set and the server-wide faults; `tenant()` gives a test a key and a data set of its own.
 */
export class MockServer extends MockAdmin implements AsyncDisposable {
  protected readonly target: AdminTarget;
  private url: string | undefined;
  private line = "";
  private stopping: Promise<number | null> | undefined;
  private readonly stopTimeoutMs: number;

  /** @internal Made by `startMock()`. */
  constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    private readonly stderr: () => string,
    private readonly key: string,
    options: StartOptions,
  ) {
    super();
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    const server = this;
    this.target = {
      get baseUrl() {
        return server.baseUrl;
      },
      adminKey: options.adminKey,
      adminTimeoutMs: options.adminTimeoutMs ?? 60_000,
      unreachable: (cause) => server.unreachable(cause),
    };
  }

  /** @internal */
  started(url: string, line: string): void {
    this.url = url;
    this.line = line;
  }

  /** The mock's address, such as `http://127.0.0.1:41234` (no trailing slash). */
  get baseUrl(): string {
    if (this.url === undefined) {
      throw new OpenMicMockError("the mock is not running");
    }
    return this.url;
  }

  /** The API key the mock accepts for its default data set. */
  get apiKey(): string {
    return this.key;
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process still runs. */
  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The line the mock printed when it started: its address, how many calls, their window, the key. */
  get startupLine(): string {
    return this.line;
  }

  /**
   * Stops the mock: SIGTERM (it finishes requests in flight and exits 0), then a kill after `stopTimeoutMs`.
   * Resolves to its exit code (`null` if it was killed) once the process is gone. Safe to call twice.
   */
  stop(): Promise<number | null> {
    this.stopping ??= (async () => {
      if (this.running) {
        this.child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), this.stopTimeoutMs);
        });
        const first = await Promise.race([this.exited, late]);
        clearTimeout(timer);
        if (first === "late") {
          this.child.kill("SIGKILL");
        }
      }
      return this.exited;
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal */
  unreachable(cause: unknown): OpenMicMockError {
    const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : cause;
    if (!this.running) {
      const code = this.child.exitCode ?? this.child.signalCode;
      return new OpenMicMockError(`openmic-mock exited (${code}); stderr:\n${this.stderr()}`.trimEnd());
    }
    return new OpenMicMockError(`cannot reach openmic-mock at ${this.url}: ${String(reason)}`);
  }
}

/** Where a mock started elsewhere is. */
export interface ConnectOptions {
  /** Such as `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** The API key of its default data set; default `test-key`. */
  apiKey?: string;
  /** The admin key it was started with, if any. */
  adminKey?: string;
  /** How long one admin request may take. Default 60 s. */
  adminTimeoutMs?: number;
}

/**
 * The admin API of a mock started elsewhere: in a test runner's global setup (each worker connects to the one
 * mock of the run, then takes a tenant per test), or a container. Nothing is started or stopped.
 */
export function connectMock(options: ConnectOptions): MockConnection {
  return new MockConnection(options);
}

/** A mock started elsewhere (`connectMock`). */
export class MockConnection extends MockAdmin {
  protected readonly target: AdminTarget;
  private readonly url: string;
  private readonly key: string;

  /** @internal Made by `connectMock()`. */
  constructor(options: ConnectOptions) {
    super();
    this.url = options.baseUrl.replace(/\/+$/, "");
    this.key = options.apiKey ?? "test-key";
    this.target = {
      baseUrl: this.url,
      adminKey: options.adminKey,
      adminTimeoutMs: options.adminTimeoutMs ?? 60_000,
      unreachable: (cause) => {
        const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : cause;
        return new OpenMicMockError(`cannot reach openmic-mock at ${this.url}: ${String(reason)}`);
      },
    };
  }

  get baseUrl(): string {
    return this.url;
  }

  get apiKey(): string {
    return this.key;
  }
}
