// `preview --compare BASE` where BASE is a synthesized stack holding a multi-action post-login flow
// (the flow-example environment: deny-blocked-users, then the claims action): the base runs its whole
// bound flow, in order, as the head does; a flow the base can't run is refused with exit 2.
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type EnvironmentConfig, exampleEnvironments } from "../src/environments";
import type { Run } from "./helpers/cli-bundles";
import { preview } from "./helpers/preview-in-process";
import { scratch, jsonLines } from "./helpers/scratch";

const { file } = scratch("claims-compare-flow-");

const FLOW = exampleEnvironments[0];
const NS = FLOW.namespace as string;
const BLOCKED = "deny-blocked-users: api.access.deny: This account is blocked. Contact your administrator.";
const DENY = { entry: "actions/deny-blocked-users.ts" };

/** The stack of `environment`, synthesized as `npm run synth` writes it (cdk.tf.json). */
const stackFile = (name: string, environment: EnvironmentConfig) =>
  file(name, Testing.synth(new ClaimsStack(Testing.app(), environment)));

const USERS = [
  { user_id: "auth0|ann", app_metadata: { roles: ["admin"] } },
  { user_id: "auth0|blocked", app_metadata: { blocked: true, roles: ["admin"] } },
  { user_id: "auth0|string-true", app_metadata: { blocked: "true", roles: ["viewer"] } },
];
/** The head without the deny action: the flow-example's claims action alone, same namespace and tokens. */
const CLAIMS_ONLY = ["--env", "dev", "--namespace", NS];

let users: string;
let flowStack: string;
let appendStack: string;
let claimsStack: string;
beforeAll(() => {
  users = file("users.ndjson", USERS.map((u) => JSON.stringify(u)).join("\n") + "\n");
  flowStack = stackFile("flow.tf.json", FLOW);
  appendStack = stackFile("append.tf.json", { ...FLOW, binding: { mode: "append", before: [DENY] } });
  claimsStack = stackFile("claims.tf.json", { ...FLOW, binding: { mode: "exclusive" } });
});

describe("a base stack with a multi-action flow", () => {
  let removed: Run;
  let added: Run;
  let appended: Run;
  beforeAll(async () => {
    [removed, added, appended] = await Promise.all([
      preview("--users", users, "--compare", flowStack, ...CLAIMS_ONLY, "--json"),
      preview("--users", users, "--compare", claimsStack, "--env", FLOW.name, "--json"),
      preview("--users", users, "--compare", appendStack, ...CLAIMS_ONLY, "--json"),
    ]);
  });

  test("the deny action removed from the head: the blocked user is newly allowed, and gains the claims", () => {
    expect(removed.stderr).toBe("");
    expect(removed.status).toBe(0);
    const roles = { [`${NS}/roles`]: { before: null, after: ["admin"] } };
    expect(jsonLines(removed.stdout)).toEqual([
      {
        user_id: "auth0|blocked",
        denied: { before: BLOCKED, after: null },
        idToken: roles,
        accessToken: roles,
        userinfo: roles,
      },
    ]);
  });

  test("the deny action added in the head: the blocked user is newly denied, no one else changes", () => {
    expect(added.status).toBe(0);
    const lines = jsonLines(added.stdout);
    expect(lines.map((l) => [l.user_id, l.denied])).toEqual([["auth0|blocked", { before: null, after: BLOCKED }]]);
  });

  test("a flow bound in append mode (one binding per action, chained by depends_on) runs too", () => {
    expect(appended.status).toBe(0);
    expect(appended.stdout).toBe(removed.stdout);
  });

  test("the human report names each action of the base's flow, in order", async () => {
    const run = await preview("--users", users, "--compare", flowStack, ...CLAIMS_ONLY);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /before: .*flow\.tf\.json \(flow auth0_action\.deny_blocked_users, deny-blocked-users -> auth0_action\.app_metadata_claims, app-metadata-claims\), namespace https:\/\/example\.com\/claims$/m,
    );
    expect(run.stdout).toMatch(/^logins newly allowed +1$/m);
  });
});

test("actions the base's flow binds by hand (by id) are named as not run, as the head's preview does", async () => {
  const stack = JSON.parse(Testing.synth(new ClaimsStack(Testing.app(), FLOW)));
  stack.resource.auth0_trigger_actions.post_login.actions.push({ id: "act-audit", display_name: "Audit" });
  const run = await preview(
    "--users",
    users,
    "--compare",
    file("hand-bound.tf.json", JSON.stringify(stack)),
    ...CLAIMS_ONLY,
  );
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(
    /before: .*hand-bound\.tf\.json \(flow auth0_action\.deny_blocked_users, deny-blocked-users -> auth0_action\.app_metadata_claims, app-metadata-claims; 1 action\(s\) bound by hand \(by id\) not run\)/,
  );
});

describe("a base flow that can't run: exit 2, one line, nothing on stdout", () => {
  test("an action of the flow whose code fails to load is named", async () => {
    const stack = JSON.parse(Testing.synth(new ClaimsStack(Testing.app(), FLOW)));
    stack.resource.auth0_action.deny_blocked_users.code = "this is not ( code";
    const run = await preview(
      "--users",
      users,
      "--compare",
      file("broken.tf.json", JSON.stringify(stack)),
      ...CLAIMS_ONLY,
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^preview: --compare: ".*broken\.tf\.json \(auth0_action\.deny_blocked_users, deny-blocked-users\)": action failed to load: SyntaxError/,
    );
  });

  test("two post-login bindings for one trigger are refused", async () => {
    const stack = JSON.parse(Testing.synth(new ClaimsStack(Testing.app(), FLOW)));
    stack.resource.auth0_trigger_actions.other = stack.resource.auth0_trigger_actions.post_login;
    const run = await preview(
      "--users",
      users,
      "--compare",
      file("two-bindings.tf.json", JSON.stringify(stack)),
      ...CLAIMS_ONLY,
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/binds post-login with 2 auth0_trigger_actions; a trigger has one flow/);
  });
});
