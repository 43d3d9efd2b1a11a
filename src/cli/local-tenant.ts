// `npm run local-tenant -- [--port N] [--env NAME] [--users FILE] [--namespace URL] [--code FILE] [--password P]`:
// a local OpenID Provider at Auth0's paths that runs the environment's compiled action on every login.
import { startLocalTenant } from "../local-tenant/tenant";
import { loadEnvironmentAction } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import type { ExportedUser } from "../runtime/post-login-runtime";
import { ActionLoadError } from "../runtime/post-login-runtime";
import { readCommandLine, runCommand } from "./command-line";

const COMMAND = {
  name: "local-tenant",
  usage: [
    "usage: npm run local-tenant -- [--port N] [--env NAME] [--users FILE] [--namespace URL] [--code FILE] [--password PASSWORD]",
    "A local OpenID tenant at Auth0's paths that runs the environment's compiled action on every login.",
    "  --port N             port on 127.0.0.1 (default 4000; 0 picks a free one)",
    "  --env NAME           environment whose action runs (default: the first in src/environments.ts)",
    "  --users FILE         users who can log in: JSON, JSON array or NDJSON, optionally gzipped (default samples/users.ndjson)",
    "  --namespace URL      claim namespace (default: the environment's)",
    "  --code FILE          run this compiled action instead of the environment's",
    "  --password PASSWORD  every user's password (default local-password)",
    "  -h, --help           this text",
  ].join("\n"),
  options: {
    port: { type: "string", default: "4000" },
    env: { type: "string" },
    users: { type: "string", default: "samples/users.ndjson" },
    namespace: { type: "string" },
    code: { type: "string" },
    password: { type: "string", default: "local-password" },
  },
} as const;

async function main(): Promise<number | undefined> {
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port: "${values.port}" is not a port; e.g. --port 4000 (0 picks a free one)`);
  const file = await UserFile.open(values.users as string);
  const users: ExportedUser[] = [];
  for await (const batch of file.users()) for (const { user } of batch) users.push(user);
  const missingId = users.findIndex((u) => typeof u.user_id !== "string" || u.user_id === "");
  if (missingId !== -1) throw new InputError(`--users: user ${missingId + 1} of ${values.users} has no user_id; every user needs one to log in`);
  const action = loadEnvironmentAction({ env: values.env, namespace: values.namespace, codeFile: values.code });
  const tenant = await startLocalTenant({ action, users, password: values.password as string, port });

  const base = tenant.url.replace(/\/$/, "");
  console.log(`local tenant for environment ${action.environment.name} listening on ${tenant.url}`);
  console.log(`  discovery      ${tenant.url}.well-known/openid-configuration`);
  console.log(`  client id      ${tenant.clientId}`);
  console.log(`  client secret  ${tenant.clientSecret}`);
  console.log(`  callbacks      http://127.0.0.1:<any port>/callback, http://localhost:<any port>/callback`);
  console.log(`  action         ${action.source}, namespace ${action.namespace}`);
  console.log(`  users          (password for all: ${values.password})`);
  for (const u of users) console.log(`                 ${u.user_id}${typeof u.email === "string" ? `  ${u.email}` : ""}`);
  console.log("");
  console.log("verify it from another terminal:");
  console.log(`  npm run verify -- --env ${action.environment.name} --domain ${base} --client-id ${tenant.clientId} --client-secret ${tenant.clientSecret} --users ${values.users}`);
  console.log("Ctrl-C stops it.");

  const stop = () => {
    void tenant.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return undefined;
}

runCommand(COMMAND.name, () =>
  main().catch((err: unknown) => {
    if (err instanceof ActionLoadError) throw new InputError(err.message);
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") throw new InputError("--port: that port is in use; pick another with --port N (0 picks a free one)");
    throw err;
  }),
);
