// The errors this package throws. Every one is an `Error` whose message is what a test needs to read: the mock's
// own message for a refused admin request, what the mock printed for a start that failed.

/** Base class of every error thrown by this package. */
export class OpenMicMockError extends Error {
  override name = "OpenMicMockError";
}

/**
 * The admin API refused a request. `message` is the mock's own message, which names the field or value at
 * fault; `status`, `error` (the body's `error`) and `body` (the whole JSON body, with `problems` for refused
 * calls) say the rest.
 */
export class AdminError extends OpenMicMockError {
  override name = "AdminError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly error: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/**
 * The mock did not start, or did not answer once started. The message carries what it printed on stderr (for a
 * bad fixture file, every problem with its line and column) and its exit code.
 */
export class StartError extends OpenMicMockError {
  override name = "StartError";
  constructor(
    message: string,
    readonly exitCode: number | null = null,
    readonly stderr = "",
  ) {
    super(message);
  }
}
