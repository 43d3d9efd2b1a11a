// Secrets and their removal from whatever a tool writes. Verify's (client secrets, the test user's
// password, tokens, the authorization code, the PKCE verifier, URL credentials): src/verify/run.ts
// passes every line of output, the --json report included, through one Secrets' scrub(). The
// preview's (the actions' secret values it was given): scrubValues() on each line it writes.
import { escapeControl } from "./errors";

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Secrets shorter than this are not scrubbed by value: a password "pw" or a secret "s" would take
 * every "pw" or "s" out of the report, and a secret that short is guessed in a few thousand tries
 * anyway. The fields below still hide such a value where a request is echoed.
 */
export const MIN_SCRUBBED = 4;

/** Fields of a form, query or JSON body whose value is a secret, however short: what verify sends. */
const SECRET_FIELDS = "client_secret|password|code_verifier|refresh_token|code";
const FORM_FIELD = new RegExp(`(?<=^|[\\s?&;,"'(\\[{])(${SECRET_FIELDS})=(?!\\[redacted\\])[^\\s&#"'\\\\<>]+`, "g");
// Escaped once or twice when a JSON body is quoted in a message or the message in --json. A stable
// error code (ERR_..., docs/errors.md) is no secret: the --json report's own `code` keeps it, and an
// authorization code made to look like one is still scrubbed by value (every code sent is a secret).
const JSON_FIELD = new RegExp(
  `(\\\\*["'])(${SECRET_FIELDS})\\1(\\s*:\\s*)(\\\\*["'])(?!\\[redacted\\]|ERR_[A-Z]+(?:_[A-Z]+)*\\\\*["'])[^"'\\\\]+`,
  "g",
);
/** Credentials before the host in any URL: https://user:password@host. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)(?!\[redacted\]@)[^\s/?#@"'<>\\]+@/gi;
/** What cuts a quoted snippet short (quote() in src/errors.ts, the report's long values). */
const ELLIPSIS = /\.\.\.|\u2026/g;
/**
 * The longest start of a secret found before an ellipsis: verify cuts its quotes at 200 characters
 * at most; indexing every start of a 1 MiB token a tenant might send would cost far more than that.
 */
const CUT_LIMIT = 1024;
/** Fields of a request whose values verify must never print (tokens included, unless --show-tokens). */
const SENT_SECRET_FIELDS = new Set([
  "client_secret",
  "password",
  "code_verifier",
  "refresh_token",
  "code",
  "access_token",
  "id_token",
  "client_assertion",
]);

export class Secrets {
  private readonly values = new Set<string>();
  /** Values printed on purpose (the tokens, with --show-tokens): never scrubbed. */
  private readonly shown = new Set<string>();
  private cache?: { forms: string[]; starts: Starts };

  /** Adds secrets; undefined and empty values are ignored. */
  add(...values: (string | undefined)[]): void {
    for (const value of values) {
      if (!value || this.shown.has(value) || this.values.has(value)) continue;
      this.values.add(value);
      this.cache = undefined;
    }
  }

  /** A client's secret, and the credentials an `Authorization: Basic` header would carry for it (RFC 6749 2.3.1). */
  addClient(clientId: string, secret: string | undefined): void {
    if (!secret) return;
    for (const pair of [`${clientId}:${secret}`, `${formEncode(clientId)}:${formEncode(secret)}`])
      this.add(Buffer.from(pair).toString("base64"), base64(pair));
    this.add(secret);
  }

  /** Values the user asked to see (--show-tokens): printed as they are, even where a secret rule would hide them. */
  show(...values: (string | undefined)[]): void {
    for (const value of values) {
      if (!value) continue;
      this.shown.add(value);
      if (this.values.delete(value)) this.cache = undefined;
    }
  }

  /** Whatever a request carries that its server could echo back: the Authorization header, secret fields of the body and query, URL credentials. */
  sent(url: string, init: RequestInit = {}): void {
    try {
      const target = new URL(url);
      this.add(...decoded(target.username), ...decoded(target.password));
      this.addFields(target.searchParams);
    } catch {
      // Not a URL: fetch will refuse it and say so.
    }
    const authorization = new Headers(init.headers).get("authorization");
    if (authorization) {
      const [, scheme = "", credentials = authorization] = /^(\S+)\s+(.+)$/.exec(authorization) ?? [];
      this.add(credentials);
      if (scheme.toLowerCase() === "basic") {
        const pair = Buffer.from(credentials, "base64").toString();
        this.add(...decoded(pair.slice(pair.indexOf(":") + 1)));
      }
    }
    const body = init.body;
    if (body instanceof URLSearchParams) this.addFields(body);
    else if (typeof body === "string") {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        this.addFields(new URLSearchParams(body));
      }
      if (typeof json === "object" && json !== null) {
        for (const [name, value] of Object.entries(json))
          if (SENT_SECRET_FIELDS.has(name) && typeof value === "string") this.add(value);
      }
    }
  }

  /** `text` with every secret replaced by REDACTED: in each form a server or a message may give it, cut short by an ellipsis, or as a secret field's value. */
  scrub(text: string): string {
    return this.scrubValues(text)
      .replace(FORM_FIELD, `$1=${REDACTED}`)
      .replace(JSON_FIELD, `$1$2$1$3$4${REDACTED}`)
      .replace(URL_CREDENTIALS, `$1${REDACTED}@`);
  }

  /**
   * `text` with every secret value added replaced by REDACTED, in each of its forms and cut short by
   * an ellipsis, but no field rule: what an action's output needs, where `code=...` is data.
   */
  scrubValues(text: string): string {
    if (this.values.size === 0) return text;
    const { forms, starts } = this.compiled();
    const spans: [number, number][] = [];
    for (const form of forms) {
      // A secret inside the marker ("dact") must not break a marker already there.
      const inMarker = REDACTED.indexOf(form);
      for (let i = text.indexOf(form); i !== -1; i = text.indexOf(form, i + 1)) {
        if (inMarker === -1 || i < inMarker || !text.startsWith(REDACTED, i - inMarker))
          spans.push([i, i + form.length]);
      }
    }
    for (const { index: cut } of text.matchAll(ELLIPSIS)) {
      const start = cutStart(text, cut, starts);
      if (start < cut) spans.push([start, cut]);
    }
    return replaceSpans(text, spans);
  }

  private addFields(fields: URLSearchParams): void {
    for (const [name, value] of fields) if (SENT_SECRET_FIELDS.has(name)) this.add(value);
  }

  /** The forms of every secret long enough to scrub, and the starts of those forms an ellipsis may cut, by their last MIN_SCRUBBED characters. */
  private compiled(): { forms: string[]; starts: Starts } {
    if (!this.cache) {
      const forms = [...new Set([...this.values].filter((v) => v.length >= MIN_SCRUBBED).flatMap(formsOf))];
      const starts: Starts = new Map();
      for (const form of forms) {
        for (let length = MIN_SCRUBBED; length < Math.min(form.length, CUT_LIMIT + 1); length++) {
          const tail = form.slice(length - MIN_SCRUBBED, length);
          const found = starts.get(tail);
          if (found) found.push([form, length]);
          else starts.set(tail, [[form, length]]);
        }
      }
      this.cache = { forms, starts };
    }
    return this.cache;
  }
}

/** The starts of secrets' forms (a form and a length: at least MIN_SCRUBBED characters, never all), by their last MIN_SCRUBBED characters. */
type Starts = Map<string, [string, number][]>;

/**
 * The ways a secret reaches the output: as is, URL- or form-encoded, in base64, each of them
 * JSON-escaped (ASCII-only too), and with control characters escaped, up to three layers deep
 * (a JSON body quoted in a message, the message in --json).
 */
function formsOf(secret: string): string[] {
  const bases = [
    secret,
    uriEncode(secret),
    formEncode(secret),
    Buffer.from(secret).toString("base64"),
    base64(secret),
    base64(secret, "base64url"),
  ];
  const layers = [
    jsonEscape,
    (s: string) =>
      jsonEscape(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    escapeControl,
  ];
  const all = new Set(bases);
  let last = new Set(bases);
  for (let depth = 0; depth < 3; depth++) {
    const next = new Set<string>();
    for (const form of last) for (const layer of layers) if (!all.has(layer(form))) next.add(layer(form));
    for (const form of next) all.add(form);
    last = next;
  }
  // Percent-escapes as some servers write them: %2f for %2F.
  for (const form of [...all]) all.add(form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  return [...all].filter((form) => form.length >= MIN_SCRUBBED);
}

/** Where the start of a secret's form that an ellipsis at `cut` cut short begins (`"s3cr...`), or `cut` when none ends there. */
function cutStart(text: string, cut: number, starts: Starts): number {
  let start = cut;
  if (cut < MIN_SCRUBBED) return start;
  for (const [form, length] of starts.get(text.slice(cut - MIN_SCRUBBED, cut)) ?? []) {
    if (cut - length < start && text.startsWith(form.slice(0, length), cut - length)) start = cut - length;
  }
  return start;
}

/** `text` with each span replaced by REDACTED; overlapping spans become one. */
function replaceSpans(text: string, spans: [number, number][]): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let done = 0;
  let [start, end] = spans[0];
  for (const [s, e] of spans.slice(1)) {
    if (s < end) end = Math.max(end, e);
    else {
      parts.push(text.slice(done, start), REDACTED);
      done = end;
      [start, end] = [s, e];
    }
  }
  parts.push(text.slice(done, start), REDACTED, text.slice(end));
  return parts.join("");
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function uriEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text; // a lone surrogate: no URL carries it
  }
}

/** As application/x-www-form-urlencoded writes it (URLSearchParams: spaces as +). */
function formEncode(text: string): string {
  return new URLSearchParams({ v: text }).toString().slice(2);
}

/** base64 without its padding, which an echo may or may not keep. */
function base64(text: string, encoding: "base64" | "base64url" = "base64"): string {
  return Buffer.from(text).toString(encoding).replace(/=+$/, "");
}

/** A URL part or Basic credential as given, percent-decoded, and form-decoded (+ for a space). */
function decoded(part: string): string[] {
  try {
    return [part, decodeURIComponent(part), decodeURIComponent(part.replace(/\+/g, " "))];
  } catch {
    return [part];
  }
}
