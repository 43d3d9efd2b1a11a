// `npm run local-tenant -- [--https] [--port N] [--env NAME] [--users FILE] ...`: a local OpenID Provider
// at Auth0's paths that runs the environment's compiled action on every login and refresh.
import { resolve } from "node:path";
import type { LocalTenant } from "../local-tenant/tenant";
import { loadEnvironmentFlow } from "../environment/load-action";
import { secretValues } from "../flow/secrets";
import { fetchOrigins } from "../flow/compile";
import { actionsOf } from "../flow/model";
import { NAMESPACE_VARIABLE } from "../compile/claims-action";
import { UserFile } from "../users/user-file";
import type { ExportedUser } from "../runtime/types";
import { quote, UsageError } from "../errors";
import { readCommandLine } from "../command-line";
import { runCommand } from "./run-command";
import { environments } from "../environments";

const COMMAND = {
  name: "local-tenant",
  usage: [
    "usage: npm run local-tenant -- [--https [--cert-dir DIR]] [--host 127.0.0.1|localhost] [--port N] [--env NAME] [--users FILE]",
    "         [--namespace URL] [--code FILE] [--secrets-file FILE] [--allow-fetch ORIGIN]... [--empty] [--password PASSWORD]",
    "         [--callbacks URLS] [--logout-urls URLS]",
    "A local OpenID tenant at Auth0's paths, with Auth0's Actions Management API: every login and refresh runs the post-login",
    "flow as deployed there; at start, the environment's flow is deployed and bound (with --empty, nothing is).",
    "  --https              serve https with a certificate from a local CA (printed: trust it with NODE_EXTRA_CA_CERTS)",
    "  --cert-dir DIR       where the CA is kept and reused across runs (default .local-tenant)",
    "  --host HOST          host name in the issuer and the SDK domain: 127.0.0.1 (default) or localhost",
    "  --port N             port on 127.0.0.1 (default 4000; 0 picks a free one)",
    "  --env NAME           environment whose action runs (default: the first in src/environments.ts)",
    "  --users FILE         users who can log in: JSON, JSON array or NDJSON, optionally gzipped (default samples/users.ndjson)",
    "  --namespace URL      claim namespace (default: the environment's)",
    "  --code FILE          deploy this compiled action instead of the environment's claims action",
    "  --secrets-file FILE  the values of the actions' secrets deployed at start: dotenv lines TF_VAR_<variable>=VALUE, as the",
    "                       deploy reads them (default: the TF_VAR_<variable> environment variables; CLAIM_NAMESPACE is the namespace)",
    "  --allow-fetch ORIGIN let the actions' fetch reach ORIGIN (scheme://host[:port]; repeatable), e.g. a local mock of",
    "                       your roles API; every other call is refused (default: none)",
    "  --empty              deploy and bind nothing: a new tenant waiting for npx cdktf deploy (needs --https for the provider)",
    "  --password PASSWORD  every user's password (default local-password)",
    "  --callbacks URLS     more allowed callback URLs, comma-separated (loopback /callback on any port is always allowed)",
    "  --logout-urls URLS   more allowed logout URLs, comma-separated (127.0.0.1 and localhost are always allowed)",
    "  -h, --help           this text",
  ].join("\n"),
  options: {
    https: { type: "boolean", default: false },
    "cert-dir": { type: "string", default: ".local-tenant" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4000" },
    env: { type: "string" },
    users: { type: "string", default: "samples/users.ndjson" },
    namespace: { type: "string" },
    code: { type: "string" },
    "secrets-file": { type: "string" },
    "allow-fetch": { type: "string", multiple: true },
    empty: { type: "boolean", default: false },
    password: { type: "string", default: "local-password" },
    callbacks: { type: "string", default: "" },
    "logout-urls": { type: "string", default: "" },
  },
} as const;

async function main(): Promise<number | undefined> {
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError("ERR_USAGE", `--port: "${values.port}" is not a port; e.g. --port 4000 (0 picks a free one)`);
  if (values.host !== "127.0.0.1" && values.host !== "localhost")
    throw new UsageError(
      "ERR_USAGE",
      `--host: ${quote(values.host)} is not 127.0.0.1 or localhost; the certificate covers those two`,
    );
  const callbacks = urlList("--callbacks", values.callbacks);
  const logoutUrls = urlList("--logout-urls", values["logout-urls"]);
  const file = await UserFile.open(values.users);
  const users: ExportedUser[] = [];
  for await (const batch of file.users()) for (const { user } of batch) users.push(user);
  const missingId = users.findIndex((u) => typeof u.user_id !== "string" || u.user_id === "");
  if (missingId !== -1)
    throw new UsageError(
      "ERR_INPUT_INVALID",
      `--users: user ${missingId + 1} of ${values.users} has no user_id; every user needs one to log in`,
    );
  const deploying = (["code", "namespace", "secrets-file"] as const).find((flag) => values[flag] !== undefined);
  if (values.empty && deploying !== undefined)
    throw new UsageError("ERR_USAGE", `--${deploying}: --empty deploys nothing; drop one of them`);
  // Compiled here (esbuild), with its secrets' values, deployed and bound through the tenant's Actions store at its start.
  const loaded = values.empty
    ? undefined
    : loadEnvironmentFlow({
        env: values.env,
        namespace: values.namespace,
        codeFile: values.code,
        secrets: secretValues(values["secrets-file"], process.env),
      });
  // Loaded here, not at the top: the OpenID server costs half a second that --help and bad flags need not pay.
  const { startLocalTenant } = await import("../local-tenant/tenant");
  const tenant = await startLocalTenant({
    flow: loaded?.flow,
    users,
    password: values.password,
    port,
    host: values.host,
    https: values.https ? { certDir: resolve(values["cert-dir"]) } : undefined,
    callbacks,
    logoutUrls,
    allowFetch: fetchOrigins(values["allow-fetch"]),
  });
  const env = loaded?.environment.name ?? values.env ?? environments[0].name;
  // Names only: the values never reach any output.
  const secrets = (loaded ? actionsOf(loaded.flow) : []).flatMap((a) =>
    a.secrets.filter((s) => s.variable !== NAMESPACE_VARIABLE).map((s) => `${a.name}'s ${s.name}`),
  );
  const started = loaded
    ? `namespace ${loaded.namespace}${secrets.length > 0 ? `; secrets ${secrets.join(", ")}` : ""}`
    : "empty: nothing deployed";
  printTenant(tenant, env, started, users, values.password, values.users);
  console.log("Ctrl-C stops it.");

  const stop = () => {
    void tenant.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Whoever started it (npm, whose script execs node, or a shell) may die without a signal reaching
  // this process, e.g. npm killed with SIGKILL: the tenant is then re-parented, and nobody can Ctrl-C
  // it any more. It notices within a second and stops rather than keep the port.
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphaned);
    console.error(`local-tenant: the process that started it (pid ${parent}) is gone; stopping`);
    stop();
  }, 1000);
  orphaned.unref();
  return undefined;
}

/** The API audience the printed verify command asks for. */
const LOCAL_API_AUDIENCE = "https://api.example.com";

function printTenant(
  tenant: LocalTenant,
  env: string,
  started: string,
  users: ExportedUser[],
  password: string,
  usersFile: string,
): void {
  const base = tenant.url.replace(/\/$/, "");
  const flow = tenant.flow();
  const lines = [
    `local tenant for environment ${env} listening on ${tenant.url}`,
    `  domain         ${tenant.domain}   (an Auth0 SDK's domain setting${tenant.url.startsWith("https") ? "" : "; Auth0's SDKs need --https"})`,
    `  discovery      ${tenant.url}.well-known/openid-configuration`,
    `  client id      ${tenant.clientId}`,
    `  client secret  ${tenant.clientSecret}`,
    `  callbacks      http://127.0.0.1:<any port>/callback, http://localhost:<any port>/callback`,
    `  logout         ${tenant.url}v2/logout?client_id=${tenant.clientId}&returnTo=<http(s)://127.0.0.1 or localhost URL>`,
    `  management     ${tenant.management.audience} (users, actions): client ${tenant.management.clientId}, secret ${tenant.management.clientSecret}`,
    `  post-login     ${flow.length === 0 ? "nothing bound: logins run no action" : flow.join(" -> ")} (${started}; a deploy takes effect at the next login)`,
    `  users          (password for all: ${password})`,
    ...users.map((u) => `                 ${u.user_id}${typeof u.email === "string" ? `  ${u.email}` : ""}`),
  ];
  if (tenant.ca) {
    lines.push(
      "",
      `https certificate issued by the local CA ${tenant.ca.file} (${tenant.ca.created ? "created now" : "reused"}); trust it in Node with:`,
    );
    lines.push(`  NODE_EXTRA_CA_CERTS=${tenant.ca.file}`);
    lines.push(
      `It vouches for 127.0.0.1, localhost and ::1 only, until ${tenant.ca.expires.toISOString().slice(0, 10)}; a week before, a new CA replaces it (trust that one again where you imported this one).`,
    );
  }
  lines.push(
    "",
    "deploy to it with the auth0 Terraform provider (npx cdktf deploy, docs/local-tenant.md#rehearse-a-deploy):",
  );
  if (tenant.ca) {
    lines.push(`  export AUTH0_DOMAIN=${tenant.domain}`);
    lines.push(`  export AUTH0_CLIENT_ID=${tenant.management.clientId}`);
    lines.push(`  export AUTH0_CLIENT_SECRET=${tenant.management.clientSecret}`);
    // Go reads SSL_CERT_FILE, not NODE_EXTRA_CA_CERTS, and in place of the system's CAs: this bundle holds both.
    lines.push(`  export SSL_CERT_FILE=${tenant.ca.bundle}`);
  } else {
    lines.push("  the provider speaks https only: start the tenant with --https");
  }
  lines.push("", "verify it from another terminal:");
  const trust = tenant.ca ? `NODE_EXTRA_CA_CERTS=${tenant.ca.file} ` : "";
  // With an audience the tenant issues a JWT access token, so verify checks its claims too instead of
  // reporting them NOT CHECKED (exit 4); the local tenant accepts any audience.
  lines.push(
    `  ${trust}npm run verify -- --env ${env} --domain ${base} --client-id ${tenant.clientId} --client-secret ${tenant.clientSecret} --users ${usersFile} --audience ${LOCAL_API_AUDIENCE}`,
  );
  console.log(lines.join("\n"));
}

/** A comma-separated list of absolute http(s) URLs; UsageError names the one that is not. */
function urlList(flag: string, text: string): string[] {
  const urls = text
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new UsageError(
        "ERR_USAGE",
        `${flag}: ${quote(url)} is not an http(s) URL; e.g. ${flag} https://localhost:3000/callback`,
      );
  }
  return urls;
}

runCommand(COMMAND.name, () =>
  main().catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new UsageError(
        "ERR_PORT_IN_USE",
        "--port: that port is in use; pick another with --port N (0 picks a free one)",
      );
    throw err;
  }),
);
