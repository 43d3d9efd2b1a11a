// One model of a flow as deployed (src/flow/model.ts), built from each source: an environment of
// src/environments.ts, its stack's constructs, the cdk.tf.json they synthesize and the local tenant's
// Actions store once that flow is deployed there. Where two sources describe the same thing, the
// builders agree: the same actions in the same order, the same code, runtime, dependencies and
// secrets (with the variable that gives each), the same entries bound by hand, the same retired actions.
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type EnvironmentConfig, exampleEnvironments } from "../src/environments";
import { UsageError } from "../src/errors";
import { environmentModel } from "../src/environment/load-action";
import { stackModel } from "../src/environment/stack-file";
import type { ActionAsDeployed, FlowAsDeployed } from "../src/flow/model";
import { resolveSecrets, secretValues } from "../src/flow/secrets";
import { ActionsStore } from "../src/local-tenant/actions-store";
import { deployFlow, storeFlow } from "../src/local-tenant/deployed-flow";
import { stackFlow } from "../src/review/stack-flow";

const NS = "https://example.com/claims";
const DENY = { entry: "actions/deny-blocked-users.ts" };
const example = (name: string) => exampleEnvironments.find((e) => e.name === name)!;

const ENVIRONMENTS: Record<string, EnvironmentConfig> = {
  "flow-example (exclusive, two actions)": example("flow-example"),
  "secrets-example (append, an action with a secret)": example("secrets-example"),
  "exclusive, an action bound by hand between two managed ones": {
    ...example("flow-example"),
    binding: { mode: "exclusive", before: [DENY, { id: "act_audit", displayName: "Audit" }] },
  },
  "a retired action beside the flow": { ...example("secrets-example"), retired: [DENY] },
  "an action with npm dependencies, listed unsorted": {
    ...example("flow-example"),
    binding: {
      mode: "append",
      after: [
        {
          entry: "__tests__/fixtures/imports-jose.action.ts",
          actionName: "uses-jose",
          dependencies: [
            { name: "jose", version: "6.2.18" },
            { name: "@peculiar/x509", version: "2.2.0" },
          ],
        },
      ],
    },
  },
};

/** What every source can say of an action: all of it but where the code comes from. */
const action = ({ name, code, runtime, dependencies, secrets }: ActionAsDeployed) => ({
  name,
  code,
  runtime,
  dependencies,
  secrets,
});
const model = (flow: FlowAsDeployed) => ({
  trigger: flow.trigger,
  mode: flow.mode,
  entries: flow.entries.map((e) =>
    e.kind === "action" ? { displayName: e.displayName, action: action(e.action) } : e,
  ),
  retired: flow.retired.map(action),
});

describe.each(Object.entries(ENVIRONMENTS))("%s", (_what, environment) => {
  let stack: ClaimsStack;
  let fromEnvironment: FlowAsDeployed;
  beforeAll(() => {
    stack = new ClaimsStack(Testing.app(), environment);
    fromEnvironment = environmentModel(environment, NS);
  });

  test("the environment and its stack's constructs give the same model", () => {
    expect(model(stackFlow(stack, NS))).toEqual(model(fromEnvironment));
  });

  test("the environment and the cdk.tf.json its stack synthesizes give the same model", () => {
    const synthesized = JSON.parse(Testing.synth(stack));
    expect(model(stackModel("cdk.tf.json", synthesized, (code, message) => new UsageError(code, message)))).toEqual(
      model(fromEnvironment),
    );
  });

  test("deployed to the local tenant's Actions store, the flow reads back the same, each secret with its value", () => {
    const values = secretValues(undefined, { TF_VAR_support_user_hash_secret_user_hash_key: "a-key-for-the-store" });
    const resolved = resolveSecrets(fromEnvironment, values);
    const store = new ActionsStore();
    deployFlow(store, resolved);
    const fromStore = storeFlow(store.boundFlow("post-login"));
    // The store knows values, not the variables that gave them; it holds what runs, so no retired action and no entry bound by hand.
    const run = (flow: FlowAsDeployed) =>
      flow.entries.flatMap((e) =>
        e.kind === "action"
          ? [{ ...action(e.action), secrets: e.action.secrets.map(({ name, value }) => ({ name, value })) }]
          : [],
      );
    expect(run(fromStore)).toEqual(run(resolved));
    expect(fromStore.trigger).toBe("post-login");
  });
});

test("the environment's model names each secret's variable as the stack declares it, and what the namespace runs with", () => {
  const flow = environmentModel(example("secrets-example"), NS);
  expect(flow.entries.map((e) => (e.kind === "action" ? [e.action.name, e.action.secrets] : e))).toEqual([
    ["app-metadata-claims", [{ name: "CLAIM_NAMESPACE", value: NS, variable: "claim_namespace" }]],
    ["support-user-hash", [{ name: "USER_HASH_KEY", variable: "support_user_hash_secret_user_hash_key" }]],
  ]);
  const synthesized = JSON.parse(Testing.synth(new ClaimsStack(Testing.app(), example("secrets-example"))));
  expect(Object.keys(synthesized.variable)).toEqual(
    expect.arrayContaining(["claim_namespace", "support_user_hash_secret_user_hash_key"]),
  );
});
