// Many logins of one flow sent at once to its sandbox: they run one after another, in the order
// sent, each login's claims in its own tokens, also when actions really wait, throw, reject or time
// out in the middle, and with the same outcomes as one login at a time.
import type { ExportedUser, LoginOutcome } from "../src/runtime/types";
import { type ActionSpec, loadInSandbox } from "./helpers/sandbox";

const NS = "https://example.com/claims";
const step = (name: string, body: string): ActionSpec => ({
  name,
  code: `exports.onExecutePostLogin = async (event, api) => { ${body} };`,
});
const users = (n: number): ExportedUser[] =>
  Array.from({ length: n }, (_, i) => ({ user_id: `u${i}`, app_metadata: { i } }));

/** Every user's login sent at once; the outcomes in the order they were sent. */
async function batch(
  actions: ActionSpec[],
  list: readonly ExportedUser[],
  timeoutMs?: number,
): Promise<LoginOutcome[]> {
  const flow = await loadInSandbox(actions, timeoutMs);
  try {
    return await Promise.all(list.map((user) => flow.login(user)));
  } finally {
    await flow.close();
  }
}

test("an action that awaits a timer on some users: every claim lands in its own user's token, in input order", async () => {
  // Odd users wait a few milliseconds before setting their claim; a later login must not start meanwhile.
  const waits = step(
    "waits",
    `const i = event.user.app_metadata.i; if (i % 2) await new Promise((r) => setTimeout(r, 3)); api.idToken.setCustomClaim("${NS}/i", i);`,
  );
  const after = step("after", `api.idToken.setCustomClaim("${NS}/who", event.user.user_id);`);
  const out = await batch([waits, after], users(12));
  expect(out.map((o) => o.idToken)).toEqual(users(12).map((u, i) => ({ [`${NS}/i`]: i, [`${NS}/who`]: u.user_id })));
});

test("a throw, a rejection and a deny in the middle of a batch fail those logins only", async () => {
  const picky = step(
    "picky",
    `const i = event.user.app_metadata.i;
    if (i === 1) throw new Error("sync");
    if (i === 2) { await null; throw new Error("late"); }
    if (i === 3) api.access.deny("no");
    api.idToken.setCustomClaim("${NS}/i", i);`,
  );
  const out = await batch([picky], users(5));
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
  const hangs = step(
    "hangs",
    `if (event.user.app_metadata.i === 0) await new Promise(() => {}); api.idToken.setCustomClaim("${NS}/i", event.user.app_metadata.i);`,
  );
  const out = await batch([hangs], users(2), 50);
  expect(out[0].denied).toBe("the flow did not finish within 50 ms; Auth0 fails the login");
  expect(out[1].denied).toBeNull();
  expect(out[1].idToken).toEqual({ [`${NS}/i`]: 1 });
});

test("logins sent together give the same outcomes as one login at a time", async () => {
  const action = step(
    "a",
    `if (event.user.app_metadata.i % 3 === 0) api.access.deny("three"); api.accessToken.setCustomClaim("${NS}/a", [event.user.app_metadata.i]);`,
  );
  const list = users(9);
  const flow = await loadInSandbox([action]);
  const one: LoginOutcome[] = [];
  for (const user of list) one.push(await flow.login(user));
  await flow.close();
  const json = (o: LoginOutcome) => [o.user_id, o.denied, o.json.id, o.json.access, o.logs];
  expect((await batch([action], list)).map(json)).toEqual(one.map(json));
});
