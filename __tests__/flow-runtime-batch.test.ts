// FlowRuntime.loginEach over a batch of users (the preview's workers use loginNow, the same loop one user at a time, tested through the preview): outcomes in
// order and each login's claims in its own tokens, also when actions really wait, throw, reject or
// time out in the middle of a batch, and the same outcomes as one login() per user.
import { FlowRuntime } from "../src/runtime/flow-runtime";
import { PostLoginRuntime } from "../src/runtime/post-login-runtime";
import type { ExportedUser, LoginOutcome } from "../src/runtime/types";

const NS = "https://example.com/claims";
const step = (name: string, body: string) => ({ name, runtime: PostLoginRuntime.load({ code: `exports.onExecutePostLogin = async (event, api) => { ${body} };` }) });
const users = (n: number): ExportedUser[] => Array.from({ length: n }, (_, i) => ({ user_id: `u${i}`, app_metadata: { i } }));

async function batch(flow: FlowRuntime, list: readonly ExportedUser[]): Promise<LoginOutcome[]> {
  const out: LoginOutcome[] = [];
  await flow.loginEach(list, (outcome) => void out.push(outcome));
  return out;
}

test("an action that awaits a timer on some users: every claim lands in its own user's token, in input order", async () => {
  // Odd users wait a few milliseconds before setting their claim; a later login must not start meanwhile.
  const waits = step("waits", `const i = event.user.app_metadata.i; if (i % 2) await new Promise((r) => setTimeout(r, 3)); api.idToken.setCustomClaim("${NS}/i", i);`);
  const after = step("after", `api.idToken.setCustomClaim("${NS}/who", event.user.user_id);`);
  const out = await batch(new FlowRuntime([waits, after]), users(12));
  expect(out.map((o) => o.idToken)).toEqual(users(12).map((u, i) => ({ [`${NS}/i`]: i, [`${NS}/who`]: u.user_id })));
});

test("a throw, a rejection and a deny in the middle of a batch fail those logins only", async () => {
  const picky = step("picky", `const i = event.user.app_metadata.i;
    if (i === 1) throw new Error("sync");
    if (i === 2) { await null; throw new Error("late"); }
    if (i === 3) api.access.deny("no");
    api.idToken.setCustomClaim("${NS}/i", i);`);
  const out = await batch(new FlowRuntime([picky]), users(5));
  expect(out.map((o) => o.denied)).toEqual([
    null,
    "the action threw Error: sync; Auth0 fails the login",
    "the action threw Error: late; Auth0 fails the login",
    "api.access.deny: no",
    null,
  ]);
  expect(out[4].idToken).toEqual({ [`${NS}/i`]: 4 });
});

test("an action that never settles times out that login, and the batch goes on", async () => {
  const hangs = step("hangs", `if (event.user.app_metadata.i === 0) await new Promise(() => {}); api.idToken.setCustomClaim("${NS}/i", event.user.app_metadata.i);`);
  const out = await batch(new FlowRuntime([hangs], 50), users(2));
  expect(out[0].denied).toBe("the flow did not finish within 50 ms; Auth0 fails the login");
  expect(out[1].denied).toBeNull();
  expect(out[1].idToken).toEqual({ [`${NS}/i`]: 1 });
});

test("a batch gives the same outcomes as one login() per user", async () => {
  const make = () => new FlowRuntime([step("a", `if (event.user.app_metadata.i % 3 === 0) api.access.deny("three"); api.accessToken.setCustomClaim("${NS}/a", [event.user.app_metadata.i]);`)]);
  const list = users(9);
  const one: LoginOutcome[] = [];
  const single = make();
  for (const user of list) one.push(await single.login(user));
  const json = (o: LoginOutcome) => [o.user_id, o.denied, o.json.id, o.json.access, o.logs];
  expect((await batch(make(), list)).map(json)).toEqual(one.map(json));
});

test("a login() called while a batch runs waits for the batch: logins never overlap", async () => {
  const flow = new FlowRuntime([step("slow", `await new Promise((r) => setTimeout(r, 2)); api.idToken.setCustomClaim("${NS}/who", event.user.user_id);`)]);
  const order: string[] = [];
  const running = flow.loginEach(users(3), (o) => void order.push(o.user_id));
  const single = flow.login({ user_id: "late" }).then((o) => {
    order.push(o.user_id);
    return o;
  });
  await running;
  expect((await single).idToken).toEqual({ [`${NS}/who`]: "late" });
  expect(order).toEqual(["u0", "u1", "u2", "late"]);
});
