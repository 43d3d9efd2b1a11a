// The claims contract: what a reviewer reads in a pull request and a pipeline diffs.
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { buildContract, contractJson, contractMarkdown } from "../src/review/contract";
import type { EnvironmentConfig } from "../src/environments";
import type { ProviderPin } from "../src/review/contract";
import { summarizeStack } from "../src/review/summary";

const LOCKED: ProviderPin = {
  constraint: "~> 1.51",
  lock: { state: "locked", file: ".terraform.lock.hcl", version: "1.51.0", hashes: 5 },
};
const UNLOCKED: ProviderPin = {
  constraint: "~> 1.51",
  lock: {
    state: "missing",
    file: ".terraform.lock.hcl",
    warning: "no provider lock file (.terraform.lock.hcl): run npm run lock",
  },
};

const samples = [
  { user_id: "auth0|alice", app_metadata: { roles: ["admin"], permissions: ["read:all"] } },
  { user_id: "auth0|bob" },
  { user_id: "auth0|carol", app_metadata: { roles: null } },
];

async function contractFor(env: EnvironmentConfig, provider = LOCKED) {
  const stack = new ClaimsStack(Testing.app(), env);
  return { stack, contract: await buildContract(stack, samples, "samples/test.ndjson", provider) };
}

test("names the namespace, each claim with its source and tokens, binding, runtime, hash and size", async () => {
  const { stack, contract } = await contractFor({
    name: "dev",
    namespace: "https://acme.example/claims/",
    tokens: ["id", "access"],
  });
  expect(contract).toMatchObject({
    environment: "dev",
    namespace: { value: "https://acme.example/claims/", variable: "claim_namespace" },
    claims: [
      {
        claim: "https://acme.example/claims/roles",
        from: "app_metadata.roles",
        idToken: true,
        userinfo: true,
        accessToken: true,
      },
      {
        claim: "https://acme.example/claims/permissions",
        from: "app_metadata.permissions",
        idToken: true,
        userinfo: true,
        accessToken: true,
      },
    ],
    binding: { mode: "append", resource: "auth0_trigger_action" },
    action: {
      name: "app-metadata-claims",
      runtime: "node22",
      trigger: "post-login v3",
      sha256: stack.claims.compiled.sha256,
      bytes: stack.claims.compiled.bytes,
    },
    adopts: null,
  });
});

test("previews the sample users with the environment's compiled action", async () => {
  const { contract } = await contractFor({ name: "dev", namespace: "https://acme.example/claims", tokens: ["id"] });
  expect(contract.samples.users).toEqual([
    {
      user_id: "auth0|alice",
      denied: null,
      idToken: {
        "https://acme.example/claims/roles": ["admin"],
        "https://acme.example/claims/permissions": ["read:all"],
      },
      accessToken: {},
      userinfo: {
        "https://acme.example/claims/roles": ["admin"],
        "https://acme.example/claims/permissions": ["read:all"],
      },
      dropped: [],
      logs: [],
    },
    { user_id: "auth0|bob", denied: null, idToken: {}, accessToken: {}, userinfo: {}, dropped: [], logs: [] },
    {
      user_id: "auth0|carol",
      denied: null,
      idToken: {},
      accessToken: {},
      userinfo: {},
      dropped: [],
      logs: ["app-metadata-claims: skipped roles (null)"],
    },
  ]);
});

test("a namespace known only at plan time is shown as the variable, in claims and samples", async () => {
  const { contract } = await contractFor({ name: "prod" });
  expect(contract.namespace).toEqual({
    value: null,
    variable: "claim_namespace",
    source: "variable claim_namespace, no default: set at plan time",
  });
  expect(contract.claims.map((c) => c.claim)).toEqual(["<claim_namespace>/roles", "<claim_namespace>/permissions"]);
  expect(Object.keys(contract.samples.users[0].idToken)).toEqual([
    "<claim_namespace>/roles",
    "<claim_namespace>/permissions",
  ]);
});

test("adoption says the first apply deploys a new version and other secrets must be declared", async () => {
  const { contract } = await contractFor({
    name: "dev",
    namespace: "https://acme.example",
    adopt: { actionId: "7f3c9f0e-aaaa" },
  });
  expect(contract.notes).toEqual([
    expect.stringMatching(/^the first apply after adoption updates the adopted action and deploys a new version/),
    expect.stringMatching(/besides CLAIM_NAMESPACE must be declared in the construct.*Unmanaged Action Secret/),
  ]);
  expect(contractMarkdown(contract)).toMatch(/## Before you apply\n\n- the first apply after adoption/);
});

test("without a lock file the contract warns and says how to make one; with one it names the locked release", async () => {
  const env: EnvironmentConfig = { name: "dev", namespace: "https://acme.example" };
  const unlocked = (await contractFor(env, UNLOCKED)).contract;
  expect(unlocked.provider).toEqual({ source: "auth0/auth0", constraint: "~> 1.51", locked: null, lockFile: null });
  expect(unlocked.notes).toEqual(["WARNING: no provider lock file (.terraform.lock.hcl): run npm run lock"]);
  expect(contractMarkdown(unlocked)).toContain("| provider | `auth0/auth0` `~> 1.51`, NOT LOCKED |");
  const locked = (await contractFor(env, LOCKED)).contract;
  expect(locked.notes).toEqual([]);
  expect(contractMarkdown(locked)).toContain(
    "| provider | `auth0/auth0` `~> 1.51`, locked at 1.51.0 by `.terraform.lock.hcl` |",
  );
});

test("exclusive binding lists the whole flow in order; adoption is stated", async () => {
  const { contract } = await contractFor({
    name: "dev",
    namespace: "https://acme.example",
    binding: {
      mode: "exclusive",
      before: [{ id: "a1", displayName: "Rate limit" }],
      after: [{ id: "a2", displayName: "Audit" }],
    },
    adopt: { actionId: "7f3c9f0e-aaaa" },
  });
  expect(contract.binding).toEqual({
    mode: "exclusive",
    resource: "auth0_trigger_actions",
    flow: ["Rate limit", "app-metadata-claims", "Audit"],
  });
  expect(contract.adopts).toBe("7f3c9f0e-aaaa");
  expect(contractMarkdown(contract)).toContain(
    "| adopts | the existing action `7f3c9f0e-aaaa` and its binding (Terraform import blocks) |",
  );
});

test("markdown: a table a reviewer can paste into a pull request", async () => {
  const { stack, contract } = await contractFor({
    name: "dev",
    namespace: "https://acme.example/claims",
    tokens: ["id"],
  });
  const md = contractMarkdown(contract);
  expect(md.split("\n").slice(0, 9)).toEqual([
    "# Claims contract: dev",
    "",
    "| | |",
    "| --- | --- |",
    "| namespace | `https://acme.example/claims` (default of variable claim_namespace; a plan may override it) |",
    `| action | \`app-metadata-claims\`, node22, post-login v3, ${stack.claims.compiled.bytes} bytes, sha256 \`${stack.claims.compiled.sha256}\` (from \`actions/post-login-claims.ts\`) |`,
    "| binding | append: `auth0_trigger_action`; post-login flow: (actions bound by hand, unchanged) -> app-metadata-claims |",
    "| provider | `auth0/auth0` `~> 1.51`, locked at 1.51.0 by `.terraform.lock.hcl` |",
    "",
  ]);
  expect(md).toContain("| `https://acme.example/claims/roles` | `app_metadata.roles` | yes | yes | - |");
  expect(md).toContain('| auth0\\|alice | ok | `roles` ["admin"]<br>`permissions` ["read:all"] | - | - | - |');
  expect(md).toContain("| auth0\\|carol | ok | - | - | - | app-metadata-claims: skipped roles (null) |");
});

test("the same stack gives the same bytes; a change of tokens changes the contract", async () => {
  const env: EnvironmentConfig = { name: "dev", namespace: "https://acme.example", tokens: ["id"] };
  const a = await contractFor(env);
  const b = await contractFor(env);
  expect(contractJson(b.contract)).toBe(contractJson(a.contract));
  expect(contractMarkdown(b.contract)).toBe(contractMarkdown(a.contract));
  const c = await contractFor({ ...env, tokens: ["id", "access"] });
  expect(contractJson(c.contract)).not.toBe(contractJson(a.contract));
});

test("the summary names the action with the first 12 hex digits of its sha256, the prefix reviewers compare", () => {
  const stack = new ClaimsStack(Testing.app(), { name: "dev", namespace: "https://acme.example/claims" });
  const line = summarizeStack(stack, "stacks/dev/cdk.tf.json", LOCKED)
    .split("\n")
    .find((l) => l.startsWith("  action "));
  expect(line).toBe(
    `  action     app-metadata-claims, node22, ${stack.claims.compiled.bytes} bytes, sha256 ${stack.claims.compiled.sha256.slice(0, 12)}`,
  );
  expect(line).toMatch(/ sha256 [0-9a-f]{12}$/);
});
