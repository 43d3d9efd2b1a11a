// verify's run, callable in-process: logs in, checks the tokens, /userinfo and who they are for,
// compares the custom claims, and renders the report (human or JSON). src/cli/verify.ts wraps it.
import { resolveEnvironment } from "../environment/resolve";
import { escapeControl, ToolError } from "../errors";
import { accessTokenClaims, Check, Expected, readExpectFile, TokenChecker, userinfo, verifyIdToken } from "./checks";
import { Comparison, compare } from "./compare";
import { errorText } from "./errors";
import { expectedFor, Records } from "./expected";
import { Budget } from "./http";
import { checkIdentity } from "./identity";
import { codeFlow, discover, passwordFlow, Tokens } from "./login";
import { readOptions, VerifyOptions } from "./options";

/** Exit codes; see docs/verify.md. */
export const EXIT = { match: 0, mismatch: 1, usage: 2, failed: 3, partial: 4 } as const;

export type Verdict = "MATCH" | "PARTIAL" | "MISMATCH" | "FAILED";

/** A comparison as reported: `checked: false` (with `skipped`, the reason) when it was not made. */
export type ReportedComparison = Comparison & { readonly checked: boolean };

export interface Report {
  ok: boolean;
  verdict: Verdict;
  exit: number;
  environment?: string;
  issuer?: string;
  subject?: string;
  flow?: string;
  checks: Check[];
  /** What was not checked and why: never counted as passed. */
  notChecked: { name: string; why: string }[];
  expectedFrom?: string;
  claims?: { idToken: ReportedComparison; userinfo: ReportedComparison; accessToken: ReportedComparison };
  hint: string | null;
  tokens?: Record<string, string>;
  error: string | null;
}

export interface Output {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs verify with `argv` and `env`, writes the report to `out`, returns the exit code. */
export async function runVerify(argv: string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const report: Report = { ok: false, verdict: "FAILED", exit: EXIT.usage, checks: [], notChecked: [], hint: null, error: null };
  let options: VerifyOptions | undefined;
  try {
    options = readOptions(argv, env);
    if (!options) return 0;
    await check(options, report, out);
  } catch (err) {
    report.ok = false;
    report.verdict = "FAILED";
    report.exit = err instanceof ToolError ? err.exitCode : EXIT.failed;
    report.error = err instanceof ToolError ? err.message : `unexpected error: ${errorText(err)}`;
  }
  if (options?.json) out.stdout(JSON.stringify(report));
  else if (report.exit === EXIT.usage && report.checks.length === 0) out.stderr(`verify: ${escapeControl(report.error ?? "").replace(/\\n/g, "\n")}`);
  else out.stdout(human(report));
  return report.exit;
}

async function check(options: VerifyOptions, report: Report, out: Output): Promise<void> {
  const { namespace } = resolveEnvironment(options.env, options.namespace);
  const fromFile: Expected | undefined = options.expectFile ? readExpectFile(options.expectFile) : undefined;
  report.environment = options.env;
  // One deadline for everything from here: discovery, the login, JWKS, /userinfo, the Management API.
  const budget = new Budget(options.timeoutMs, options.schemeHint);

  const config = await discover(options, budget);
  const issuer = config.serverMetadata().issuer;
  report.issuer = issuer;
  report.checks.push({ name: "discovery", ok: true, detail: new URL(".well-known/openid-configuration", options.issuerUrl).href });

  const tokens: Tokens =
    options.grant === "password"
      ? await passwordFlow(config, options)
      : await codeFlow(config, options, budget, (url) => {
          const say = options.json ? out.stderr : out.stdout;
          say(`Open this URL in a browser and log in (waiting up to ${options.timeoutMs / 1000} s):\n${url}\n`);
        });
  report.flow = tokens.flow;
  report.tokens = redact(tokens, options.showTokens);

  const checker = new TokenChecker(config, budget);
  const { payload, checks } = await verifyIdToken(checker, options, tokens, issuer);
  report.checks.push(...checks);
  const subject = String(payload.sub);
  report.subject = subject;
  const info = await userinfo(config, tokens, subject);
  report.checks.push({ name: "/userinfo", ok: true, detail: `answered for ${subject}` });

  const access = options.audience ? await accessTokenClaims(checker, options.audience, tokens, subject) : undefined;
  if (access) report.checks.push(access.check);

  let expected: Expected;
  let records: Records | undefined;
  if (fromFile) expected = fromFile;
  else ({ records, ...expected } = await expectedFor(subject, options, namespace, budget));
  report.expectedFrom = expected.source;

  const identity = checkIdentity(subject, options.grant === "password" ? options.username : undefined, [payload as Record<string, unknown>, info], records);
  if (identity.check) report.checks.push(identity.check);
  if (identity.notChecked) report.notChecked.push({ name: "subject", why: identity.notChecked });

  const idToken = { ...compare(expected.idToken, payload as Record<string, unknown>, namespace), checked: true };
  const userinfoClaims = { ...compare(expected.userinfo, info, namespace), checked: true };
  let accessToken: ReportedComparison;
  if (access) {
    accessToken = { ...compare(expected.accessToken, access.claims, namespace), checked: true };
  } else {
    const expectedNames = Object.keys(expected.accessToken);
    const why =
      "no --audience, so the tenant issued an opaque access token that can't be read" +
      (expectedNames.length > 0 ? `; ${expectedNames.length} expected claim(s) on it NOT CHECKED: give --audience API to check them` : "; no claims are expected on it");
    accessToken = { ...compare({}, {}, namespace), expected: expected.accessToken, skipped: why, checked: false };
    if (expectedNames.length > 0) report.notChecked.push({ name: "accessToken", why });
  }
  report.claims = { idToken, userinfo: userinfoClaims, accessToken };

  const matched = idToken.ok && userinfoClaims.ok && accessToken.ok;
  if (!matched) {
    report.verdict = "MISMATCH";
    report.exit = EXIT.mismatch;
    report.hint = mismatchHint(report.claims, namespace);
  } else if (report.notChecked.length > 0) {
    report.verdict = "PARTIAL";
    report.exit = EXIT.partial;
    report.hint = `what was checked matches, but NOT CHECKED: ${report.notChecked.map((n) => `${n.name} (${n.why})`).join("; ")}`;
  } else {
    report.verdict = "MATCH";
    report.exit = EXIT.match;
  }
  report.ok = report.verdict === "MATCH";
}

function mismatchHint(claims: NonNullable<Report["claims"]>, namespace: string): string {
  const all = [claims.idToken, claims.userinfo, claims.accessToken];
  const ours = all.flatMap((c) => Object.keys(c.found)).filter((n) => n.startsWith(namespace.replace(/\/+$/, "") + "/"));
  const expectedAny = all.some((c) => c.checked && Object.keys(c.expected).length > 0);
  if (ours.length === 0 && expectedAny) {
    return `no custom claims at all under ${namespace}: is the action bound to post-login (Actions > Flows > Login)? was this a fresh login? is the action's CLAIM_NAMESPACE secret ${namespace}?`;
  }
  return "claims differ from the expectation: the tenant runs another version of the action, or the user's app_metadata changed; compare the sha256 in the action's header in the dashboard with npm run synth";
}

function redact(tokens: Tokens, show: boolean): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of [["id_token", tokens.idToken], ["access_token", tokens.accessToken]] as const) {
    if (value) shown[name] = show ? value : `${value.slice(0, 10)}... (redacted, ${value.length} chars; --show-tokens prints it)`;
  }
  return shown;
}

/** The verdict line: what matched, and plainly what was not checked. */
function verdictLine(report: Report): string {
  if (report.error) return `FAILED (exit ${report.exit}): ${escapeControl(report.error)}`;
  if (report.verdict === "MISMATCH") return `MISMATCH (exit ${report.exit}): ${report.hint}`;
  if (report.verdict === "PARTIAL") {
    const checked = report.claims
      ? (["ID token", "/userinfo", "access token"] as const).filter((_, i) => [report.claims!.idToken, report.claims!.userinfo, report.claims!.accessToken][i].checked)
      : [];
    return `PARTIAL MATCH (exit ${report.exit}): ${checked.join(", ")} match; NOT CHECKED: ${report.notChecked.map((n) => `${n.name}: ${n.why}`).join("; ")}`;
  }
  return `MATCH (exit ${report.exit})`;
}

function human(report: Report): string {
  const lines: string[] = [];
  lines.push(`verify ${report.environment ?? ""} against ${report.issuer ?? "?"}${report.flow ? ` (${report.flow})` : ""}`);
  for (const check of report.checks) lines.push(`  ok  ${check.name.padEnd(13)} ${check.detail}`);
  for (const missed of report.notChecked) lines.push(`  --  ${missed.name.padEnd(13)} NOT CHECKED: ${missed.why}`);
  if (report.claims) {
    lines.push("", `expected: ${report.expectedFrom}`);
    for (const [label, c] of [["ID token", report.claims.idToken], ["/userinfo", report.claims.userinfo], ["access token", report.claims.accessToken]] as const) {
      if (!c.checked) {
        lines.push(`  ${label.padEnd(13)} NOT CHECKED: ${c.skipped}`);
        continue;
      }
      const names = [...new Set([...Object.keys(c.expected), ...c.unexpected])];
      const width = Math.max(0, ...names.map((n) => n.length));
      if (names.length === 0) lines.push(`  ${label.padEnd(13)} no custom claims expected, none found`);
      names.forEach((name, i) => {
        const verdict = c.missing.includes(name)
          ? "MISSING"
          : c.different.includes(name)
            ? `DIFFERENT: found ${JSON.stringify(c.found[name])}, expected ${JSON.stringify(c.expected[name])}`
            : c.unexpected.includes(name)
              ? `UNEXPECTED: ${JSON.stringify(c.found[name])}`
              : `ok ${JSON.stringify(c.found[name])}`;
        lines.push(`  ${(i === 0 ? label : "").padEnd(13)} ${escapeControl(name.padEnd(width))}  ${escapeControl(verdict.length > 160 ? verdict.slice(0, 157) + "..." : verdict)}`);
      });
      if (c.other.length > 0) lines.push(`  ${"".padEnd(13)} (also found, not judged: ${escapeControl(c.other.join(", "))})`);
    }
  }
  if (report.tokens) lines.push("", ...Object.entries(report.tokens).map(([name, value]) => `  ${name} ${value}`));
  lines.push("", verdictLine(report));
  return lines.join("\n");
}
