// What the preview says: one user's tokens in detail, or a summary over many users. Everything
// taken from the input (user ids, claim names and values, logs, reasons) has its control
// characters escaped: an export must not be able to move the cursor or rewrite the terminal.
import { MAX_CUSTOM_CLAIMS_BYTES } from "../auth0/facts";
import { escapeControl } from "../errors";
import type { Effects } from "../runtime/effects";
import type { LoginOutcome } from "../runtime/types";

/**
 * One JSON line per user, keys in the documented order; the claims' JSON is reused, not rebuilt.
 * What the login did besides (docs/post-login-api.md) follows, each key only when it did it.
 */
export function outcomeJson(outcome: LoginOutcome): string {
  const { user_id, denied, json, dropped, logs, effects } = outcome;
  // Most users have no dropped claim, no log line, no denial and no effect: those are written without a call.
  return (
    `{"user_id":${JSON.stringify(user_id)},"denied":${denied === null ? "null" : JSON.stringify(denied)},` +
    `"idToken":${json.id},"accessToken":${json.access},"userinfo":${json.id},` +
    `"dropped":${dropped.length === 0 ? "[]" : JSON.stringify(dropped)},"logs":${logs.length === 0 ? "[]" : JSON.stringify(logs)}` +
    `${effects === undefined ? "" : effectsJson(effects)}}`
  );
}

/** The effects' keys of a JSON line: metadata, scope, redirect, challenges, calls. */
function effectsJson(effects: Effects): string {
  const { metadata, scope, redirect, challenges, calls } = effects;
  let text = "";
  if (metadata !== undefined) text += `,"metadata":${JSON.stringify(metadata)}`;
  if (scope !== undefined) text += `,"scope":${JSON.stringify(scope.join(" "))}`;
  if (redirect !== undefined)
    text += `,"redirect":${JSON.stringify({ url: redirect.url, action: redirect.action, notRun: redirect.notRun })}`;
  if (challenges !== undefined) text += `,"challenges":${JSON.stringify(challenges)}`;
  if (calls !== undefined) text += `,"calls":${JSON.stringify(calls)}`;
  return text;
}

/** The human lines of what a login did besides its claims. */
function effectLines(effects: Effects | undefined): string[] {
  if (effects === undefined) return [];
  const lines: string[] = [];
  const label = (text: string, i: number) => `  ${(i === 0 ? text : "").padEnd(13)} `;
  const writes = Object.entries(effects.metadata ?? {}).flatMap(([field, keys]) =>
    Object.entries(keys ?? {}).map(
      ([key, value]) => `${field}.${key} = ${value === null ? "(removed)" : JSON.stringify(value)}`,
    ),
  );
  writes.forEach((w, i) =>
    lines.push(
      label("writes", i) + escapeControl(w.length > 160 ? `${w.slice(0, 140)}... (${Buffer.byteLength(w)} bytes)` : w),
    ),
  );
  if (effects.scope !== undefined) lines.push(label("scope", 0) + escapeControl(effects.scope.join(" ")));
  (effects.challenges ?? []).forEach((c, i) => lines.push(label("MFA", i) + escapeControl(c)));
  (effects.calls ?? []).forEach((c, i) =>
    lines.push(label("fetch", i) + escapeControl(`${c.method} ${c.url} -> ${c.status}`)),
  );
  return lines;
}

function claimLines(label: string, claims: Record<string, unknown>): string[] {
  const entries = Object.entries(claims);
  if (entries.length === 0) return [`  ${label.padEnd(13)} (no custom claims)`];
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, value], i) => {
    let shown = JSON.stringify(value);
    if (shown.length > 120) shown = `${shown.slice(0, 100)}... (${Buffer.byteLength(shown)} bytes)`;
    return `  ${(i === 0 ? label : "").padEnd(13)} ${escapeControl(name).padEnd(width)}  ${escapeControl(shown)}`;
  });
}

/** The human view of one login. */
export function describeOutcome(outcome: LoginOutcome, email?: string, audience?: string): string {
  const who = escapeControl(`${outcome.user_id || "(no user_id)"}${email ? ` (${email})` : ""}`);
  if (outcome.denied !== null) {
    return [
      `${who}: LOGIN DENIED`,
      `  reason        ${escapeControl(outcome.denied)}`,
      ...effectLines(outcome.effects),
      ...outcome.logs.map((l, i) => `  ${i === 0 ? "logs" : "".padEnd(4)}          ${escapeControl(l)}`),
    ].join("\n");
  }
  const redirect = outcome.effects?.redirect;
  const lines = [
    redirect === undefined
      ? `${who}: login succeeds`
      : `${who}: REDIRECTED to ${escapeControl(redirect.url)} by ${escapeControl(redirect.action)}; the login resumes at /continue` +
        (redirect.notRun.length > 0 ? ` (not run yet: ${escapeControl(redirect.notRun.join(", "))})` : ""),
    ...claimLines("ID token", outcome.idToken),
    ...claimLines("access token", outcome.accessToken),
    ...(audience === undefined && Object.keys(outcome.accessToken).length > 0
      ? ["                (only when the login asks for an API audience: without one the access token is opaque)"]
      : []),
    `  /userinfo     ${Object.keys(outcome.userinfo).length === 0 ? "(no custom claims)" : "the ID token's custom claims, as above"}`,
  ];
  for (const d of outcome.dropped)
    lines.push(
      `  DROPPED       ${escapeControl(d.claim)} from the ${d.token === "id" ? "ID" : "access"} token: ${escapeControl(d.reason)}`,
    );
  lines.push(...effectLines(outcome.effects));
  outcome.logs.forEach((l, i) => lines.push(`  ${i === 0 ? "log" : "   "}           ${escapeControl(l)}`));
  return lines.join("\n");
}

/** Counts over many logins, for the summary. Keeps only the first few problem users. */
/** The fields of --summary-json, in the order it writes them (docs/preview.md). */
const SUMMARY_JSON_KEYS = [
  "users",
  "denied",
  "idClaims",
  "accessClaims",
  "usersWithoutClaims",
  "usersWithDropped",
  "usersWithLogs",
  "usersWithWrites",
  "redirected",
  "challenged",
  "largest",
] as const satisfies readonly (keyof PreviewSummary)[];

export class PreviewSummary {
  users = 0;
  denied = 0;
  idClaims = 0;
  accessClaims = 0;
  usersWithDropped = 0;
  usersWithLogs = 0;
  usersWithoutClaims = 0;
  /** Users whose login writes app_metadata or user_metadata. */
  usersWithWrites = 0;
  redirected = 0;
  /** Logins that ask for MFA or another authentication: Auth0 would challenge the user. */
  challenged = 0;
  largest = { bytes: 0, user_id: "", token: "" };
  readonly problems: string[] = [];

  constructor(private readonly maxProblems = 5) {}

  add(outcome: LoginOutcome): void {
    this.users++;
    if (outcome.denied !== null) this.denied++;
    const ids = outcome.counts.id;
    const access = outcome.counts.access;
    this.idClaims += ids;
    this.accessClaims += access;
    if (outcome.denied === null && ids + access === 0) this.usersWithoutClaims++;
    if (outcome.dropped.length > 0) this.usersWithDropped++;
    if (outcome.denied === null && outcome.logs.length > 0) this.usersWithLogs++;
    const effects = outcome.effects;
    if (effects !== undefined) {
      if (effects.metadata !== undefined) this.usersWithWrites++;
      if (effects.redirect !== undefined) this.redirected++;
      if (effects.challenges !== undefined) this.challenged++;
    }
    // Two comparisons, not a for-of over a literal: on the hot path, in the sandbox's frozen realm, V8 takes its slow iterator path there.
    if (outcome.bytes.id > this.largest.bytes)
      this.largest = { bytes: outcome.bytes.id, user_id: outcome.user_id, token: "ID" };
    if (outcome.bytes.access > this.largest.bytes)
      this.largest = { bytes: outcome.bytes.access, user_id: outcome.user_id, token: "access" };
    if (
      (outcome.denied !== null || outcome.dropped.length > 0 || outcome.logs.length > 0) &&
      this.problems.length < this.maxProblems
    ) {
      const what =
        outcome.denied ??
        [...outcome.dropped.map((d) => `dropped ${d.claim} (${d.reason})`), ...outcome.logs].join("; ");
      this.problems.push(
        `  ${escapeControl(outcome.user_id) || "(no user_id)"}: ${outcome.denied !== null ? "DENIED: " : ""}${escapeControl(what.slice(0, 300))}`,
      );
    }
  }

  /** Adds the counts of later users (`part` may be a structured clone from a worker: data only). */
  merge(part: PreviewSummary): void {
    this.users += part.users;
    this.denied += part.denied;
    this.idClaims += part.idClaims;
    this.accessClaims += part.accessClaims;
    this.usersWithDropped += part.usersWithDropped;
    this.usersWithLogs += part.usersWithLogs;
    this.usersWithoutClaims += part.usersWithoutClaims;
    this.usersWithWrites += part.usersWithWrites;
    this.redirected += part.redirected;
    this.challenged += part.challenged;
    if (part.largest.bytes > this.largest.bytes) this.largest = part.largest;
    for (const problem of part.problems) if (this.problems.length < this.maxProblems) this.problems.push(problem);
  }

  /** The counts as JSON (--summary-json), in the order of SUMMARY_JSON_KEYS. */
  toJson(): string {
    return JSON.stringify(Object.fromEntries(SUMMARY_JSON_KEYS.map((key) => [key, this[key]])), null, 2) + "\n";
  }

  toString(): string {
    const lines = [
      `users processed            ${this.users}`,
      `logins denied              ${this.denied}`,
      `claims set                 ${this.idClaims} on ID tokens, ${this.accessClaims} on access tokens`,
      `users with no claim        ${this.usersWithoutClaims}`,
      `users with dropped claims  ${this.usersWithDropped}`,
      // Counted on logins that succeed only: a deny action's log line belongs to a login counted above.
      `users with skipped values  ${this.usersWithLogs} (logins that succeed with an action's log line, e.g. the claims action's "skipped <key> (why)")`,
      ...(this.usersWithWrites + this.redirected + this.challenged > 0
        ? [
            `users with metadata writes ${this.usersWithWrites}`,
            `logins redirected          ${this.redirected}`,
            `logins asking for MFA      ${this.challenged}`,
          ]
        : []),
      `largest payload            ${this.largest.bytes === 0 ? "-" : `${this.largest.bytes} bytes (${escapeControl(this.largest.user_id)}, ${this.largest.token} token; limit ${MAX_CUSTOM_CLAIMS_BYTES})`}`,
    ];
    if (this.problems.length > 0) lines.push("", `first users with problems:`, ...this.problems);
    return lines.join("\n");
  }
}
