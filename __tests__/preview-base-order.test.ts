// A base stack's post-login flow, bound in append mode (one auth0_trigger_action per action, chained
// by depends_on): ordered in linear time whatever the chain, a cycle named, a flow over Auth0's
// 20 bound actions refused; each refusal one line, exit 2, nothing on stdout.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../src/errors";
import { actionReference, appendBindings, appendOrder } from "../src/environment/stack-file";
import { actionsOf } from "../src/flow/model";
import { noSecretValues } from "../src/flow/secrets";
import { readBaseAction } from "../src/preview/base-action";
import { preview } from "./helpers/preview-in-process";

const dir = mkdtempSync(join(tmpdir(), "claims-base-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NS = "https://example.com/claims";

type Resources = Record<string, Record<string, Record<string, unknown>>>;
/** Post-login actions `names`, each bound by its own binding `bind_<name>` on `dependsOn[name]`, in `listed` order. */
function appendResources(listed: string[], dependsOn: Record<string, string[]>): Resources {
  const ref = (name: string) => "${auth0_action." + name + ".id}";
  return {
    auth0_action: Object.fromEntries(
      listed.map((name) => [
        name,
        {
          name,
          code: `exports.onExecutePostLogin = async () => {}; // ${name}`,
          supported_triggers: [{ id: "post-login", version: "v3" }],
        },
      ]),
    ),
    auth0_trigger_action: Object.fromEntries(
      listed.map((name) => [
        `bind_${name}`,
        {
          trigger: "post-login",
          action_id: ref(name),
          depends_on: (dependsOn[name] ?? []).map((d) => `auth0_trigger_action.bind_${d}`),
        },
      ]),
    ),
  };
}
/** `n` actions a0..a(n-1), each bound after every earlier one, listed last first. */
function chain(n: number): Resources {
  const names = Array.from({ length: n }, (_, i) => `a${i}`);
  return appendResources([...names].reverse(), Object.fromEntries(names.map((name, i) => [name, names.slice(0, i)])));
}
const stackFile = (name: string, resource: Resources) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ resource }));
  return path;
};
/** The actions the append bindings bind, in the order they run (the ordering alone: no limit on their number). */
const boundOrder = (file: string, resources: Resources) =>
  appendOrder(file, appendBindings(resources), (code, message) => new UsageError(code, message)).map(([, b]) =>
    actionReference(b.action_id),
  );
const refusal = (path: string) => {
  try {
    readBaseAction(path, undefined, NS, noSecretValues());
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toMatch(/\n/);
    return (err as Error).message;
  }
  throw new Error(`${path} was not refused`);
};

test("append bindings run in depends_on order, equals in the stack's order: 50 chained (each on every earlier one), and a diamond", () => {
  expect(boundOrder("chain.tf.json", chain(50))).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
  // a before b and c, both before d; e, like a, depends on nothing and is listed before it.
  const diamond = appendResources(["d", "b", "e", "c", "a"], { b: ["a"], c: ["a"], d: ["b", "c"] });
  expect(boundOrder("diamond.tf.json", diamond)).toEqual(["e", "a", "b", "c", "d"]);
});

test("a flow of more than Auth0's 20 bound actions is refused, bound in append mode or exclusively; 20 run, in order", () => {
  const twenty = readBaseAction(stackFile("twenty.tf.json", chain(20)), undefined, NS, noSecretValues());
  expect(actionsOf(twenty.flow).map((step) => step.name)).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
  expect(refusal(stackFile("append21.tf.json", chain(21)))).toMatch(
    /^--compare: ".*append21\.tf\.json" binds 21 actions to post-login; Auth0 runs at most 20 in a flow: give the cdk\.tf\.json of a stack Auth0 can deploy$/,
  );
  const names = Array.from({ length: 21 }, (_, i) => `a${i}`);
  const exclusive = {
    auth0_action: appendResources(names, {}).auth0_action,
    auth0_trigger_actions: {
      post_login: {
        trigger: "post-login",
        actions: names.map((name) => ({ id: "${auth0_action." + name + ".id}", display_name: name })),
      },
    },
  };
  expect(refusal(stackFile("exclusive21.tf.json", exclusive))).toMatch(
    /exclusive21\.tf\.json" binds 21 actions to post-login; Auth0 runs at most 20/,
  );
});

test("bindings that depend on each other in a cycle are refused, the cycle named", () => {
  const cycle = appendResources(["a", "b", "c", "d"], { a: ["c"], b: ["a"], c: ["b"], d: ["a"] });
  expect(refusal(stackFile("cycle.tf.json", cycle))).toMatch(
    /^--compare: ".*cycle\.tf\.json": the post-login bindings depend on each other in a cycle \(auth0_trigger_action\.bind_a -> auth0_trigger_action\.bind_c -> auth0_trigger_action\.bind_b -> auth0_trigger_action\.bind_a, each depending on the next\); Terraform refuses it: give a stack from npm run synth$/,
  );
  expect(refusal(stackFile("self.tf.json", appendResources(["a", "b"], { b: ["b"] })))).toMatch(
    /cycle \(auth0_trigger_action\.bind_b -> auth0_trigger_action\.bind_b, /,
  );
});

test("preview --compare with a base of 50 chained bindings: exit 2, one line, nothing on stdout", async () => {
  const users = join(dir, "users.ndjson");
  writeFileSync(users, '{"user_id":"auth0|a","app_metadata":{"roles":["admin"]}}\n');
  const run = await preview("--users", users, "--compare", stackFile("chain50.tf.json", chain(50)));
  expect(run.status).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(
    /^preview: --compare: ".*chain50\.tf\.json" binds 50 actions to post-login; Auth0 runs at most 20 in a flow: give the cdk\.tf\.json of a stack Auth0 can deploy\n$/,
  );
});
