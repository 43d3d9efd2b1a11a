// verify's run, callable in-process: logs in, checks the tokens, /userinfo and who they are for,
// compares the custom claims and judges them; render.ts writes the report for a person. Whatever it
// writes passes through the run's Secrets (scrub.ts) first. src/cli/verify.ts wraps it.
import { resolveEnvironment } from "../environment/resolve";
import { compileEnvironmentFlow } from "../environment/load-action";
import { INTERNAL_ERROR, jsonLine, ToolError } from "../errors";
import { commandExit } from "../command-line";
import { accessTokenClaims, TokenChecker, userinfo, verifyIdToken } from "./checks";
import { readExpectFile } from "./expect-file";
import { human } from "./render";
import { EXIT, type Report, type ReportedComparison } from "./report";
import { compare } from "./compare";
import { errorText } from "./error-text";
import { type Expected, expectedFor, type Records } from "./expected";
import { Budget } from "./http";
import { checkIdentity } from "./identity";
import { codeFlow, discover, passwordFlow, type Tokens } from "./login";
import { checkDeployment } from "./deployment";
import { managementToken } from "./expected";
import { type DeployedOptions, inputSecrets, readOptions, type VerifyOptions } from "./options";
import { readDeclaredFlow } from "../environment/stack-file";
import { REDACTED, Secrets } from "../scrub";

export interface Output {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs verify with `argv` and `env`, writes the report to `terminal`, returns the exit code. */
export function runVerify(argv: string[], env: NodeJS.ProcessEnv, terminal: Output): Promise<number> {
  const secrets = new Secrets();
  secrets.add(...inputSecrets(argv, env));
  // The one way out: the report, --json, errors on stderr and the authorize URL, today's and any
  // message added later, reach the terminal only through the scrub; so does what commandExit says
  // of a usage error or a bug (exit 3 then, never taken for a mismatch).
  const out: Output = {
    stdout: (text) => terminal.stdout(secrets.scrub(text)),
    stderr: (text) => terminal.stderr(secrets.scrub(text)),
  };
  return commandExit("verify", () => verify(argv, env, out, secrets), {
    unexpected: EXIT.failed,
    stderr: { write: (text) => out.stderr(text.replace(/\n$/, "")) },
    filter: (text) => secrets.scrub(text),
  });
}

async function verify(argv: string[], env: NodeJS.ProcessEnv, out: Output, secrets: Secrets): Promise<number> {
  const report: Report = {
    ok: false,
    verdict: "FAILED",
    exit: EXIT.usage,
    code: null,
    checks: [],
    notChecked: [],
    hint: null,
    error: null,
  };
  let options: VerifyOptions | undefined;
  let json = false;
  try {
    const read = readOptions(argv, env);
    if (!read) return 0;
    if ("deployed" in read) {
      json = read.json;
      secrets.addClient(read.management.clientId, read.management.clientSecret);
      await checkDeployed(read, report, secrets);
    } else {
      options = read;
      json = read.json;
      secrets.addClient(options.clientId, options.clientSecret);
      secrets.add(options.password);
      if (options.management) secrets.addClient(options.management.clientId, options.management.clientSecret);
      await check(options, report, out, secrets);
    }
  } catch (err) {
    // Bad flags or configuration, before anything was checked: said as every command says them.
    if (err instanceof ToolError && err.exitCode === EXIT.usage && !json && report.checks.length === 0) throw err;
    report.ok = false;
    report.verdict = "FAILED";
    report.exit = err instanceof ToolError ? err.exitCode : EXIT.failed;
    report.code = err instanceof ToolError ? err.code : INTERNAL_ERROR;
    report.error = err instanceof ToolError ? err.message : `unexpected error: ${errorText(err)}`;
  }
  out.stdout(json ? jsonLine(report) : human(report));
  return report.exit;
}

async function check(options: VerifyOptions, report: Report, out: Output, secrets: Secrets): Promise<void> {
  const { namespace } = resolveEnvironment(options.env, options.namespace);
  const fromFile: Expected | undefined = options.expectFile ? readExpectFile(options.expectFile) : undefined;
  // Compiled before anyone logs in: a secret without a value stops the run here, and the values
  // found join the run's secrets before anything is written.
  const head = fromFile
    ? undefined
    : compileEnvironmentFlow({
        env: options.env,
        namespace,
        runtime: { audience: options.audience, allowFetch: options.allowFetch },
        secrets: options.secrets,
      });
  secrets.add(...(options.secrets?.used ?? []));
  report.environment = options.env;
  // One deadline for everything from here: discovery, the login, JWKS, /userinfo, the Management API.
  const budget = new Budget(options.timeoutMs, secrets, options.schemeHint);
  const found = await logInAndCheckTokens(options, report, out, budget, secrets);

  let expected: Expected;
  let records: Records | undefined;
  if (fromFile) expected = fromFile;
  else ({ records, ...expected } = await expectedFor(found.subject, options, head!, budget));
  report.expectedFrom = expected.source;

  const identity = checkIdentity(
    found.subject,
    options.grant === "password" ? options.username : undefined,
    [found.idToken, found.userinfo],
    records,
  );
  if (identity.check) report.checks.push(identity.check);
  if (identity.notChecked) report.notChecked.push({ name: "subject", why: identity.notChecked });
  report.claims = compareClaims(expected, found, namespace, report);
  judge(report, namespace);
}

/** --deployed: the tenant's actions and post-login bindings against the stack; DRIFT (exit 1) names each difference. */
async function checkDeployed(options: DeployedOptions, report: Report, secrets: Secrets): Promise<void> {
  report.environment = options.env;
  report.flow = "deployment";
  const declared = readDeclaredFlow(options.stackFile, options.env);
  const budget = new Budget(options.timeoutMs, secrets, options.schemeHint);
  report.issuer = options.issuerUrl.href;
  const token = await managementToken(options.issuerUrl, options.management, budget, "read:actions");
  const result = await checkDeployment({ environment: options.env, flow: declared }, options.issuerUrl, token, budget);
  report.checks.push(...result.matches.map((detail) => ({ name: "deployed", ok: true, detail })));
  report.deployment = { stack: options.stackFile, differences: result.differences };
  report.ok = result.differences.length === 0;
  report.verdict = report.ok ? "MATCH" : "DRIFT";
  report.exit = report.ok ? EXIT.match : EXIT.mismatch;
  report.code = report.ok ? null : "ERR_DRIFT";
  if (!report.ok)
    report.hint = `${result.differences.length} difference(s) between what the tenant runs and ${options.stackFile}`;
}

/** What the login gave, checked: the ID token's claims, /userinfo's, and the access token's when it is a JWT. */
interface Found {
  readonly subject: string;
  readonly idToken: Record<string, unknown>;
  readonly userinfo: Record<string, unknown>;
  readonly accessToken?: Record<string, unknown>;
}

/** Discovery, the login, the ID token, /userinfo and (with --audience) the access token; each check made goes into the report. */
async function logInAndCheckTokens(
  options: VerifyOptions,
  report: Report,
  out: Output,
  budget: Budget,
  secrets: Secrets,
): Promise<Found> {
  report.domain = options.issuerUrl.href;
  const config = await discover(options, budget);
  const issuer = config.serverMetadata().issuer;
  report.issuer = issuer;
  report.checks.push({
    name: "discovery",
    ok: true,
    detail: new URL(".well-known/openid-configuration", options.issuerUrl).href,
  });

  const tokens: Tokens =
    options.grant === "password"
      ? await passwordFlow(config, options)
      : await codeFlow(config, options, budget, (url) => {
          const say = options.json ? out.stderr : out.stdout;
          say(`Open this URL in a browser and log in (waiting up to ${options.timeoutMs / 1000} s):\n${url}\n`);
        });
  report.flow = tokens.flow;
  // Printed on purpose with --show-tokens; otherwise secrets like the others.
  if (options.showTokens) secrets.show(tokens.idToken, tokens.accessToken);
  else secrets.add(tokens.idToken, tokens.accessToken);
  secrets.add(tokens.refreshToken);
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
  return { subject, idToken: payload, userinfo: info, accessToken: access?.claims };
}

/** Each token's custom claims against the expectation; an access token that can't be read is NOT CHECKED, said why. */
function compareClaims(
  expected: Expected,
  found: Found,
  namespace: string,
  report: Report,
): NonNullable<Report["claims"]> {
  const idToken = { ...compare(expected.idToken, found.idToken, namespace), checked: true };
  const userinfoClaims = { ...compare(expected.userinfo, found.userinfo, namespace), checked: true };
  if (found.accessToken)
    return {
      idToken,
      userinfo: userinfoClaims,
      accessToken: { ...compare(expected.accessToken, found.accessToken, namespace), checked: true },
    };
  const expectedNames = Object.keys(expected.accessToken);
  const why =
    "no --audience, so the tenant issued an opaque access token that can't be read" +
    (expectedNames.length > 0
      ? `; ${expectedNames.length} expected claim(s) on it NOT CHECKED: give --audience API to check them`
      : "; no claims are expected on it");
  const accessToken: ReportedComparison = {
    ...compare({}, {}, namespace),
    expected: expected.accessToken,
    skipped: why,
    checked: false,
  };
  if (expectedNames.length > 0) report.notChecked.push({ name: "accessToken", why });
  return { idToken, userinfo: userinfoClaims, accessToken };
}

/** The verdict: MISMATCH if any compared claim differs, PARTIAL if something was not checked, else MATCH. */
function judge(report: Report, namespace: string): void {
  const claims = report.claims!;
  if (!(claims.idToken.ok && claims.userinfo.ok && claims.accessToken.ok)) {
    report.verdict = "MISMATCH";
    report.exit = EXIT.mismatch;
    report.code = "ERR_CLAIMS_MISMATCH";
    report.hint = mismatchHint(claims, namespace);
  } else if (report.notChecked.length > 0) {
    report.verdict = "PARTIAL";
    report.exit = EXIT.partial;
    report.code = "ERR_NOT_CHECKED";
    report.hint = `what was checked matches, but NOT CHECKED: ${report.notChecked.map((n) => `${n.name} (${n.why})`).join("; ")}`;
  } else {
    report.verdict = "MATCH";
    report.exit = EXIT.match;
  }
  report.ok = report.verdict === "MATCH";
}

function mismatchHint(claims: NonNullable<Report["claims"]>, namespace: string): string {
  const all = [claims.idToken, claims.userinfo, claims.accessToken];
  const ours = all
    .flatMap((c) => Object.keys(c.found))
    .filter((n) => n.startsWith(namespace.replace(/\/+$/, "") + "/"));
  const expectedAny = all.some((c) => c.checked && Object.keys(c.expected).length > 0);
  if (ours.length === 0 && expectedAny) {
    return `no custom claims at all under ${namespace}: is the action bound to post-login (Actions > Flows > Login)? was this a fresh login? is the action's CLAIM_NAMESPACE secret ${namespace}?`;
  }
  return "claims differ from the expectation: the tenant runs another version of the action, or the user's app_metadata changed; compare the sha256 in the action's header in the dashboard with npm run synth";
}

function redact(tokens: Tokens, show: boolean): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of [
    ["id_token", tokens.idToken],
    ["access_token", tokens.accessToken],
  ] as const) {
    // None of it, not even its first characters: an opaque token is all secret.
    if (value) shown[name] = show ? value : `${REDACTED} (${value.length} chars; --show-tokens prints it)`;
  }
  return shown;
}
