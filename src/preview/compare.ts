// What changes for whom: one user's login under two versions of the action, compared claim by
// claim on each token and /userinfo, then what the login does besides (metadata writes key by key,
// the access token's scopes, a redirect, MFA), and the counts over many users (human, Markdown, JSON).
import { escapeControl } from "../errors";
import type { Effects } from "../runtime/effects";
import { DEFAULT_LOGIN } from "../runtime/types";
import type { LoginOutcome } from "../runtime/types";

type TokenSide = "idToken" | "accessToken" | "userinfo";
type EffectSide = "scope" | "appMetadata" | "userMetadata" | "login";
export type Side = TokenSide | EffectSide;
const TOKEN_SIDES: readonly TokenSide[] = ["idToken", "accessToken", "userinfo"];
const EFFECT_SIDES: readonly EffectSide[] = ["scope", "appMetadata", "userMetadata", "login"];
export const SIDES: readonly Side[] = [...TOKEN_SIDES, ...EFFECT_SIDES];
const SIDE_LABEL: Record<Side, string> = {
  idToken: "ID token",
  accessToken: "access token",
  userinfo: "/userinfo",
  scope: "access token scope",
  appMetadata: "app_metadata write",
  userMetadata: "user_metadata write",
  login: "login",
};
/** Each side's key in the --summary-json counts and the per-user JSON line. */
const SIDE_KEY: Record<EffectSide, string> = {
  scope: "scope",
  appMetadata: "app_metadata",
  userMetadata: "user_metadata",
  login: "login",
};

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
  const claims = Object.fromEntries(SIDES.map((side) => [side, new Map()])) as CompareCounts["claims"];
  return {
    users: 0,
    changedUsers: 0,
    newlyDenied: 0,
    newlyAllowed: 0,
    deniedDifferently: 0,
    claims,
    examples: new Map(),
  };
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

/** Labels of kinds of change already built ("ID token <claim> gained"): escaping each claim name per user cost more than the diff. */
const KIND_LABELS = Object.fromEntries(SIDES.map((side) => [side, new Map()])) as Record<
  Side,
  Map<string, Partial<Record<ChangeKind, string>>>
>;
const MAX_KIND_LABELS = 1000;

function kindLabel(side: Side, claim: string, kind: ChangeKind): string {
  const cache = KIND_LABELS[side];
  let labels = cache.get(claim);
  if (labels === undefined) {
    // Claim names may come from user data: keep the cache bounded.
    if (cache.size >= MAX_KIND_LABELS) cache.clear();
    cache.set(claim, (labels = {}));
  }
  return (labels[kind] ??= `${SIDE_LABEL[side]} ${escapeControl(claim)} ${kind}`);
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

/** Past this many claims on a token, a claim is looked up in a Map rather than by a scan. */
const SCAN_CLAIMS = 16;

/** Finds claim names in a [claim, name JSON, value JSON] list: a scan for a few, a Map for many. */
function claimFinder(claims: readonly string[]): (claim: string) => number {
  if (claims.length <= SCAN_CLAIMS * 3) {
    return (claim) => {
      for (let i = 0; i < claims.length; i += 3) if (claims[i] === claim) return i;
      return -1;
    };
  }
  const at = new Map<string, number>();
  for (let i = 0; i < claims.length; i += 3) at.set(claims[i], i);
  return (claim) => at.get(claim) ?? -1;
}

/**
 * diffClaims on the claims as the runtime serialized them ([claim, name JSON, value JSON], in the
 * order set): the same pieces without parsing the token or serializing each value again. A value's
 * JSON is JSON.stringify's, which parsing and serializing again gives back unchanged.
 */
function diffSerialized(before: readonly string[], after: readonly string[], onChange: OnChange): string {
  const inAfter = claimFinder(after);
  const inBefore = claimFinder(before);
  let pieces = "";
  const add = (piece: string) => (pieces += (pieces === "" ? "" : ",") + piece);
  for (let i = 0; i < before.length; i += 3) {
    const j = inAfter(before[i]);
    const bv = before[i + 2];
    const av = j === -1 ? undefined : after[j + 2];
    if (av === bv) continue;
    onChange(before[i], av === undefined ? "lost" : "changed", bv, av);
    add(`${before[i + 1]}:{"before":${bv},"after":${av ?? "null"}}`);
  }
  for (let j = 0; j < after.length; j += 3) {
    if (inBefore(after[j]) !== -1) continue;
    onChange(after[j], "gained", undefined, after[j + 2]);
    add(`${after[j + 1]}:{"before":null,"after":${after[j + 2]}}`);
  }
  return `{${pieces}}`;
}

/**
 * A claim name that may be an array index ("0", "12"): parsed, such a key goes ahead of the others,
 * so the order of the set claims may not be the token's. Those tokens are diffed parsed.
 */
function digitLed(claims: readonly string[]): boolean {
  for (let i = 0; i < claims.length; i += 3) {
    const c = claims[i].charCodeAt(0);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** One token's changed claims as JSON; `fast: false` parses the claims instead (the property test compares both). */
export function claimsDiff(
  before: LoginOutcome,
  after: LoginOutcome,
  side: "idToken" | "accessToken",
  onChange: OnChange,
  fast = true,
): string {
  const key = side === "idToken" ? "id" : "access";
  const b = before.claims[key];
  const a = after.claims[key];
  if (!fast || digitLed(b) || digitLed(a)) return diffClaims(before[side], after[side], onChange);
  return diffSerialized(b, a, onChange);
}

/**
 * Compares one user's login before and after; adds to `counts`. Returns the user's JSON line, or
 * undefined when nothing the user receives changes (same denial, same claims on every token).
 * A denied login issues no token, so its claims count as absent.
 */
export function compareOutcomes(before: LoginOutcome, after: LoginOutcome, counts: CompareCounts): string | undefined {
  counts.users++;
  const sameEffects =
    before.effects === after.effects || JSON.stringify(before.effects) === JSON.stringify(after.effects);
  if (
    before.denied === after.denied &&
    before.json.id === after.json.id &&
    before.json.access === after.json.access &&
    sameEffects
  )
    return undefined;
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
    example(
      counts,
      "denied for another reason",
      user_id,
      escapeControl(before.denied ?? ""),
      escapeControl(after.denied ?? ""),
    );
  }
  const sides: Record<TokenSide, string> = { idToken: "{}", accessToken: "{}", userinfo: "{}" };
  for (const side of ["idToken", "accessToken"] as const) {
    if (before.json[side === "idToken" ? "id" : "access"] === after.json[side === "idToken" ? "id" : "access"])
      continue;
    sides[side] = claimsDiff(before, after, side, (claim, kind, b, a) => {
      const counted = count(counts, side, claim, kind);
      if (side === "idToken") count(counts, "userinfo", claim, kind);
      // Most users repeat a kind already shown: its values are escaped only when kept.
      exampleRoom(counts, kindLabel(side, counted, kind))?.push({ user_id, before: shown(b), after: shown(a) });
    });
  }
  // /userinfo returns the ID token's custom claims: the same changes.
  sides.userinfo = sides.idToken;
  const effects = sameEffects ? undefined : effectsDiff(before.effects, after.effects, counts, user_id);
  return (
    `{"user_id":${JSON.stringify(user_id)},"denied":{"before":${JSON.stringify(before.denied)},"after":${JSON.stringify(after.denied)}},` +
    `"idToken":${sides.idToken},"accessToken":${sides.accessToken},"userinfo":${sides.userinfo}${effects === undefined ? "" : `,"effects":${effects}`}}`
  );
}

/**
 * What a login does besides its claims, as named entries per side, for a diff: scopes, writes, redirect and MFA.
 * Both versions log in with the same requested scopes (preview's default), which a login that changes none keeps.
 */
function effectEntries(effects: Effects | undefined): Record<EffectSide, Record<string, unknown>> {
  const login: Record<string, unknown> = {};
  if (effects?.redirect)
    login.redirect = {
      to: effects.redirect.url.replace(/([?&])state=[^&]*/, "$1state=..."),
      action: effects.redirect.action,
    };
  if (effects?.challenges) login.challenges = effects.challenges;
  return {
    scope: Object.fromEntries((effects?.scope ?? DEFAULT_LOGIN.requestedScopes).map((s) => [s, true])),
    appMetadata: { ...effects?.metadata?.app_metadata },
    userMetadata: { ...effects?.metadata?.user_metadata },
    login,
  };
}

/** The effects that differ, as JSON (`{"app_metadata":{"roles":{"before":…,"after":…}}, ...}`), counted like claims. */
function effectsDiff(
  before: Effects | undefined,
  after: Effects | undefined,
  counts: CompareCounts,
  user_id: string,
): string {
  const b = effectEntries(before);
  const a = effectEntries(after);
  const pieces: string[] = [];
  for (const side of EFFECT_SIDES) {
    const diff = diffClaims(b[side], a[side], (name, kind, bv, av) => {
      const counted = count(counts, side, name, kind);
      exampleRoom(counts, kindLabel(side, counted, kind))?.push({ user_id, before: shown(bv), after: shown(av) });
    });
    if (diff !== "{}") pieces.push(`${JSON.stringify(SIDE_KEY[side])}:${diff}`);
  }
  return `{${pieces.join(",")}}`;
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
  const effects = Object.fromEntries(EFFECT_SIDES.map((side) => [SIDE_KEY[side], claims(side)]));
  return (
    JSON.stringify(
      {
        users,
        changedUsers,
        newlyDenied,
        newlyAllowed,
        deniedDifferently,
        idToken: claims("idToken"),
        accessToken: claims("accessToken"),
        userinfo: claims("userinfo"),
        ...effects,
      },
      null,
      2,
    ) + "\n"
  );
}

export function verdict(counts: CompareCounts): string {
  if (counts.changedUsers === 0) return `no change: all ${counts.users} user(s) get the same tokens and /userinfo`;
  const parts = [];
  if (counts.newlyDenied > 0) parts.push(`${counts.newlyDenied} newly denied`);
  if (counts.newlyAllowed > 0) parts.push(`${counts.newlyAllowed} newly allowed`);
  const claims = new Set([...counts.claims.idToken.keys(), ...counts.claims.accessToken.keys()]).size;
  const effects = EFFECT_SIDES.reduce((n, side) => n + counts.claims[side].size, 0);
  const also = effects === 0 ? "" : `; ${effects} write(s), scope(s) or flow outcome(s) affected`;
  return `${counts.changedUsers} of ${counts.users} user(s) get different tokens${parts.length ? ` (${parts.join(", ")})` : ""}; ${claims} claim name(s) affected${also}`;
}

/** The human report: per token and claim, users who gain, lose or get a different value; denials; examples; verdict. */
export function compareReport(counts: CompareCounts, header: string): string {
  const lines = [header, ""];
  const table = (title: string, head: string[], sides: readonly Side[]) => {
    const rows: string[][] = [];
    for (const side of sides) {
      for (const [claim, c] of counts.claims[side])
        rows.push([SIDE_LABEL[side], escapeControl(claim), String(c.gained), String(c.lost), String(c.changed)]);
    }
    if (rows.length === 0) return;
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) =>
      r
        .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join("  ")
        .trimEnd();
    lines.push(title, fmt(head), ...rows.map(fmt), "");
  };
  table("users whose claims change:", ["token", "claim", "gain", "lose", "change"], TOKEN_SIDES);
  table("users whose writes, scopes or flow change:", ["what", "name", "gain", "lose", "change"], EFFECT_SIDES);
  lines.push(
    `logins newly denied        ${counts.newlyDenied}`,
    `logins newly allowed       ${counts.newlyAllowed}`,
    `denied for another reason  ${counts.deniedDifferently}`,
  );
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
  const rows = (sides: readonly Side[]) =>
    sides.flatMap((side) =>
      [...counts.claims[side]].map(
        ([claim, c]) => `| ${SIDE_LABEL[side]} | ${code(claim)} | ${c.gained} | ${c.lost} | ${c.changed} |`,
      ),
    );
  const claimRows = rows(TOKEN_SIDES);
  if (claimRows.length > 0)
    lines.push(
      "| token | claim | users gaining it | losing it | with a new value |",
      "| --- | --- | ---: | ---: | ---: |",
      ...claimRows,
      "",
    );
  const effectRows = rows(EFFECT_SIDES);
  if (effectRows.length > 0)
    lines.push(
      "| what | name | users gaining it | losing it | with a new value |",
      "| --- | --- | ---: | ---: | ---: |",
      ...effectRows,
      "",
    );
  if (counts.newlyDenied + counts.newlyAllowed + counts.deniedDifferently > 0) {
    lines.push(
      `Logins newly denied: ${counts.newlyDenied}; newly allowed: ${counts.newlyAllowed}; denied for another reason: ${counts.deniedDifferently}.`,
      "",
    );
  }
  return lines.join("\n");
}
