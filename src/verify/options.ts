// verify's settings, from flags first, then AUTH0_VERIFY_* variables; never the Terraform credentials.
import { join } from "node:path";
import { readCommandLine } from "../command-line";
import { projectRoot } from "../project-root";
import { escapeControl, quote, UsageError } from "../errors";
import { secretValues, type SecretValues } from "../flow/secrets";
import { fetchOrigins } from "../flow/compile";
import { isTimerMs, MAX_TIMEOUT_MS } from "../runtime/timeout";

export const USAGE =
  "usage: npm run verify -- --env NAME [--domain DOMAIN] [--client-id ID] [--client-secret SECRET] [--grant code|password]\n" +
  "         [--redirect-uri URI] [--open] [--timeout SECONDS] [--audience API] [--namespace URL] [--realm CONNECTION]\n" +
  "         [--expect FILE | --users FILE | --mgmt-client-id ID --mgmt-client-secret SECRET [--mgmt-audience URL]] [--secrets-file FILE] [--allow-fetch ORIGIN]...\n" +
  "         [--json] [--show-tokens]\n" +
  "       npm run verify -- --deployed --env NAME [--domain DOMAIN] --mgmt-client-id ID --mgmt-client-secret SECRET [--stack FILE] [--timeout SECONDS] [--json]";

export const COMMAND = {
  name: "verify",
  usage: [
    USAGE,
    "Logs in to a tenant and checks the tokens and the custom claims (docs/verify.md). Exit: 0 match, 1 mismatch, 2 usage or configuration,",
    "3 network, authentication or a token that fails its checks, 4 partial: what was checked matches, but expected claims were NOT CHECKED.",
    "  --env NAME                 environment whose claims to expect (src/environments.ts)",
    "  --domain DOMAIN            tenant domain or URL (AUTH0_VERIFY_DOMAIN)",
    "  --client-id ID             the login application's client id (AUTH0_VERIFY_CLIENT_ID)",
    "  --client-secret SECRET     its secret (AUTH0_VERIFY_CLIENT_SECRET)",
    "  --grant code|password      code: a browser login (default); password: AUTH0_VERIFY_USERNAME/PASSWORD, for pipelines",
    "  --redirect-uri URI         callback for the code flow (default http://127.0.0.1:3000/callback; AUTH0_VERIFY_REDIRECT_URI)",
    "  --open                     open the authorize URL in a browser",
    "  --timeout SECONDS          bound on the whole run, every request and the browser login included (default 300)",
    "  --audience API             API audience: the access token must then be a JWT that verifies; its claims are checked (AUTH0_VERIFY_AUDIENCE)",
    "  --namespace URL            the namespace deployed, when the environment has no default",
    "  --realm CONNECTION         database connection for the password-realm grant (AUTH0_VERIFY_REALM)",
    "  --expect FILE              expected claims: {idToken, accessToken, userinfo} (a preview --json line fits)",
    "  --users FILE               users file: expected claims computed from the user's app_metadata",
    "  --mgmt-client-id ID        Management API application with read:users (AUTH0_VERIFY_MGMT_CLIENT_ID)",
    "  --mgmt-client-secret S     its secret (AUTH0_VERIFY_MGMT_CLIENT_SECRET)",
    "  --mgmt-audience URL        Management API audience (default https://DOMAIN/api/v2/)",
    "  --secrets-file FILE        the actions' secrets, for the expected claims: dotenv lines TF_VAR_<variable>=VALUE, as the deploy",
    "                             reads them (default: the TF_VAR_<variable> environment variables); never printed",
    "  --allow-fetch ORIGIN       for the expected claims: let the actions' fetch reach ORIGIN (repeatable), as preview does",
    "  --deployed                 no login: check what the tenant runs (actions' deployed code, drafts, secrets, post-login bindings)",
    "                             against the synthesized stack, with a Management API application that has read:actions",
    "  --stack FILE               with --deployed: the stack (default cdktf.out/stacks/<env>/cdk.tf.json, from npm run synth)",
    "  --json                     one JSON report on stdout",
    "  --show-tokens              print the tokens instead of redacting them",
    "  -h, --help                 this text",
  ].join("\n"),
  options: {
    env: { type: "string" },
    domain: { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    grant: { type: "string" },
    "redirect-uri": { type: "string" },
    open: { type: "boolean", default: false },
    timeout: { type: "string" },
    audience: { type: "string" },
    namespace: { type: "string" },
    realm: { type: "string" },
    expect: { type: "string" },
    users: { type: "string" },
    "mgmt-client-id": { type: "string" },
    "mgmt-client-secret": { type: "string" },
    "mgmt-audience": { type: "string" },
    "secrets-file": { type: "string" },
    "allow-fetch": { type: "string", multiple: true },
    deployed: { type: "boolean", default: false },
    stack: { type: "string" },
    json: { type: "boolean", default: false },
    "show-tokens": { type: "boolean", default: false },
  },
} as const;

/** `--deployed`: no login, the tenant's deployment against the stack. */
export interface DeployedOptions {
  readonly deployed: true;
  readonly env: string;
  readonly issuerUrl: URL;
  readonly schemeHint?: string;
  readonly management: { readonly clientId: string; readonly clientSecret: string; readonly audience?: string };
  /** The synthesized stack, cdk.tf.json. */
  readonly stackFile: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/** Flags that only a login uses: refused with --deployed, which logs no one in. */
const LOGIN_FLAGS = [
  "client-id",
  "client-secret",
  "grant",
  "redirect-uri",
  "open",
  "audience",
  "namespace",
  "realm",
  "expect",
  "users",
  "secrets-file",
  "allow-fetch",
  "show-tokens",
] as const;

export interface VerifyOptions {
  readonly env: string;
  /** Base URL of the tenant, with a trailing slash: https://tenant.eu.auth0.com/ or http://127.0.0.1:4000/. */
  readonly issuerUrl: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly grant: "code" | "password";
  readonly redirectUri: URL;
  readonly open: boolean;
  /** The whole run's bound, every network call and the wait for the browser included. */
  readonly timeoutMs: number;
  /** A hint for a loopback --domain given without a scheme, said when https to it fails. */
  readonly schemeHint?: string;
  readonly audience?: string;
  readonly namespace?: string;
  readonly username?: string;
  readonly password?: string;
  readonly realm?: string;
  readonly expectFile?: string;
  readonly usersFile?: string;
  readonly management?: { readonly clientId: string; readonly clientSecret: string; readonly audience?: string };
  /** Values of the actions' secrets, for the expected claims (--secrets-file, TF_VAR_*); none with --expect, which runs no action. */
  readonly secrets?: SecretValues;
  /** Origins the actions' fetch may reach while computing the expected claims (--allow-fetch). */
  readonly allowFetch: readonly string[];
  readonly json: boolean;
  readonly showTokens: boolean;
}

type Values = NonNullable<ReturnType<typeof readCommandLine<typeof COMMAND.options>>>;
/** A flag's value, else the variable's (an empty variable counts as unset). */
type FromFlagOrEnv = (flag: string | undefined, variable: string) => string | undefined;

/** verify's settings; undefined when --help was asked for (the usage is printed). */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): VerifyOptions | DeployedOptions | undefined {
  const values = readCommandLine(COMMAND, argv);
  if (!values) return undefined;
  const pick: FromFlagOrEnv = (flag, variable) => flag ?? (env[variable] || undefined);
  if (!values.env)
    throw new UsageError(
      "ERR_USAGE",
      `--env: missing; name the environment whose claims to expect (see src/environments.ts)`,
      { detail: USAGE },
    );
  if (values.deployed) return readDeployedOptions(values, pick);
  if (values.stack !== undefined)
    throw new UsageError(
      "ERR_USAGE",
      "--stack goes with --deployed; add --deployed to check the deployment, or drop --stack",
    );
  const client = readClient(values, env, pick);
  const tenant = readTenant(client.domain, values.domain === undefined ? "AUTH0_VERIFY_DOMAIN" : "--domain");
  const grant = readGrant(values, pick);
  return {
    env: values.env,
    ...tenant,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    ...grant,
    open: values.open ?? false,
    timeoutMs: readTimeout(values.timeout),
    audience: pick(values.audience, "AUTH0_VERIFY_AUDIENCE"),
    namespace: values.namespace,
    ...readTestUser(grant.grant, env),
    realm: pick(values.realm, "AUTH0_VERIFY_REALM"),
    ...readExpectationSource(values, pick, env),
    json: values.json ?? false,
    showTokens: values["show-tokens"] ?? false,
  };
}

/** --deployed's settings: the tenant, a Management API application, the stack; no login flag. */
function readDeployedOptions(values: Values, pick: FromFlagOrEnv): DeployedOptions {
  const login = LOGIN_FLAGS.find((flag) => values[flag] !== undefined && values[flag] !== false);
  if (login)
    throw new UsageError(
      "ERR_USAGE",
      `--${login}: --deployed logs no one in, it reads the tenant's actions and bindings; drop --${login}, or run verify without --deployed to check a login`,
    );
  const domain = pick(values.domain, "AUTH0_VERIFY_DOMAIN");
  if (!domain)
    throw new UsageError(
      "ERR_USAGE",
      "--domain: missing; give --domain or set AUTH0_VERIFY_DOMAIN (your tenant's domain, e.g. your-tenant.eu.auth0.com)",
    );
  const tenant = readTenant(domain, values.domain === undefined ? "AUTH0_VERIFY_DOMAIN" : "--domain");
  const clientId = pick(values["mgmt-client-id"], "AUTH0_VERIFY_MGMT_CLIENT_ID");
  const clientSecret = pick(values["mgmt-client-secret"], "AUTH0_VERIFY_MGMT_CLIENT_SECRET");
  if (!clientId || !clientSecret) {
    throw new UsageError(
      "ERR_USAGE",
      "--deployed: give --mgmt-client-id and --mgmt-client-secret (or AUTH0_VERIFY_MGMT_*): a Management API application with read:actions, e.g. the read-only plan client",
    );
  }
  return {
    deployed: true,
    env: values.env as string,
    ...tenant,
    management: { clientId, clientSecret, audience: values["mgmt-audience"] },
    stackFile: values.stack ?? join(projectRoot(), "cdktf.out", "stacks", values.env as string, "cdk.tf.json"),
    timeoutMs: readTimeout(values.timeout),
    json: values.json ?? false,
  };
}

/** The tenant's domain and the login application: flags or AUTH0_VERIFY_*, never Terraform's own application. */
function readClient(
  values: Values,
  env: NodeJS.ProcessEnv,
  pick: FromFlagOrEnv,
): { domain: string; clientId: string; clientSecret: string } {
  const need = (value: string | undefined, flag: string, variable: string, what: string): string => {
    if (!value) throw new UsageError("ERR_USAGE", `${flag}: missing; give ${flag} or set ${variable} (${what})`);
    return value;
  };
  const domain = need(
    pick(values.domain, "AUTH0_VERIFY_DOMAIN"),
    "--domain",
    "AUTH0_VERIFY_DOMAIN",
    "your tenant's domain, e.g. your-tenant.eu.auth0.com",
  );
  const clientId = need(
    pick(values["client-id"], "AUTH0_VERIFY_CLIENT_ID"),
    "--client-id",
    "AUTH0_VERIFY_CLIENT_ID",
    "of the application users log in to",
  );
  const clientSecret = need(
    pick(values["client-secret"], "AUTH0_VERIFY_CLIENT_SECRET"),
    "--client-secret",
    "AUTH0_VERIFY_CLIENT_SECRET",
    "of that application",
  );
  if (env.AUTH0_CLIENT_ID && clientId === env.AUTH0_CLIENT_ID) {
    throw new UsageError(
      "ERR_USAGE",
      `--client-id: ${clientId} is AUTH0_CLIENT_ID, Terraform's machine-to-machine application; verify logs in as a user, so give the client id of an application users log in to`,
    );
  }
  return { domain, clientId, clientSecret };
}

/** The tenant's base URL from --domain: https unless it is a local tenant on a loopback address. */
function readTenant(domain: string, from: string): { issuerUrl: URL; schemeHint?: string } {
  refuseCredentials(domain, from, "a tenant takes none");
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(/^https?:\/\//.test(domain) ? domain : `https://${domain}`);
  } catch {
    throw new UsageError("ERR_USAGE", `--domain: "${domain}" is not a domain or URL; e.g. your-tenant.eu.auth0.com`);
  }
  if (issuerUrl.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(issuerUrl.hostname)) {
    throw new UsageError(
      "ERR_USAGE",
      `--domain: ${domain} uses http; only a local tenant on 127.0.0.1 may, a real tenant is https`,
    );
  }
  if (!issuerUrl.pathname.endsWith("/")) issuerUrl.pathname += "/";
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(issuerUrl.hostname);
  const schemeHint =
    loopback && !/^https?:\/\//.test(domain)
      ? `--domain ${quote(domain)} has no scheme, so verify used https; a local tenant speaks plain http: give --domain http://${escapeControl(domain)}`
      : undefined;
  return { issuerUrl, schemeHint };
}

/** Credentials before a URL's host: `user:password@`, with or without a scheme (the last @ ends them, as in a URL). */
const USERINFO = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^/?#]*)@/i;

/**
 * Refuses a URL that carries credentials, naming it without them. Stripping them instead would hide
 * a pasted secret that still sits in the shell history or the CI settings; nothing verify talks to
 * takes credentials in a URL (fetch refuses such a URL).
 */
function refuseCredentials(url: string, from: string, why: string): void {
  const match = USERINFO.exec(url);
  if (!match) return;
  const bare = escapeControl(match[1] + url.slice(match[0].length));
  const shown = escapeControl(`${match[1]}[redacted]@${url.slice(match[0].length)}`);
  throw new UsageError(
    "ERR_USAGE",
    `${from}: ${shown} carries credentials (user:password@ before the host); ${why}, and verify must neither send nor print them: ` +
      (from.startsWith("--") ? `give ${from} ${bare}` : `set ${from}=${bare}`),
  );
}

/**
 * The secret values of the command line and the environment, found before the options are judged
 * (and whether or not they are valid), so that no message, not even one about a bad flag, prints one.
 */
export function inputSecrets(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const flag = (name: string) =>
    argv.flatMap((arg, i) =>
      arg === name ? [argv[i + 1]] : arg.startsWith(`${name}=`) ? [arg.slice(name.length + 1)] : [],
    );
  const secrets = [
    ...flag("--client-secret"),
    ...flag("--mgmt-client-secret"),
    env.AUTH0_VERIFY_CLIENT_SECRET,
    env.AUTH0_VERIFY_MGMT_CLIENT_SECRET,
    env.AUTH0_VERIFY_PASSWORD,
  ];
  for (const url of [
    ...flag("--domain"),
    ...flag("--redirect-uri"),
    env.AUTH0_VERIFY_DOMAIN,
    env.AUTH0_VERIFY_REDIRECT_URI,
  ]) {
    const userinfo = USERINFO.exec(url ?? "")?.[2];
    if (!userinfo) continue;
    // The user name alone is no secret (it would hide every "user" in the output), unless it is all there is.
    secrets.push(userinfo, userinfo.slice(userinfo.indexOf(":") + 1));
  }
  return secrets.filter((secret): secret is string => typeof secret === "string" && secret !== "");
}

/** --grant and, for the code flow, the loopback callback verify listens on. */
function readGrant(values: Values, pick: FromFlagOrEnv): { grant: "code" | "password"; redirectUri: URL } {
  const grant = values.grant ?? "code";
  if (grant !== "code" && grant !== "password")
    throw new UsageError(
      "ERR_USAGE",
      `--grant: "${grant}" is not a grant; use code (a browser login) or password (for pipelines)`,
    );
  const redirect = pick(values["redirect-uri"], "AUTH0_VERIFY_REDIRECT_URI") ?? "http://127.0.0.1:3000/callback";
  refuseCredentials(
    redirect,
    values["redirect-uri"] === undefined ? "AUTH0_VERIFY_REDIRECT_URI" : "--redirect-uri",
    "the callback takes none",
  );
  let redirectUri: URL;
  try {
    redirectUri = new URL(redirect);
  } catch {
    throw new UsageError(
      "ERR_USAGE",
      `--redirect-uri: "${redirect}" is not a URL; e.g. http://127.0.0.1:3000/callback`,
    );
  }
  if (
    grant === "code" &&
    (redirectUri.protocol !== "http:" ||
      !["127.0.0.1", "localhost", "[::1]"].includes(redirectUri.hostname) ||
      !redirectUri.port)
  ) {
    throw new UsageError(
      "ERR_USAGE",
      `--redirect-uri: ${redirect} must be http on 127.0.0.1 or localhost with a port, where verify listens for the callback`,
    );
  }
  return { grant, redirectUri };
}

/** --timeout in seconds (default 300), as milliseconds a Node timer can keep. */
function readTimeout(text: string | undefined): number {
  const timeoutMs = text === undefined ? 300_000 : Math.round(Number(text) * 1000);
  if (!isTimerMs(timeoutMs)) {
    throw new UsageError(
      "ERR_USAGE",
      `--timeout: "${text}" is not a number of seconds from 1 to ${Math.floor(MAX_TIMEOUT_MS / 1000)}; e.g. --timeout 120`,
    );
  }
  return timeoutMs;
}

/** The test user of the password grant, from the environment only (never flags: shell history). */
function readTestUser(grant: "code" | "password", env: NodeJS.ProcessEnv): { username?: string; password?: string } {
  const username = env.AUTH0_VERIFY_USERNAME || undefined;
  const password = env.AUTH0_VERIFY_PASSWORD || undefined;
  if (grant === "password" && (!username || !password)) {
    throw new UsageError(
      "ERR_USAGE",
      "--grant password: set AUTH0_VERIFY_USERNAME and AUTH0_VERIFY_PASSWORD (a test user's credentials; never flags, they would land in shell history)",
    );
  }
  return { username, password };
}

/** Exactly one source of expected claims: --expect, --users, or Management API credentials. */
function readExpectationSource(
  values: Values,
  pick: FromFlagOrEnv,
  env: NodeJS.ProcessEnv,
): Pick<VerifyOptions, "expectFile" | "usersFile" | "management" | "secrets" | "allowFetch"> {
  const mgmtId = pick(values["mgmt-client-id"], "AUTH0_VERIFY_MGMT_CLIENT_ID");
  const mgmtSecret = pick(values["mgmt-client-secret"], "AUTH0_VERIFY_MGMT_CLIENT_SECRET");
  if ((mgmtId === undefined) !== (mgmtSecret === undefined)) {
    throw new UsageError(
      "ERR_USAGE",
      "--mgmt-client-id and --mgmt-client-secret (or AUTH0_VERIFY_MGMT_*) go together: an application with the read:users scope",
    );
  }
  const sources = [values.expect, values.users, mgmtId].filter((v) => v !== undefined).length;
  if (sources === 0) {
    throw new UsageError(
      "ERR_USAGE",
      "no expected claims: give --expect FILE (claims, or a line of npm run preview --json), --users FILE (the user's app_metadata), " +
        "or Management API credentials with read:users (--mgmt-client-id/--mgmt-client-secret) to read it from the tenant",
    );
  }
  if (sources > 1)
    throw new UsageError(
      "ERR_USAGE",
      "give one source of expected claims: --expect, --users or Management API credentials",
    );
  for (const flag of ["secrets-file", "allow-fetch"] as const) {
    if (values.expect !== undefined && values[flag] !== undefined) {
      throw new UsageError(
        "ERR_USAGE",
        `--${flag} goes with --users or the Management API, where the expected claims come from running the actions; --expect runs none: drop one of them`,
      );
    }
  }
  return {
    allowFetch: fetchOrigins(values["allow-fetch"]),
    expectFile: values.expect,
    secrets: values.expect === undefined ? secretValues(values["secrets-file"], env) : undefined,
    usersFile: values.users,
    management:
      mgmtId && mgmtSecret
        ? { clientId: mgmtId, clientSecret: mgmtSecret, audience: values["mgmt-audience"] }
        : undefined,
  };
}
