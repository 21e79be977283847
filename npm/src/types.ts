// The shapes the mock serves and takes, written by hand from its OpenAPI document (`openmic-mock openapi`,
// mock-server/openapi.json): the vendor's call, bot and phone number, and the admin API's own objects. Only the
// fields a test reads or writes; the document is the full reference.

/** A call's status: `registered` and `ongoing` only for calls created with `POST /v1/create-phone-call`. */
export type CallStatus = "registered" | "ongoing" | "ended" | "error";

/** A call, as `GET /v1/calls` and `GET /v1/call/{id}` serve it (the vendor's `CallResponse`). */
export interface Call {
  call_id: string;
  call_type: "phonecall" | "webcall";
  from_number: string;
  to_number: string;
  direction: "inbound" | "outbound";
  /** The bot (`GET /v1/bots/{uid}`) that spoke. */
  agent_id: string;
  call_status: CallStatus;
  customer_id?: string;
  telephony_identifier?: Record<string, unknown>;
  /** Unix milliseconds; absent until the call starts. */
  start_timestamp?: number;
  /** Unix milliseconds; absent until the call ends. */
  end_timestamp?: number;
  duration_ms?: number;
  /** `[speaker, message]` pairs. */
  transcript?: [string, string][];
  recording_url?: string;
  /** Seconds, for each part (`e2e_median_latency`, `llm_p90_latency`...). */
  latency?: Record<string, number>;
  call_analysis?: {
    summary?: string;
    is_successful?: boolean;
    success_evaluation?: string;
    extracted_data?: Record<string, unknown> | null;
  };
  /** USD. */
  call_cost?: { total_cost?: number; llm_cost?: number; tts_cost?: number; stt_cost?: number };
  dynamic_variables?: Record<string, unknown>;
  /** The disconnection reason and any other field the vendor or a fixture adds. */
  [field: string]: unknown;
}

/** The `pagination` object of a list. */
export interface Pagination {
  limit: number;
  offset: number;
  total: number;
  has_more: boolean;
}

/** A page of calls: `GET /v1/calls`, and the admin API's `GET /__admin/calls`. */
export interface CallsPage {
  calls: Call[];
  pagination: Pagination;
}

/** A bot (agent), as `GET /v1/bots` serves it (the vendor's `BotResponse`); open to fields a fixture adds. */
export interface Bot {
  uid: string;
  name: string;
  prompt: string;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  first_message?: string;
  voice_provider?: "OpenAI" | "ElevenLabs" | "Deepgram";
  call_settings?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A phone number, as `GET /v1/phone-numbers` serves it (the vendor's `PhoneNumberResponse`). */
export interface PhoneNumber {
  phone_number_id: string;
  /** E.164. */
  phone_number: string;
  name?: string;
  inbound_agent_id: string | null;
  outbound_agent_id: string | null;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

/** One injected fault: an error status (with `Retry-After`), a dropped connection, a late or a cut answer. */
export type Fault =
  | { status: number; retry_after?: number }
  | { kind: "reset" | "malformed" }
  | { kind: "timeout"; ms: number };

/** Which requests a scripted fault answers, and how many. */
export interface FaultMatch {
  /** Exact; a trailing `*` matches a prefix (`/v1/call/*`). */
  path?: string;
  method?: string;
  /** Decoded parameter values that must all be present and equal (`{ offset: 50 }`). */
  query?: Record<string, string | number>;
  /** Matching requests to let through first (default 0). */
  after?: number;
  /** How many matching requests it answers (default 1); `null`: every one until cleared. */
  times?: number | null;
}

/** A fault of the `next` queue (`pushFault`): a fault, and which requests it answers. */
export type ScriptedFault = Fault & FaultMatch;

/** Latency to add: a fixed number of milliseconds, or a uniform range. */
export type Latency = number | { min: number; max: number };

/** What `setFaults` takes: omitted fields take their defaults. */
export interface FaultsRequest {
  latency_ms?: Latency | null;
  /** 0 to 1: the share of requests (those the queue did not handle) answered with `error_status`. */
  error_rate?: number;
  /** Default 500. */
  error_status?: number;
  next?: ScriptedFault[];
  seed?: number | null;
}

/** The fault configuration as the mock holds it, with what remains of the `next` queue. */
export interface Faults {
  latency_ms: Latency | null;
  error_rate: number;
  error_status: number;
  next: (ScriptedFault & { after: number; times: number | null })[];
  seed: number | null;
}

/** One API request in the journal (`GET /__admin/requests`). */
export interface JournalEntry {
  /** 1, 2, ...; never reused while the server runs. */
  seq: number;
  /** When it was received: RFC 3339, UTC, milliseconds. */
  time: string;
  method: string;
  /** As sent. */
  path: string;
  raw_query: string | null;
  /** Decoded `[name, value]` pairs, in order, repeats kept. */
  query: [string, string][];
  /** `[name, value]` pairs; credentials redacted. */
  headers: [string, string][];
  /** `null` when a `reset` fault answered nothing. */
  status: number | null;
  duration_ms: number;
  /** The fault applied, or `null`. */
  fault: Fault | null;
  injected_latency_ms: number;
  /** A header, the headers or the query were too long to keep whole. */
  clipped: boolean;
}

/** Which journal entries `requests()` returns. */
export interface RequestsFilter {
  /** Exact; a trailing `*` matches a prefix. */
  path?: string;
  /** `0` finds requests that got no answer. */
  status?: number;
  /** Received at or after: RFC 3339, or Unix milliseconds. */
  since?: string | number;
}

/** How the next created call plays out (`pushOutcomes`; docs/time.md). */
export interface CallOutcome {
  /** Only the next call to this number takes this outcome. */
  to_number?: string;
  status?: "ended" | "error";
  ring_ms?: number;
  talk_ms?: number;
  disconnection_reason?: string;
  transcript?: [string, string][];
  is_successful?: boolean;
  summary?: string;
}

/** The mock's clock (`GET /__admin/clock`). */
export interface Clock {
  mode: "real" | "virtual";
  /** Unix milliseconds. */
  now: number;
  now_rfc3339: string;
}

/** Where a data set's webhooks go. */
export interface WebhookTargets {
  post_call_url: string | null;
  pre_call_url: string | null;
  direction: "inbound" | "outbound" | "both";
}

/** One webhook attempt, as the deliveries journal keeps it. */
export interface DeliveryAttempt {
  seq: number;
  kind: "post-call" | "callback" | "pre-call";
  url: string;
  call_id: string;
  attempt: number;
  /** Unix milliseconds on the mock's clock. */
  sent_at: number;
  sent_at_rfc3339: string;
  /** The request body, cut at 64 KiB. */
  body: string;
  body_clipped: boolean;
  status: number | null;
  error: string | null;
  /** The start of the reply (at most 4 KiB). */
  reply: string | null;
  duration_ms: number;
  ok: boolean;
}

/** Which webhook attempts `webhookDeliveries()` returns. */
export interface DeliveriesFilter {
  callId?: string;
  kind?: DeliveryAttempt["kind"];
}

/** A tenant's key and how many calls it has (`GET /__admin/tenants`). */
export interface TenantInfo {
  api_key: string;
  calls: number;
}
