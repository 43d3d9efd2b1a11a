// `npm run local-tenant -- [--port N] [--env NAME] [--users FILE] [--namespace URL] [--code FILE] [--password P]`:
// a local OpenID Provider at Auth0's paths that runs the environment's compiled action on every login.
import { parseArgs } from "node:util";
import { startLocalTenant } from "../local-tenant/tenant";
import { loadEnvironmentAction } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import type { ExportedUser } from "../runtime/post-login-runtime";
import { ActionLoadError } from "../runtime/post-login-runtime";

const USAGE = "usage: npm run local-tenant -- [--port N] [--env NAME] [--users FILE] [--namespace URL] [--code FILE] [--password PASSWORD]";

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "4000" },
        env: { type: "string" },
        users: { type: "string", default: "samples/users.ndjson" },
        namespace: { type: "string" },
        code: { type: "string" },
        password: { type: "string", default: "local-password" },
      },
    }));
  } catch (err) {
    throw new InputError(`${(err as Error).message}; ${USAGE}`);
  }
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
}

main().catch((err) => {
  if (err instanceof InputError || err instanceof ActionLoadError) console.error(`local-tenant: ${err.message}`);
  else if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") console.error(`local-tenant: port in use; pick another with --port N (0 picks a free one)`);
  else console.error(err);
  process.exit(2);
});
