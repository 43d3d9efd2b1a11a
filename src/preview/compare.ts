// What changes for whom: one user's login under two versions of the action, compared claim by
// claim on each token and /userinfo, and the counts over many users (human, Markdown, JSON).
import { escapeControl } from "../errors";
import type { LoginOutcome } from "../runtime/types";

export type Side = "idToken" | "accessToken" | "userinfo";
export const SIDES: readonly Side[] = ["idToken", "accessToken", "userinfo"];
const SIDE_LABEL: Record<Side, string> = { idToken: "ID token", accessToken: "access token", userinfo: "/userinfo" };

export type ChangeKind = "gained" | "lost" | "changed";

export interface ClaimCounts {
  gained: number;
  lost: number;
  changed: number;
}

export interface Example {
  readonly user_id: string;
  readonly before: string;
  readonly after: string;
}

/** Past this many distinct claim names per token, the rest are counted together (an action may name claims after user data). */
const MAX_CLAIMS = 200;
const OTHER_CLAIMS = "(other claims)";
/** Examples kept per kind of change, and kinds shown. */
const EXAMPLES = 3;
const MAX_KINDS = 40;

/** The counts of a comparison: plain data, so a worker's share can be sent to the main thread and merged. */
export interface CompareCounts {
  users: number;
  changedUsers: number;
  newlyDenied: number;
  newlyAllowed: number;
  deniedDifferently: number;
  claims: Record<Side, Map<string, ClaimCounts>>;
  /** Key: a kind of change ("newly denied", "ID token <claim> changed", ...), in the order first seen. */
  examples: Map<string, Example[]>;
}

export function emptyCounts(): CompareCounts {
  return { users: 0, changedUsers: 0, newlyDenied: 0, newlyAllowed: 0, deniedDifferently: 0, claims: { idToken: new Map(), accessToken: new Map(), userinfo: new Map() }, examples: new Map() };
}

/** A claim value as shown in the human report: JSON, cut when long, control characters escaped. */
function shown(json: string | undefined): string {
  if (json === undefined) return "(none)";
  const text = json.length > 120 ? `${json.slice(0, 100)}... (${Buffer.byteLength(json)} bytes)` : json;
  return escapeControl(text);
}

/** The examples of `kind` when there is room for one more, else undefined (then nothing needs to be shown). */
function exampleRoom(counts: CompareCounts, kind: string): Example[] | undefined {
  let list = counts.examples.get(kind);
  if (list === undefined) {
    if (counts.examples.size >= MAX_KINDS) return undefined;
    counts.examples.set(kind, (list = []));
  }
  return list.length < EXAMPLES ? list : undefined;
}

function example(counts: CompareCounts, kind: string, user_id: string, before: string, after: string): void {
  exampleRoom(counts, kind)?.push({ user_id, before, after });
}

function count(counts: CompareCounts, side: Side, claim: string, kind: ChangeKind): string {
  const map = counts.claims[side];
  let entry = map.get(claim);
  if (entry === undefined) {
    if (map.size >= MAX_CLAIMS) claim = OTHER_CLAIMS;
    entry = map.get(claim) ?? { gained: 0, lost: 0, changed: 0 };
    map.set(claim, entry);
  }
  entry[kind]++;
  return claim;
}

type OnChange = (claim: string, kind: ChangeKind, b?: string, a?: string) => void;

/** Each claim whose value differs, as `"claim":{"before":…,"after":…}` pieces (a missing claim is null). */
function diffClaims(before: Record<string, unknown>, after: Record<string, unknown>, onChange: OnChange): string {
  const pieces: string[] = [];
  const visit = (claim: string) => {
    const b = Object.hasOwn(before, claim) ? JSON.stringify(before[claim]) : undefined;
    const a = Object.hasOwn(after, claim) ? JSON.stringify(after[claim]) : undefined;
    if (a === b) return;
    onChange(claim, b === undefined ? "gained" : a === undefined ? "lost" : "changed", b, a);
    pieces.push(`${JSON.stringify(claim)}:{"before":${b ?? "null"},"after":${a ?? "null"}}`);
  };
  for (const claim of Object.keys(before)) visit(claim);
  for (const claim of Object.keys(after)) if (!Object.hasOwn(before, claim)) visit(claim);
  return `{${pieces.join(",")}}`;
}

/**
 * A key that starts with a digit, anywhere: JSON.parse would put an array-index key ("0", "12") ahead
 * of the others, so the text's order may not be the parsed object's. (Inside a string, a quote is
 * always escaped, so this matches only keys.)
 */
const DIGIT_KEY = /[{,]"\d/;

/** Index just past the JSON string that starts at `i`. */
function pastString(json: string, i: number): number {
  for (i++; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  return json.length;
}

/** The members of a compact JSON object's text, in order: name's JSON -> value's JSON. */
function members(json: string): Map<string, string> {
  const out = new Map<string, string>();
  const end = json.length - 1;
  for (let i = 1; i < end; i++) {
    const from = i;
    i = pastString(json, i);
    const name = json.slice(from, i);
    const value = ++i;
    for (let depth = 0; i < end; i++) {
      const c = json.charCodeAt(i);
      if (c === 34) i = pastString(json, i) - 1;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) depth--;
      else if (c === 44 && depth === 0) break;
    }
    out.set(name, json.slice(value, i));
  }
  return out;
}

/**
 * diffClaims on the tokens' JSON as the runtime wrote it (JSON.stringify's, whose text parsing and
 * serializing again gives back unchanged, but for where an array-index key goes): the same pieces,
 * without parsing the claims and serializing each again.
 */
function diffTokens(before: string, after: string, parsed: () => [Record<string, unknown>, Record<string, unknown>], onChange: OnChange): string {
  if (DIGIT_KEY.test(before) || DIGIT_KEY.test(after)) return diffClaims(...parsed(), onChange);
  const b = members(before);
  const a = members(after);
  const pieces: string[] = [];
  for (const [name, bv] of b) {
    const av = a.get(name);
    if (av === bv) continue;
    onChange(JSON.parse(name) as string, av === undefined ? "lost" : "changed", bv, av);
    pieces.push(`${name}:{"before":${bv},"after":${av ?? "null"}}`);
  }
  for (const [name, av] of a) {
    if (b.has(name)) continue;
    onChange(JSON.parse(name) as string, "gained", undefined, av);
    pieces.push(`${name}:{"before":null,"after":${av}}`);
  }
  return `{${pieces.join(",")}}`;
}

/** One token's changed claims as JSON; `fast: false` parses the claims instead (the property test compares both). */
export function claimsDiff(before: LoginOutcome, after: LoginOutcome, side: "idToken" | "accessToken", onChange: OnChange, fast = true): string {
  const key = side === "idToken" ? "id" : "access";
  if (!fast) return diffClaims(before[side], after[side], onChange);
  return diffTokens(before.json[key], after.json[key], () => [before[side], after[side]], onChange);
}

/**
 * Compares one user's login before and after; adds to `counts`. Returns the user's JSON line, or
 * undefined when nothing the user receives changes (same denial, same claims on every token).
 * A denied login issues no token, so its claims count as absent.
 */
export function compareOutcomes(before: LoginOutcome, after: LoginOutcome, counts: CompareCounts): string | undefined {
  counts.users++;
  if (before.denied === after.denied && before.json.id === after.json.id && before.json.access === after.json.access) return undefined;
  counts.changedUsers++;
  const user_id = after.user_id;
  if (before.denied === null && after.denied !== null) {
    counts.newlyDenied++;
    example(counts, "newly denied", user_id, "(allowed)", escapeControl(after.denied));
  } else if (before.denied !== null && after.denied === null) {
    counts.newlyAllowed++;
    example(counts, "newly allowed", user_id, escapeControl(before.denied), "(allowed)");
  } else if (before.denied !== after.denied) {
    counts.deniedDifferently++;
    example(counts, "denied for another reason", user_id, escapeControl(before.denied ?? ""), escapeControl(after.denied ?? ""));
  }
  const sides: Record<Side, string> = { idToken: "{}", accessToken: "{}", userinfo: "{}" };
  for (const side of ["idToken", "accessToken"] as const) {
    if (before.json[side === "idToken" ? "id" : "access"] === after.json[side === "idToken" ? "id" : "access"]) continue;
    sides[side] = claimsDiff(before, after, side, (claim, kind, b, a) => {
      const counted = count(counts, side, claim, kind);
      if (side === "idToken") count(counts, "userinfo", claim, kind);
      // Most users repeat a kind already shown: its values are escaped only when kept.
      exampleRoom(counts, `${SIDE_LABEL[side]} ${escapeControl(counted)} ${kind}`)?.push({ user_id, before: shown(b), after: shown(a) });
    });
  }
  // /userinfo returns the ID token's custom claims: the same changes.
  sides.userinfo = sides.idToken;
  return (
    `{"user_id":${JSON.stringify(user_id)},"denied":{"before":${JSON.stringify(before.denied)},"after":${JSON.stringify(after.denied)}},` +
    `"idToken":${sides.idToken},"accessToken":${sides.accessToken},"userinfo":${sides.userinfo}}`
  );
}

/** Adds `part` (the counts of later users) to `into`; examples stay in input order. */
export function mergeCounts(into: CompareCounts, part: CompareCounts): void {
  into.users += part.users;
  into.changedUsers += part.changedUsers;
  into.newlyDenied += part.newlyDenied;
  into.newlyAllowed += part.newlyAllowed;
  into.deniedDifferently += part.deniedDifferently;
  for (const side of SIDES) {
    for (const [claim, c] of part.claims[side]) {
      const map = into.claims[side];
      const key = map.has(claim) || map.size < MAX_CLAIMS ? claim : OTHER_CLAIMS;
      const entry = map.get(key) ?? { gained: 0, lost: 0, changed: 0 };
      entry.gained += c.gained;
      entry.lost += c.lost;
      entry.changed += c.changed;
      map.set(key, entry);
    }
  }
  for (const [kind, list] of part.examples) for (const e of list) example(into, kind, e.user_id, e.before, e.after);
}

/** The counts as JSON (--summary-json). */
export function countsJson(counts: CompareCounts): string {
  const claims = (side: Side) => Object.fromEntries([...counts.claims[side]].map(([claim, c]) => [claim, { ...c }]));
  const { users, changedUsers, newlyDenied, newlyAllowed, deniedDifferently } = counts;
  return JSON.stringify({ users, changedUsers, newlyDenied, newlyAllowed, deniedDifferently, idToken: claims("idToken"), accessToken: claims("accessToken"), userinfo: claims("userinfo") }, null, 2) + "\n";
}

export function verdict(counts: CompareCounts): string {
  if (counts.changedUsers === 0) return `no change: all ${counts.users} user(s) get the same tokens and /userinfo`;
  const parts = [];
  if (counts.newlyDenied > 0) parts.push(`${counts.newlyDenied} newly denied`);
  if (counts.newlyAllowed > 0) parts.push(`${counts.newlyAllowed} newly allowed`);
  const claims = new Set([...counts.claims.idToken.keys(), ...counts.claims.accessToken.keys()]).size;
  return `${counts.changedUsers} of ${counts.users} user(s) get different tokens${parts.length ? ` (${parts.join(", ")})` : ""}; ${claims} claim name(s) affected`;
}

/** The human report: per token and claim, users who gain, lose or get a different value; denials; examples; verdict. */
export function compareReport(counts: CompareCounts, header: string): string {
  const lines = [header, ""];
  const rows: string[][] = [];
  for (const side of SIDES) {
    for (const [claim, c] of counts.claims[side]) rows.push([SIDE_LABEL[side], escapeControl(claim), String(c.gained), String(c.lost), String(c.changed)]);
  }
  if (rows.length > 0) {
    const head = ["token", "claim", "gain", "lose", "change"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd();
    lines.push("users whose claims change:", fmt(head), ...rows.map(fmt), "");
  }
  lines.push(`logins newly denied        ${counts.newlyDenied}`, `logins newly allowed       ${counts.newlyAllowed}`, `denied for another reason  ${counts.deniedDifferently}`);
  if (counts.examples.size > 0) {
    lines.push("", "first users of each kind (before -> after):");
    for (const [kind, list] of counts.examples) {
      lines.push(`  ${kind}:`);
      for (const e of list) lines.push(`    ${escapeControl(e.user_id) || "(no user_id)"}: ${e.before} -> ${e.after}`);
    }
  }
  lines.push("", `verdict: ${verdict(counts)}`);
  return lines.join("\n");
}

/** Text safe inside a Markdown table cell's code span. */
function code(text: string): string {
  return "`" + escapeControl(text).replace(/`/g, "'").replace(/\|/g, "\\|") + "`";
}

/** A short Markdown table for a pull-request comment. */
export function compareMarkdown(counts: CompareCounts, title: string): string {
  const lines = [`### ${title}`, "", `**${verdict(counts)}**`, ""];
  const rows: string[] = [];
  for (const side of SIDES) {
    for (const [claim, c] of counts.claims[side]) rows.push(`| ${SIDE_LABEL[side]} | ${code(claim)} | ${c.gained} | ${c.lost} | ${c.changed} |`);
  }
  if (rows.length > 0) lines.push("| token | claim | users gaining it | losing it | with a new value |", "| --- | --- | ---: | ---: | ---: |", ...rows, "");
  if (counts.newlyDenied + counts.newlyAllowed + counts.deniedDifferently > 0) {
    lines.push(`Logins newly denied: ${counts.newlyDenied}; newly allowed: ${counts.newlyAllowed}; denied for another reason: ${counts.deniedDifferently}.`, "");
  }
  return lines.join("\n");
}
