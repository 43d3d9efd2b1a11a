// A client of the local tenant's Actions API that sends what the Terraform provider's Go SDK sends
// (JSON from Go's encoder, query keys sorted, no body on GET/DELETE/deploy), follows the SDK's
// paging rule, and replays the step files in __tests__/fixtures/actions-api/. Every answer is
// checked for secret values: none that was sent may ever come back.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchTrusting } from "./tenant-browser";
import type { TenantProcess } from "./local-tenant-process";

export interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  /** The parsed JSON body; undefined when the body is empty. */
  readonly body: any;
}

/** A body to send as it is (malformed JSON, another content type). */
export interface RawBody {
  readonly raw: string;
  readonly contentType?: string;
}

/** JSON as Go's json.Encoder writes it: <, > and & escaped, a newline at the end. */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`;
}

/** go-auth0 v1's List.HasNext(): `next != "" || total > start + limit`; Auth0's Actions lists send neither start nor limit. */
export function goSdkHasNext(envelope: Record<string, unknown>): boolean {
  const number = (key: string) => (typeof envelope[key] === "number" ? envelope[key] : 0);
  return (
    (typeof envelope.next === "string" && envelope.next !== "") || number("total") > number("start") + number("limit")
  );
}

export class ActionsClient {
  /** Every secret value this client sent; the answers are searched for each. */
  readonly secretValues = new Set<string>();

  private constructor(
    readonly tenantUrl: string,
    private readonly fetchImpl: typeof fetch,
    private readonly token: string,
  ) {}

  /** A client with the management client's token; `scope` narrows it (client credentials, as Auth0). */
  static async connect(tenant: TenantProcess, caFile: string, scope?: string): Promise<ActionsClient> {
    const fetchImpl = fetchTrusting(caFile);
    const form = {
      grant_type: "client_credentials",
      client_id: "local-management-client",
      client_secret: "local-management-secret",
      audience: `${tenant.url}api/v2/`,
      ...(scope ? { scope } : {}),
    };
    const response = await fetchImpl(`${tenant.url}oauth/token`, {
      method: "POST",
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(10_000),
    });
    const token = ((await response.json()) as { access_token?: string }).access_token;
    if (!token) throw new Error(`no Management API token (${response.status})`);
    return new ActionsClient(tenant.url, fetchImpl, token);
  }

  /** Another client on the same tenant and CA, with another token (or none). */
  withToken(token: string): ActionsClient {
    const other = new ActionsClient(this.tenantUrl, this.fetchImpl, token);
    for (const value of this.secretValues) other.secretValues.add(value);
    return other;
  }

  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    const raw =
      body !== undefined && typeof body === "object" && body !== null && "raw" in body ? (body as RawBody) : undefined;
    if (body !== undefined && !raw) this.remember(body);
    const headers: Record<string, string> = {
      "user-agent": "Go-Auth0/1.42.0",
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
    if (body !== undefined) headers["content-type"] = raw?.contentType ?? "application/json";
    const response = await this.fetchImpl(`${this.tenantUrl.replace(/\/$/, "")}${path}`, {
      method,
      headers,
      body: raw ? raw.raw : body === undefined ? undefined : goJson(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    for (const value of this.secretValues) {
      if (text.includes(value))
        throw new Error(
          `${method} ${path} answered a secret's value (${value.length} characters): ${text.slice(0, 300)}`,
        );
    }
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      text,
      body: text === "" ? undefined : JSON.parse(text),
    };
  }

  /** The provider's read loop: page=0,1,... while the SDK's HasNext() says so; fails past `cap` requests instead of looping forever. */
  async listAll(
    path: string,
    key: string,
    perPage: number,
    cap = 25,
  ): Promise<{ items: any[]; envelopes: Record<string, unknown>[] }> {
    const items: any[] = [];
    const envelopes: Record<string, unknown>[] = [];
    for (let page = 0; ; page++) {
      if (page >= cap) throw new Error(`${path}: still paging after ${cap} requests; the SDK would ask forever`);
      const separator = path.includes("?") ? "&" : "?";
      const answer = await this.request("GET", `${path}${separator}page=${page}&per_page=${perPage}`);
      if (answer.status !== 200) throw new Error(`${path} page ${page}: ${answer.status} ${answer.text}`);
      const { [key]: list, ...envelope } = answer.body as Record<string, unknown>;
      items.push(...(list as unknown[]));
      envelopes.push(envelope);
      if (!goSdkHasNext(envelope)) return { items, envelopes };
    }
  }

  /** Secret values (8 characters or more: shorter ones could occur in an id by chance) of a body sent. */
  private remember(body: unknown): void {
    const secrets = (body as { secrets?: unknown }).secrets;
    if (!Array.isArray(secrets)) return;
    for (const secret of secrets) {
      const value = (secret as { value?: unknown }).value;
      if (typeof value === "string" && value.length >= 8) this.secretValues.add(value);
    }
  }
}

// ---- fixtures ------------------------------------------------------------------------------

/**
 * A step of a fixture. Strings in a request or an expectation may hold `${NAME}`, a value saved by
 * an earlier step. Expected values: a literal is compared exactly (objects by the keys listed,
 * arrays element by element and by length); "<uuid>", "<timestamp>" (RFC 3339, 9 fraction digits),
 * "<after:NAME>" (a timestamp later than the saved one), "<other-than:NAME>", "<same-as:PATH>" (equal
 * to another field of the same answer) and "<matches:REGEX>" check a string's form.
 */
export interface FixtureStep {
  readonly note: string;
  readonly request: { readonly method: string; readonly path: string; readonly body?: unknown };
  /** Repeat the GET until the answer matches `until` or `stop` (the provider's wait), at most `max` times. */
  readonly poll?: { readonly until: unknown; readonly stop?: unknown; readonly max: number };
  /** Read the list page by page as the provider does (`page=N&per_page=...` while HasNext). */
  readonly pages?: { readonly key: string; readonly perPage: number };
  readonly expect: {
    readonly status?: number;
    /** The answer has no body at all. */
    readonly empty?: boolean;
    readonly body?: unknown;
    /** The answer's keys, exactly and in order, by path ("" is the body itself). */
    readonly keys?: Readonly<Record<string, readonly string[]>>;
    /** Paths that must not be in the answer. */
    readonly absent?: readonly string[];
    /** How many GETs a poll took. */
    readonly polls?: number;
    /** With `pages`: each page's envelope (the answer without its list), exactly. */
    readonly envelopes?: readonly Record<string, unknown>[];
    /** With `pages`: the items of every page, in order. */
    readonly items?: readonly unknown[];
  };
  /** Values to keep for later steps: NAME -> path in the answer (e.g. "deployed_version.id"). */
  readonly save?: Readonly<Record<string, string>>;
}

export interface Fixture {
  readonly about: string;
  readonly steps: readonly FixtureStep[];
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "actions-api", name), "utf8")) as Fixture;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Runs every step of `fixture`; returns one line per mismatch, naming the step (empty: all matched). */
export async function replay(fixture: Fixture, client: ActionsClient): Promise<string[]> {
  const saved = new Map<string, unknown>();
  const problems: string[] = [];
  for (const [index, step] of fixture.steps.entries()) {
    const where = `step ${index + 1} (${step.note})`;
    const request = substitute(step.request, saved) as FixtureStep["request"];
    const expected = substitute(step.expect, saved) as FixtureStep["expect"];
    let answer: Answer;
    if (step.pages) {
      const { items, envelopes } = await client.listAll(request.path, step.pages.key, step.pages.perPage);
      if (expected.envelopes)
        problems.push(
          ...compare(envelopes, expected.envelopes, "envelopes", envelopes, saved).map((p) => `${where}: ${p}`),
        );
      if (expected.items)
        problems.push(...compare(items, expected.items, "items", items, saved).map((p) => `${where}: ${p}`));
      continue;
    }
    if (step.poll) {
      const until = substitute(step.poll.until, saved);
      const stop = step.poll.stop === undefined ? undefined : substitute(step.poll.stop, saved);
      const matches = (body: unknown, wanted: unknown) =>
        wanted !== undefined && compare(body, wanted, "", body, saved).length === 0;
      let polls = 0;
      do {
        answer = await client.request(request.method, request.path, request.body);
        polls++;
      } while (
        answer.status === 200 &&
        !matches(answer.body, until) &&
        !matches(answer.body, stop) &&
        polls < step.poll.max
      );
      if (expected.polls !== undefined && polls !== expected.polls)
        problems.push(`${where}: took ${polls} polls, expected ${expected.polls}`);
    } else {
      answer = await client.request(request.method, request.path, request.body);
    }
    problems.push(...check(answer, expected, saved).map((p) => `${where}: ${p}`));
    for (const [name, path] of Object.entries(step.save ?? {})) saved.set(name, at(answer.body, path));
  }
  return problems;
}

function check(answer: Answer, expected: FixtureStep["expect"], saved: Map<string, unknown>): string[] {
  const problems: string[] = [];
  if (expected.status !== undefined && answer.status !== expected.status)
    problems.push(`status ${answer.status}, expected ${expected.status}: ${answer.text.slice(0, 300)}`);
  if (answer.text !== "" && !/^application\/json; charset=utf-8$/.test(answer.contentType ?? ""))
    problems.push(`content-type ${answer.contentType}`);
  if (expected.empty && answer.text !== "") problems.push(`a body ${answer.text.slice(0, 200)}, expected none`);
  if (expected.body !== undefined) problems.push(...compare(answer.body, expected.body, "", answer.body, saved));
  for (const [path, keys] of Object.entries(expected.keys ?? {})) {
    const actual = Object.keys(at(answer.body, path) ?? {});
    if (JSON.stringify(actual) !== JSON.stringify(keys))
      problems.push(`keys of ${path || "the body"}: ${actual.join(",")}, expected ${keys.join(",")}`);
  }
  for (const path of expected.absent ?? [])
    if (at(answer.body, path) !== undefined) problems.push(`${path} is present, expected absent`);
  return problems;
}

function compare(
  actual: unknown,
  expected: unknown,
  path: string,
  root: unknown,
  saved: Map<string, unknown>,
): string[] {
  const here = path || "the body";
  if (typeof expected === "string" && /^<[a-z-]+(:.*)?>$/s.test(expected)) {
    const [, kind, arg] = /^<([a-z-]+)(?::(.*))?>$/s.exec(expected)!;
    const ok =
      kind === "uuid"
        ? typeof actual === "string" && UUID.test(actual)
        : kind === "timestamp"
          ? typeof actual === "string" && TIMESTAMP.test(actual)
          : kind === "after"
            ? typeof actual === "string" && TIMESTAMP.test(actual) && actual > String(saved.get(arg))
            : kind === "other-than"
              ? actual !== saved.get(arg)
              : kind === "same-as"
                ? actual !== undefined && JSON.stringify(actual) === JSON.stringify(at(root, arg))
                : kind === "matches"
                  ? typeof actual === "string" && new RegExp(arg).test(actual)
                  : false;
    return ok ? [] : [`${here}: ${JSON.stringify(actual)} is not ${expected}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${here}: ${JSON.stringify(actual)}, expected an array`];
    if (actual.length !== expected.length)
      return [`${here}: ${actual.length} items, expected ${expected.length}: ${JSON.stringify(actual).slice(0, 300)}`];
    return expected.flatMap((item, i) => compare(actual[i], item, `${path}[${i}]`, root, saved));
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual))
      return [`${here}: ${JSON.stringify(actual)}, expected an object`];
    return Object.entries(expected).flatMap(([key, value]) =>
      compare((actual as Record<string, unknown>)[key], value, path ? `${path}.${key}` : key, root, saved),
    );
  }
  return actual === expected ? [] : [`${here}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
}

/** The value at a dotted path ("bindings.0.id"); "" is the value itself. */
function at(value: unknown, path: string): unknown {
  if (path === "") return value;
  return path
    .split(".")
    .reduce<unknown>(
      (node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );
}

/** `${NAME}` replaced by the saved value: the whole string becomes the value, or it is spliced into a longer one. */
function substitute(value: unknown, saved: Map<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = /^\$\{([A-Za-z0-9_]+)\}$/.exec(value);
    if (whole) return need(saved, whole[1]);
    return value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => String(need(saved, name)));
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, saved));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, saved)]));
  return value;
}

function need(saved: Map<string, unknown>, name: string): unknown {
  if (!saved.has(name)) throw new Error(`fixture uses \${${name}} before a step saved it`);
  return saved.get(name);
}
