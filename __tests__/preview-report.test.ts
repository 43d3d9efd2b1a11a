// The preview's report of a whole flow: the header names every action in order, and the summary's
// count of skipped values leaves out the log line of a login another action denied.
import { startEnvironmentAction, type EnvironmentAction } from "../src/environment/load-action";
import { actionsOf, flowText } from "../src/flow/model";
import { PreviewSummary } from "../src/preview/report";

let flow: EnvironmentAction;
let single: EnvironmentAction;
const summary = new PreviewSummary();

beforeAll(async () => {
  flow = await startEnvironmentAction({ env: "flow-example" });
  single = await startEnvironmentAction({ env: "dev" });
  for (const user of [
    { user_id: "auth0|blocked", app_metadata: { blocked: true, roles: ["editor"] } },
    { user_id: "auth0|skipped", app_metadata: { roles: null, permissions: "read" } },
    { user_id: "auth0|plain", app_metadata: { roles: ["viewer"] } },
  ]) {
    summary.add(await flow.runtime.login(user));
  }
});
afterAll(async () => {
  await flow.runtime.close();
  await single.runtime.close();
});

test("the header names every action of the flow in the order they run, with the code each runs", () => {
  const [deny, claims] = actionsOf(flow.flow);
  expect(flowText(flow.flow)).toBe(`flow deny-blocked-users ${deny.source} -> app-metadata-claims ${claims.source}`);
  expect(deny.source).toMatch(/^actions\/deny-blocked-users\.ts \(sha256 [0-9a-f]{12}\)$/);
});

test("with one action the header names that action alone", () => {
  expect(flowText(single.flow)).toBe(`action ${actionsOf(single.flow)[0].source}`);
});

test("a denied login's log line is not counted as a skipped value; the claims action's skip is", () => {
  expect(summary.denied).toBe(1);
  expect(summary.usersWithLogs).toBe(1);
  expect(summary.toString()).toMatch(/^users with skipped values  1 \(logins that succeed with an action's log line/m);
  expect(summary.toString()).toMatch(/^largest payload .*; limit 102400\)$/m);
});
