// `npm run verify -- --env NAME ...`: logs in to a tenant (authorization code flow, or the password
// grant), checks the tokens, calls /userinfo and compares the custom claims with what is expected.
// Exit: 0 match, 1 mismatch, 2 usage or configuration error, 3 network or authentication failure.
import { resolveEnvironment } from "../preview/environment-action";
import { InputError } from "../preview/read-users";
import { Check, Expected, accessTokenClaims, readExpectFile, userinfo, verifyIdToken } from "../verify/checks";
import { Comparison, compare } from "../verify/compare";
import { AuthError, UsageError } from "../errors";
import { errorText } from "../verify/errors";
import { expectedFor } from "../verify/expected";
import { codeFlow, discover, passwordFlow, Tokens } from "../verify/login";
import { readOptions, VerifyOptions } from "../verify/options";

interface Report {
  ok: boolean;
  exit: number;
  environment?: string;
  issuer?: string;
  subject?: string;
  flow?: string;
  checks: Check[];
  expectedFrom?: string;
  claims?: { idToken: Comparison; userinfo: Comparison; accessToken: Comparison };
  hint: string | null;
  tokens?: Record<string, string>;
  error: string | null;
}

async function run(options: VerifyOptions, report: Report): Promise<void> {
  let namespace: string;
  try {
    ({ namespace } = resolveEnvironment(options.env, options.namespace));
  } catch (err) {
    throw err instanceof InputError ? new UsageError(err.message) : err;
  }
  const fromFile: Expected | undefined = options.expectFile ? readExpectFile(options.expectFile) : undefined;
  report.environment = options.env;

  const config = await discover(options);
  report.issuer = config.serverMetadata().issuer;
  report.checks.push({ name: "discovery", ok: true, detail: new URL(".well-known/openid-configuration", options.issuerUrl).href });

  const tokens: Tokens =
    options.grant === "password"
      ? await passwordFlow(config, options)
      : await codeFlow(config, options, (url) => {
          const say = options.json ? console.error : console.log;
          say(`Open this URL in a browser and log in (waiting up to ${options.timeoutMs / 1000} s):\n${url}\n`);
        });
  report.flow = tokens.flow;
  report.tokens = redact(tokens, options.showTokens);

  const { payload, checks } = await verifyIdToken(config, options, tokens);
  report.checks.push(...checks);
  const subject = String(payload.sub);
  report.subject = subject;
  const info = await userinfo(config, tokens, subject);
  report.checks.push({ name: "/userinfo", ok: true, detail: `answered for ${subject}` });
  const access = await accessTokenClaims(config, options, tokens);
  report.checks.push(...access.checks);

  const expected = fromFile ?? (await expectedFor(subject, options, namespace));
  report.expectedFrom = expected.source;
  const idToken = compare(expected.idToken, payload as Record<string, unknown>, namespace);
  const userinfoClaims = compare(expected.userinfo, info, namespace);
  const accessToken: Comparison = access.claims
    ? compare(expected.accessToken, access.claims, namespace)
    : { ...compare({}, {}, namespace), expected: expected.accessToken, skipped: access.skipped };
  report.claims = { idToken, userinfo: userinfoClaims, accessToken };
  report.ok = idToken.ok && userinfoClaims.ok && accessToken.ok;
  report.exit = report.ok ? 0 : 1;
  report.hint = report.ok ? null : mismatchHint(report.claims, namespace);
}

function mismatchHint(claims: NonNullable<Report["claims"]>, namespace: string): string {
  const ours = [claims.idToken, claims.userinfo, claims.accessToken].flatMap((c) => Object.keys(c.found)).filter((n) => n.startsWith(namespace.replace(/\/+$/, "") + "/"));
  const expectedAny = [claims.idToken, claims.userinfo, claims.accessToken].some((c) => !c.skipped && Object.keys(c.expected).length > 0);
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

function human(report: Report): string {
  const lines: string[] = [];
  lines.push(`verify ${report.environment ?? ""} against ${report.issuer ?? "?"}${report.flow ? ` (${report.flow})` : ""}`);
  for (const check of report.checks) lines.push(`  ok  ${check.name.padEnd(13)} ${check.detail}`);
  if (report.claims) {
    lines.push("", `expected: ${report.expectedFrom}`);
    for (const [label, c] of [["ID token", report.claims.idToken], ["/userinfo", report.claims.userinfo], ["access token", report.claims.accessToken]] as const) {
      if (c.skipped) {
        lines.push(`  ${label.padEnd(13)} not checked: ${c.skipped}`);
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
        lines.push(`  ${(i === 0 ? label : "").padEnd(13)} ${name.padEnd(width)}  ${verdict.length > 160 ? verdict.slice(0, 157) + "..." : verdict}`);
      });
      if (c.other.length > 0) lines.push(`  ${"".padEnd(13)} (also found, not judged: ${c.other.join(", ")})`);
    }
  }
  if (report.tokens) lines.push("", ...Object.entries(report.tokens).map(([name, value]) => `  ${name} ${value}`));
  lines.push("", report.error ? `FAILED (exit ${report.exit}): ${report.error}` : report.ok ? "MATCH (exit 0)" : `MISMATCH (exit 1): ${report.hint}`);
  return lines.join("\n");
}

async function main(): Promise<number> {
  const report: Report = { ok: false, exit: 2, checks: [], hint: null, error: null };
  let options: VerifyOptions | undefined;
  try {
    options = readOptions(process.argv.slice(2), process.env);
    if (!options) return 0;
    await run(options, report);
  } catch (err) {
    report.ok = false;
    report.exit = err instanceof UsageError || err instanceof AuthError ? err.exitCode : 3;
    report.error = err instanceof UsageError || err instanceof AuthError ? err.message : `unexpected error: ${errorText(err)}`;
  }
  if (options?.json) console.log(JSON.stringify(report));
  else if (report.exit === 2 && report.checks.length === 0) console.error(`verify: ${report.error}`);
  else console.log(human(report));
  return report.exit;
}

main().then((code) => {
  process.exitCode = code;
});
