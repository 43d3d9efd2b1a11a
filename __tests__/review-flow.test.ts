// The contract and the summary of a stack whose post-login flow holds several actions: every action in
// order, the binding mode as declared (unbound too), retired actions, and sample logins through the
// whole flow as deployed (a deny action before the claims action).
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type EnvironmentConfig, exampleEnvironments } from "../src/environments";
import { buildContract, contractMarkdown, type Contract, type ProviderPin } from "../src/review/contract";
import { summarizeStack } from "../src/review/summary";

const PIN: ProviderPin = {
  constraint: "~> 1.51",
  lock: { state: "locked", file: ".terraform.lock.hcl", version: "1.51.0", hashes: 5 },
};
const DENY = "actions/deny-blocked-users.ts";
const samples = [
  { user_id: "auth0|blocked", app_metadata: { blocked: true, roles: ["editor"] } },
  { user_id: "auth0|ok", app_metadata: { roles: ["viewer"] } },
];

interface Reviewed {
  stack: ClaimsStack;
  contract: Contract;
  markdown: string;
  summary: string;
}
const reviewed = new Map<string, Reviewed>();
const cases: Record<string, EnvironmentConfig> = {
  example: exampleEnvironments[0],
  handBound: {
    ...exampleEnvironments[0],
    name: "hand",
    binding: { mode: "exclusive", before: [{ entry: DENY }], after: [{ id: "act-audit", displayName: "Audit" }] },
  },
  unbound: { ...exampleEnvironments[0], name: "retiring", binding: { mode: "unbound", before: [{ entry: DENY }] } },
  retired: { ...exampleEnvironments[0], name: "retired", binding: { mode: "exclusive" }, retired: [{ entry: DENY }] },
};

beforeAll(async () => {
  for (const [name, env] of Object.entries(cases)) {
    const stack = new ClaimsStack(Testing.app(), env);
    const contract = await buildContract(stack, samples, "samples/test.ndjson", PIN);
    reviewed.set(name, {
      stack,
      contract,
      markdown: contractMarkdown(contract),
      summary: summarizeStack(stack, `stacks/${env.name}/cdk.tf.json`, PIN),
    });
  }
});

test("the flow example's contract runs the whole flow: the blocked sample user is denied by the first action", () => {
  const { contract } = reviewed.get("example")!;
  expect(contract.samples.ran).toEqual(["deny-blocked-users", "app-metadata-claims"]);
  expect(contract.samples.users.map((u) => [u.user_id, u.denied])).toEqual([
    ["auth0|blocked", "deny-blocked-users: api.access.deny: This account is blocked. Contact your administrator."],
    ["auth0|ok", null],
  ]);
  expect(contract.samples.users[1].idToken).toEqual({ "https://example.com/claims/roles": ["viewer"] });
});

test("the contract lists every action of the flow in order, each managed one with the code the stack deploys", () => {
  const { stack, contract, markdown } = reviewed.get("example")!;
  const deny = stack.flow.entries[0];
  if (deny.kind !== "managed") throw new Error("the example's first action is managed");
  expect(contract.flow).toEqual([
    {
      name: "deny-blocked-users",
      managed: true,
      claims: false,
      runtime: "node22",
      trigger: "post-login v3",
      source: DENY,
      sha256: deny.action.compiled.sha256,
      bytes: deny.action.compiled.bytes,
    },
    expect.objectContaining({
      name: "app-metadata-claims",
      managed: true,
      claims: true,
      sha256: stack.claims.compiled.sha256,
    }),
  ]);
  expect(contract.binding).toEqual({
    mode: "exclusive",
    resource: "auth0_trigger_actions",
    flow: ["deny-blocked-users", "app-metadata-claims"],
  });
  expect(markdown).toContain(
    `| 1 | \`deny-blocked-users\` | managed: node22, post-login v3, ${deny.action.compiled.bytes} bytes, sha256 \`${deny.action.compiled.sha256}\` (from \`${DENY}\`) |`,
  );
  expect(markdown).toContain(
    "| auth0\\|blocked | DENIED: deny-blocked-users: api.access.deny: This account is blocked. Contact your administrator. |",
  );
});

test("a hand-bound action is listed by name in its place and said not to run in the samples", () => {
  const { contract, markdown, summary } = reviewed.get("handBound")!;
  expect(contract.flow.map((a) => a.name)).toEqual(["deny-blocked-users", "app-metadata-claims", "Audit"]);
  expect(contract.flow[2]).toEqual({ name: "Audit", managed: false, id: "act-audit" });
  expect(contract.samples.notRun).toEqual(["Audit"]);
  expect(markdown).toContain("| 3 | Audit | bound by hand (id `act-audit`): not in this repository |");
  expect(summary).toContain(
    "binding    exclusive: auth0_trigger_actions owns post-login: deny-blocked-users -> [app-metadata-claims] -> Audit; any other bound action is removed",
  );
});

test("an unbound flow reads as unbound: no binding resource, no action runs at login, a note before applying", () => {
  const { contract, markdown, summary } = reviewed.get("unbound")!;
  expect(contract.binding).toEqual({
    mode: "unbound",
    resource: null,
    flow: ["deny-blocked-users", "app-metadata-claims"],
  });
  expect(contract.samples.ran).toEqual([]);
  expect(contract.samples.users.map((u) => [u.denied, u.idToken])).toEqual([
    [null, {}],
    [null, {}],
  ]);
  expect(contract.notes).toEqual([
    expect.stringMatching(/^the flow is unbound: after this apply no action of it runs at login/),
  ]);
  expect(markdown).toContain(
    "| binding | unbound: no binding resource; post-login flow: none of these actions runs at login |",
  );
  expect(summary).toContain(
    "binding    unbound: no binding, so none of deny-blocked-users, app-metadata-claims runs at login",
  );
});

test("retired actions are shown apart from the flow, in the contract and the summary", () => {
  const { stack, contract, summary } = reviewed.get("retired")!;
  expect(contract.flow.map((a) => a.name)).toEqual(["app-metadata-claims"]);
  expect(contract.retired).toEqual([
    expect.objectContaining({ name: "deny-blocked-users", managed: true, source: DENY }),
  ]);
  expect(contract.samples.users[0].denied).toBeNull();
  const retired = stack.retired!.entries[0];
  expect(summary).toMatch(
    new RegExp(
      `\\n  retired    deny-blocked-users, node22, \\d+ bytes, sha256 ${retired.kind === "managed" ? retired.action.compiled.sha256.slice(0, 12) : "?"}\\n`,
    ),
  );
});

test("the summary lists each managed action of the flow in order", () => {
  const { summary } = reviewed.get("example")!;
  expect(summary).toMatch(
    /\n  actions    deny-blocked-users, node22, \d+ bytes, sha256 [0-9a-f]{12}\n             app-metadata-claims, node22, \d+ bytes, sha256 [0-9a-f]{12}\n/,
  );
});
