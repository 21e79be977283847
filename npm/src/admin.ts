// The admin API of a running mock (docs/control-plane.md), one method per route: the methods a server and a
// tenant share, and `Tenant`. Node's own `fetch`, which never goes through an HTTP proxy from the environment
// (the mock is on loopback). Every request that changes something says `Content-Type: application/json`, as the
// admin API requires, and each is bounded by `adminTimeoutMs`.

import { AdminError, OpenMicMockError } from "./errors.js";
import type {
  Bot,
  Call,
  CallOutcome,
  CallsPage,
  Clock,
  DeliveriesFilter,
  DeliveryAttempt,
  Faults,
  FaultsRequest,
  JournalEntry,
  PhoneNumber,
  RequestsFilter,
  ScriptedFault,
  WebhookTargets,
} from "./types.js";

/** The largest page the admin API serves (`GET /__admin/calls` and `GET /__admin/requests`). */
const PAGE = 1000;

/** A record to send: the known fields are checked, and any other field a fixture carries is allowed. */
export type Input<T> = T & Record<string, unknown>;

type Query = Record<string, string | number | undefined>;

/** What `setWebhooks` takes: `null` or absent turns one off. */
export interface WebhookTargetsInput {
  postCallUrl?: string | null;
  preCallUrl?: string | null;
  /** Which calls send webhooks (default `both`). */
  direction?: WebhookTargets["direction"];
}

/** A simulated inbound call (`inboundCall`). */
export interface InboundCall {
  fromNumber: string;
  /** One of the account's numbers. */
  toNumber: string;
  /** Default: the number's `inbound_agent_id`. */
  agentId?: string;
}

/** The connection an admin client needs: where the mock is, and the admin key it wants, if any. */
export interface AdminTarget {
  readonly baseUrl: string;
  readonly adminKey: string | undefined;
  adminTimeoutMs: number;
  /** An error saying why the mock cannot be reached (the server knows when its process exited). */
  unreachable(cause: unknown): OpenMicMockError;
}

/**
 * The admin methods a `MockServer` and a `Tenant` share. On a server they act on the default data set and the
 * server-wide faults; on a tenant, on that tenant's own.
 */
export abstract class AdminApi {
  /** Where data, faults, outcomes, webhooks and reset live: `/__admin` or `/__admin/tenants/{key}`. */
  protected abstract readonly scope: string;
  /** Limits `requests()` to one key's requests. */
  protected abstract readonly journalKey: string | undefined;
  protected abstract readonly target: AdminTarget;

  /** The mock's address, such as `http://127.0.0.1:41234` (no trailing slash). */
  abstract get baseUrl(): string;
  /** The API key to send as `Authorization: Bearer <key>`. */
  abstract get apiKey(): string;

  /** One admin request: the answer's JSON, or an `AdminError` carrying the mock's message. */
  protected async admin<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const target = this.target;
    let url = target.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) {
          params.set(name, String(value));
        }
      }
      url += `?${params}`;
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (method !== "GET") {
      headers["content-type"] = "application/json";
    }
    if (target.adminKey !== undefined) {
      headers.authorization = `Bearer ${target.adminKey}`;
    }
    let answer: Response;
    let raw: string;
    try {
      answer = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(target.adminTimeoutMs),
      });
      raw = await answer.text();
    } catch (err) {
      throw target.unreachable(err);
    }
    if (!answer.ok) {
      let parsed: unknown = raw;
      let error = answer.statusText;
      let message = raw || `HTTP ${answer.status}`;
      try {
        parsed = JSON.parse(raw);
        const object = parsed as { error?: unknown; message?: unknown };
        if (typeof object.message === "string") {
          message = object.message;
        }
        if (typeof object.error === "string") {
          error = object.error;
        }
      } catch {
        // Not JSON: the message is the body as it came.
      }
      throw new AdminError(method, path, answer.status, error, message, parsed);
    }
    return (raw ? JSON.parse(raw) : undefined) as T;
  }

  // Data

  /** Every call of the data set, in the API's order (newest first), read a page of 1,000 at a time. */
  async calls(): Promise<Call[]> {
    const calls: Call[] = [];
    for (;;) {
      const page = await this.admin<CallsPage>("GET", `${this.scope}/calls`, undefined, {
        limit: PAGE,
        offset: calls.length,
      });
      calls.push(...page.calls);
      if (!page.pagination.has_more || page.calls.length === 0) {
        return calls;
      }
    }
  }

  /**
   * Replaces the data set with `calls` (all are checked first: on a problem nothing changes and the `AdminError`
   * lists every problem). Resolves to how many calls it now has.
   */
  async setCalls(calls: readonly Input<Call>[]): Promise<number> {
    return (await this.admin<{ calls: number }>("PUT", `${this.scope}/calls`, calls)).calls;
  }

  /** Adds one call or several, all or none (a `call_id` already served is a 409). Resolves to the new count. */
  async addCalls(calls: Input<Call> | readonly Input<Call>[]): Promise<number> {
    return (await this.admin<{ calls: number }>("POST", `${this.scope}/calls`, calls)).calls;
  }

  /** Inserts `call`, or replaces the call with its `call_id`. Resolves to whether it replaced one. */
  async upsertCall(call: Input<Call>): Promise<boolean> {
    const path = `${this.scope}/calls/${encodeURIComponent(call.call_id)}`;
    return (await this.admin<{ replaced: boolean }>("PUT", path, call)).replaced;
  }

  /** Removes one call (an unknown id is a 404). Resolves to how many calls remain. */
  async removeCall(callId: string): Promise<number> {
    const path = `${this.scope}/calls/${encodeURIComponent(callId)}`;
    return (await this.admin<{ calls: number }>("DELETE", path)).calls;
  }

  // Bots and phone numbers (the account the calls belong to)

  /** Every bot of the data set, in `GET /v1/bots` order (newest first). */
  async bots(): Promise<Bot[]> {
    return (await this.admin<{ bots: Bot[] }>("GET", `${this.scope}/bots`)).bots;
  }

  /** Replaces every bot (all are checked first). Resolves to how many bots it now has. */
  async setBots(bots: readonly Input<Bot>[]): Promise<number> {
    return (await this.admin<{ bots: number }>("PUT", `${this.scope}/bots`, { bots })).bots;
  }

  /** Inserts `bot`, or replaces the bot with its `uid`. Resolves to whether it replaced one. */
  async upsertBot(bot: Input<Bot>): Promise<boolean> {
    const path = `${this.scope}/bots/${encodeURIComponent(bot.uid)}`;
    return (await this.admin<{ replaced: boolean }>("PUT", path, bot)).replaced;
  }

  /** Removes one bot, even one in use (an unknown uid is a 404). Resolves to how many bots remain. */
  async removeBot(uid: string): Promise<number> {
    const path = `${this.scope}/bots/${encodeURIComponent(uid)}`;
    return (await this.admin<{ bots: number }>("DELETE", path)).bots;
  }

  /** Every phone number of the data set, in `GET /v1/phone-numbers` order (newest first). */
  async phoneNumbers(): Promise<PhoneNumber[]> {
    return (await this.admin<{ phone_numbers: PhoneNumber[] }>("GET", `${this.scope}/phone-numbers`)).phone_numbers;
  }

  /** Replaces every phone number (a linked agent must be one of the bots). Resolves to how many it now has. */
  async setPhoneNumbers(numbers: readonly Input<PhoneNumber>[]): Promise<number> {
    const body = { phone_numbers: numbers };
    return (await this.admin<{ phone_numbers: number }>("PUT", `${this.scope}/phone-numbers`, body)).phone_numbers;
  }

  /** Inserts `number`, or replaces the number with its `phone_number_id`. Resolves to whether it replaced one. */
  async upsertPhoneNumber(number: Input<PhoneNumber>): Promise<boolean> {
    const path = `${this.scope}/phone-numbers/${encodeURIComponent(number.phone_number_id)}`;
    return (await this.admin<{ replaced: boolean }>("PUT", path, number)).replaced;
  }

  /** Removes one phone number (an unknown id is a 404). Resolves to how many remain. */
  async removePhoneNumber(phoneNumberId: string): Promise<number> {
    const path = `${this.scope}/phone-numbers/${encodeURIComponent(phoneNumberId)}`;
    return (await this.admin<{ phone_numbers: number }>("DELETE", path)).phone_numbers;
  }

  // Journal

  /**
   * The API requests the mock received, oldest first (a tenant's: only those made with its key). `path` is
   * exact, or a prefix with a trailing `*`; `status` 0 finds requests that got no answer; `since` is RFC 3339 or
   * Unix milliseconds. Only what the journal still holds (`--journal-size`, 1,000 by default).
   */
  async requests(filter: RequestsFilter = {}): Promise<JournalEntry[]> {
    const query: Query = {
      limit: PAGE,
      after: 0,
      path: filter.path,
      status: filter.status,
      since: filter.since,
      api_key: this.journalKey,
    };
    const entries: JournalEntry[] = [];
    for (;;) {
      const page = await this.admin<{ requests: JournalEntry[]; has_more: boolean }>(
        "GET",
        "/__admin/requests",
        undefined,
        query,
      );
      entries.push(...page.requests);
      const last = page.requests.at(-1);
      if (!page.has_more || last === undefined) {
        return entries;
      }
      query.after = last.seq;
    }
  }

  // Faults

  /** The fault configuration, with what remains of the `next` queue. */
  async faults(): Promise<Faults> {
    return this.admin<Faults>("GET", `${this.scope}/faults`);
  }

  /** Replaces the fault configuration. Resolves to it as the mock now holds it. */
  async setFaults(faults: FaultsRequest): Promise<Faults> {
    return this.admin<Faults>("PUT", `${this.scope}/faults`, faults);
  }

  /**
   * Queues one scripted fault for the next API request that matches it, such as `{ status: 429, retry_after: 2 }`
   * or `{ status: 429, query: { offset: 50 } }`. Resolves to the fault configuration.
   */
  async pushFault(fault: ScriptedFault): Promise<Faults> {
    return this.admin<Faults>("POST", `${this.scope}/faults/next`, fault);
  }

  /** Injects no more faults (a tenant: the server-wide ones apply to it again). */
  async clearFaults(): Promise<Faults> {
    return this.admin<Faults>("DELETE", `${this.scope}/faults`);
  }

  // Created calls

  /** Queues how the next calls created with `POST /v1/create-phone-call` play out. Resolves to how many are queued. */
  async pushOutcomes(outcomes: CallOutcome | readonly CallOutcome[]): Promise<number> {
    return (await this.admin<{ queued: number }>("POST", `${this.scope}/outcomes`, outcomes)).queued;
  }

  /** The outcomes still queued, in order. */
  async outcomes(): Promise<CallOutcome[]> {
    return (await this.admin<{ outcomes: CallOutcome[] }>("GET", `${this.scope}/outcomes`)).outcomes;
  }

  /** Empties the outcome queue. Resolves to how many were dropped. */
  async clearOutcomes(): Promise<number> {
    return (await this.admin<{ cleared: number }>("DELETE", `${this.scope}/outcomes`)).cleared;
  }

  // Webhooks (docs/webhooks.md)

  /** Where this data set's webhooks go. */
  async webhooks(): Promise<WebhookTargets> {
    return this.admin<WebhookTargets>("GET", `${this.scope}/webhooks`);
  }

  /** Replaces where this data set's webhooks go; a URL the mock cannot call is a 400. */
  async setWebhooks(targets: WebhookTargetsInput): Promise<WebhookTargets> {
    const body = {
      post_call_url: targets.postCallUrl ?? null,
      pre_call_url: targets.preCallUrl ?? null,
      direction: targets.direction ?? "both",
    };
    return this.admin<WebhookTargets>("PUT", `${this.scope}/webhooks`, body);
  }

  /** Turns this data set's webhooks off. */
  async clearWebhooks(): Promise<WebhookTargets> {
    return this.admin<WebhookTargets>("DELETE", `${this.scope}/webhooks`);
  }

  /**
   * Sends the `end-of-call-report` of a finished call to the post-call URL now. Resolves to the attempt; a call
   * that has not finished, or no post-call URL, is a 409; an unknown call a 404.
   */
  async sendWebhook(callId: string): Promise<DeliveryAttempt> {
    return this.admin<DeliveryAttempt>("POST", `${this.scope}/webhooks/send`, { call_id: callId });
  }

  /** A customer rings one of the account's numbers: a created inbound call. Resolves to it as Get Call shows it. */
  async inboundCall(call: InboundCall): Promise<Call> {
    const body = { from_number: call.fromNumber, to_number: call.toNumber, agent_id: call.agentId };
    return this.admin<Call>("POST", `${this.scope}/inbound-calls`, body);
  }

  /** Every webhook attempt the journal keeps (all data sets), oldest first, optionally of one call or kind. */
  async webhookDeliveries(filter: DeliveriesFilter = {}): Promise<DeliveryAttempt[]> {
    const query: Query = { limit: PAGE, after: 0, call_id: filter.callId, kind: filter.kind };
    const entries: DeliveryAttempt[] = [];
    for (;;) {
      const page = await this.admin<{ deliveries: DeliveryAttempt[]; has_more: boolean; next_after: number }>(
        "GET",
        "/__admin/webhooks/deliveries",
        undefined,
        query,
      );
      entries.push(...page.deliveries);
      if (!page.has_more || page.deliveries.length === 0) {
        return entries;
      }
      query.after = page.next_after;
    }
  }

  // The clock (one per server, shared by its tenants)

  /** The mock's clock: its mode and time. */
  async clock(): Promise<Clock> {
    return this.admin<Clock>("GET", "/__admin/clock");
  }

  /** The mock's time, in Unix milliseconds. */
  async now(): Promise<number> {
    return (await this.clock()).now;
  }

  /**
   * Moves a virtual clock (`--clock virtual`) forward by `ms`; created calls, rate-limit buckets and journal
   * times follow, and every webhook due on the way has been answered when it resolves. Resolves to the new time.
   * On a real clock: a 409 `AdminError`.
   */
  async advance(ms: number): Promise<number> {
    return (await this.admin<Clock>("POST", "/__admin/clock/advance", { ms })).now;
  }

  /** Sets a virtual clock to `now` (Unix milliseconds or RFC 3339), never backwards. Resolves to the new time. */
  async setNow(now: number | string): Promise<number> {
    return (await this.admin<Clock>("PUT", "/__admin/clock", { now })).now;
  }
}

/**
 * A test's own corner of a running mock: an API key whose requests see a data set of their own (a copy of the
 * server's startup data set), faults, outcomes and webhooks of their own. Every admin method works as on the
 * server, scoped to this key; `requests()` returns only this key's requests. The clock is the server's.
 * Made by `mock.tenant()`; `delete()` (or `await using`) removes it and its key stops being valid.
 */
export class Tenant extends AdminApi implements AsyncDisposable {
  protected readonly scope: string;
  protected readonly journalKey: string;

  constructor(
    protected readonly target: AdminTarget,
    private readonly key: string,
  ) {
    super();
    this.scope = `/__admin/tenants/${encodeURIComponent(key)}`;
    this.journalKey = key;
  }

  get baseUrl(): string {
    return this.target.baseUrl;
  }

  /** This tenant's API key: requests with it see only this tenant's data and faults. */
  get apiKey(): string {
    return this.key;
  }

  /**
   * A fresh copy of the server's startup data set; no faults of its own, none of its requests in the journal, no
   * created calls or queued outcomes. Resolves to how many calls it has. Nothing of any other key changes.
   */
  async reset(): Promise<number> {
    return (await this.admin<{ calls: number }>("POST", `${this.scope}/reset`)).calls;
  }

  /** Removes the tenant: its data and faults are gone and its key stops being valid. Twice is not an error. */
  async delete(): Promise<void> {
    try {
      await this.admin("DELETE", this.scope);
    } catch (err) {
      if (!(err instanceof AdminError && err.status === 404)) {
        throw err;
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete();
  }
}
