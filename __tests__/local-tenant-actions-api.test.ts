// The Actions API of a real local tenant over https beyond the provider's happy paths: bad input
// of every kind answered with Auth0's status and error shape, and nothing half-written (the whole
// tenant's Actions state is compared before and after); scopes; a bound action's delete (409, then
// force); versions and roll back; the triggers list and the list filters; Auth0's limits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionsClient, type Answer } from "./helpers/actions-client";
import { startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";
import { fetchTrusting } from "./helpers/tenant-browser";
import { claimsOf } from "./helpers/tenant-driver-client";

const ACTIONS = "/api/v2/actions/actions";
const BIND = "/api/v2/actions/triggers/post-login/bindings";
const POST_LOGIN = [{ id: "post-login", version: "v3" }];
const CODE = "exports.onExecutePostLogin = async (event, api) => {};";
const ERROR_NAMES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
};

const dir = mkdtempSync(join(tmpdir(), "actions-api-"));
let tenant: TenantProcess;
let admin: ActionsClient;
let log = "";
/** An action deployed twice (so it has versions) and bound to post-login. */
let bound: string;
/** An action never deployed. */
let draft: string;

beforeAll(async () => {
  tenant = await startTenantProcess("--https", "--cert-dir", dir);
  tenant.child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  tenant.child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  admin = await ActionsClient.connect(tenant, join(dir, "ca.pem"));
  bound = await deployed("Bound", [{ name: "BOUND_SECRET", value: "bound-secret-value-1" }]);
  expect((await admin.request("POST", `${ACTIONS}/${bound}/deploy`)).status).toBe(200);
  draft = (await admin.request("POST", ACTIONS, { name: "Draft", supported_triggers: POST_LOGIN, code: CODE })).body.id;
  expect(
    (
      await admin.request("PATCH", BIND, {
        bindings: [{ display_name: "Bound", ref: { type: "action_id", value: bound } }],
      })
    ).status,
  ).toBe(200);
});
afterAll(() => {
  tenant?.child.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A new action, deployed once. */
async function deployed(
  name: string,
  secrets: { name: string; value: string }[] = [],
  trigger = POST_LOGIN,
): Promise<string> {
  const created = await admin.request("POST", ACTIONS, { name, supported_triggers: trigger, code: CODE, secrets });
  expect(created.status).toBe(201);
  expect((await admin.request("POST", `${ACTIONS}/${created.body.id}/deploy`)).status).toBe(200);
  return created.body.id;
}

/** Everything the Actions API shows: every action, its versions and draft, and post-login's bindings. */
async function state(): Promise<unknown> {
  const { items } = await admin.listAll(ACTIONS, "actions", 100);
  const details = [];
  for (const action of items) {
    details.push({
      action,
      versions: (await admin.request("GET", `${ACTIONS}/${action.id}/versions?per_page=100`)).body,
      draft: (await admin.request("GET", `${ACTIONS}/${action.id}/versions/draft`)).body,
    });
  }
  return { details, bindings: (await admin.listAll(BIND, "bindings", 100)).items };
}

function expectError(answer: Answer, status: number, message: string | RegExp, errorCode?: string): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toBe("application/json; charset=utf-8");
  expect(Object.keys(answer.body)).toEqual(["statusCode", "error", "message", ...(errorCode ? ["errorCode"] : [])]);
  expect(answer.body).toEqual({
    statusCode: status,
    error: ERROR_NAMES[status],
    message: typeof message === "string" ? message : expect.stringMatching(message),
    ...(errorCode ? { errorCode } : {}),
  });
}

/** Runs `refusals` and checks that the Actions state is the same after them. */
async function unchanged(refusals: () => Promise<void>): Promise<void> {
  const before = await state();
  await refusals();
  expect(await state()).toEqual(before);
}

describe("bad input: Auth0's status and error shape, and nothing written", () => {
  test("malformed JSON, on a create, a change and a bindings list", async () => {
    await unchanged(async () => {
      const broken = { raw: '{"name": "Broken", "supported_triggers": [' };
      for (const [method, path] of [
        ["POST", ACTIONS],
        ["PATCH", `${ACTIONS}/${bound}`],
        ["PATCH", BIND],
      ]) {
        expectError(
          await admin.request(method, path, broken),
          400,
          "Invalid request payload JSON format",
          "invalid_body",
        );
      }
    });
  });

  test("a body that is not JSON: 415", async () => {
    await unchanged(async () => {
      expectError(
        await admin.request("POST", ACTIONS, { raw: "name=x", contentType: "application/x-www-form-urlencoded" }),
        415,
        "Send the body as application/json",
        "invalid_body",
      );
    });
  });

  test("unknown fields, at the top and inside, are refused and named", async () => {
    await unchanged(async () => {
      expectError(
        await admin.request("POST", ACTIONS, {
          name: "Unknown",
          supported_triggers: POST_LOGIN,
          code: CODE,
          deploy: true,
        }),
        400,
        `Payload validation error: 'Additional properties not allowed: "deploy"'. It takes name, supported_triggers, code, runtime, dependencies, secrets, modules`,
        "invalid_body",
      );
      expectError(
        await admin.request("PATCH", `${ACTIONS}/${bound}`, {
          supported_triggers: [{ id: "post-login", version: "v3", status: "CURRENT" }],
        }),
        400,
        `Payload validation error: 'Additional properties not allowed: "status"' on property supported_triggers[0]. It takes id, version`,
        "invalid_body",
      );
      // Auth0's own answer, recorded, for a binding with the wrong keys.
      expectError(
        await admin.request("PATCH", BIND, { bindings: [{ display_name: "x", action_id: bound }] }),
        400,
        "Payload validation error: 'Data does not match any schemas from 'oneOf'' on property bindings[0].",
        "invalid_body",
      );
      expectError(
        await admin.request("PATCH", BIND, { bindings: [{ ref: { type: "action_secret", value: bound } }] }),
        400,
        "Payload validation error: 'Data does not match any schemas from 'oneOf'' on property bindings[0].",
        "invalid_body",
      );
    });
  });

  test("wrong types and missing fields are refused and named", async () => {
    const version = (await admin.request("GET", `${ACTIONS}/${bound}`)).body.deployed_version.id;
    await unchanged(async () => {
      const cases: [string, string, unknown, string][] = [
        [
          "POST",
          ACTIONS,
          { name: 5, supported_triggers: POST_LOGIN },
          "Payload validation error: 'Expected type string but found type integer' on property name.",
        ],
        [
          "POST",
          ACTIONS,
          { name: "No trigger" },
          "Payload validation error: 'Missing required property: supported_triggers'.",
        ],
        [
          "PATCH",
          `${ACTIONS}/${bound}`,
          { secrets: "x" },
          "Payload validation error: 'Expected type array but found type string' on property secrets.",
        ],
        [
          "PATCH",
          `${ACTIONS}/${bound}`,
          { dependencies: [{ name: "lodash" }] },
          "Payload validation error: 'Missing required property: version' on property dependencies[0].",
        ],
        [
          "PATCH",
          `${ACTIONS}/${bound}`,
          { secrets: [{ name: "S", value: 1 }] },
          "Payload validation error: 'Expected type string but found type integer' on property secrets[0].value.",
        ],
        [
          "PATCH",
          BIND,
          { bindings: {} },
          "Payload validation error: 'Expected type array but found type object' on property bindings.",
        ],
        [
          "POST",
          `${ACTIONS}/${bound}/versions/${version}/deploy`,
          { update_draft: "yes" },
          "Payload validation error: 'Expected type boolean but found type string' on property update_draft.",
        ],
        ["PATCH", `${ACTIONS}/${bound}`, [], "Payload validation error: 'Expected type object but found type array'."],
      ];
      for (const [method, path, body, message] of cases) {
        const answer = await admin.request(method, path, body);
        expect([method, path, answer.status, answer.body]).toEqual([
          method,
          path,
          400,
          { statusCode: 400, error: "Bad Request", message, errorCode: "invalid_body" },
        ]);
      }
    });
  });

  test("a change that fails leaves the action as it was: new code and name with 31 secrets, new code with an unknown runtime", async () => {
    const before = await admin.request("GET", `${ACTIONS}/${bound}`);
    await unchanged(async () => {
      const secrets = Array.from({ length: 31 }, (_, i) => ({ name: `S${i}`, value: `refused-secret-value-${i}` }));
      expectError(
        await admin.request("PATCH", `${ACTIONS}/${bound}`, {
          name: "Renamed",
          code: "exports.changed = true;",
          secrets,
        }),
        400,
        "Too many secrets: an action has at most 30 (Auth0's limit) and this request sends 31",
      );
      expectError(
        await admin.request("PATCH", `${ACTIONS}/${bound}`, { code: "exports.changed = true;", runtime: "node16" }),
        400,
        'runtime is not supported: "node16"; use node18-actions or node22',
      );
    });
    expect(await admin.request("GET", `${ACTIONS}/${bound}`)).toEqual(before);
  });

  test("a body nested deeper than 32 levels is refused before it is read further", async () => {
    await unchanged(async () => {
      const deep = `{"name":"Deep","supported_triggers":${"[".repeat(5000)}${"]".repeat(5000)}}`;
      expectError(
        await admin.request("POST", ACTIONS, { raw: deep }),
        400,
        /^Payload validation error: the body is nested more than 32 levels deep/,
        "invalid_body",
      );
    });
  });

  test("a body over 1 MB is 413, nothing created", async () => {
    await unchanged(async () => {
      const code = "x".repeat(1024 * 1024);
      expectError(
        await admin.request("POST", ACTIONS, { name: "Huge", supported_triggers: POST_LOGIN, code }),
        413,
        "Payload content length greater than maximum allowed: 1048576",
      );
    });
  });

  test("ids that don't exist: 404 with Auth0's message on every route", async () => {
    const missing = "4f0c1b9e-2a47-4c3d-9e15-6b8a0d2f7c31";
    await unchanged(async () => {
      for (const [method, path, body] of [
        ["GET", `${ACTIONS}/${missing}`],
        ["PATCH", `${ACTIONS}/${missing}`, { code: CODE }],
        ["DELETE", `${ACTIONS}/${missing}`],
        ["POST", `${ACTIONS}/${missing}/deploy`],
        ["GET", `${ACTIONS}/${missing}/versions`],
        ["GET", `${ACTIONS}/${missing}/versions/draft`],
      ] as [string, string, unknown?][]) {
        expectError(await admin.request(method, path, body), 404, "That action does not exist.");
      }
      expectError(
        await admin.request("GET", `${ACTIONS}/${bound}/versions/${missing}`),
        404,
        "That action version does not exist.",
      );
      expectError(
        await admin.request("POST", `${ACTIONS}/${bound}/versions/${missing}/deploy`),
        404,
        "That action version does not exist.",
      );
      // No route at all: Auth0's bare 404 (recorded for DELETE .../actions/ with an empty id).
      expectError(await admin.request("DELETE", `${ACTIONS}/`), 404, "Not Found");
    });
  });

  test("bindings: an action that does not exist, one never deployed, one of another trigger, a trigger the tenant does not serve", async () => {
    const exchange = await deployed("Exchange", [], [{ id: "credentials-exchange", version: "v2" }]);
    await unchanged(async () => {
      expectError(
        await admin.request("PATCH", BIND, {
          bindings: [
            { display_name: "Gone", ref: { type: "action_id", value: "4f0c1b9e-2a47-4c3d-9e15-6b8a0d2f7c31" } },
          ],
        }),
        400,
        'Trying to create a binding for an action that does not exist: bindings[0].ref: no action has the id "4f0c1b9e-2a47-4c3d-9e15-6b8a0d2f7c31"',
      );
      expectError(
        await admin.request("PATCH", BIND, {
          bindings: [{ display_name: "Draft", ref: { type: "action_name", value: "Draft" } }],
        }),
        400,
        "Trying to create a binding for an action that has not been deployed yet.",
      );
      expectError(
        await admin.request("PATCH", BIND, {
          bindings: [{ display_name: "Exchange", ref: { type: "action_id", value: exchange } }],
        }),
        400,
        "Trying to create a binding between an incompatible action and trigger.",
      );
      expectError(
        await admin.request("GET", "/api/v2/actions/triggers/post-nothing/bindings"),
        400,
        /^Trigger "post-nothing" is not one the local tenant serves; it serves post-login, /,
      );
    });
    expect((await admin.request("DELETE", `${ACTIONS}/${exchange}`)).status).toBe(204);
  });

  test("more than 20 bindings on a trigger: 400 naming the limit, the list as it was", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) ids.push(await deployed(`Flow ${i}`));
    await unchanged(async () => {
      const answer = await admin.request("PATCH", BIND, {
        bindings: ids.map((value, i) => ({ display_name: `Flow ${i}`, ref: { type: "action_id", value } })),
      });
      expectError(
        answer,
        400,
        `Binding limit reached: a trigger runs at most 20 actions (Auth0's limit) and this request binds 21 to "post-login"; remove 1`,
      );
    });
    const twenty = await admin.request("PATCH", BIND, {
      bindings: ids.slice(0, 20).map((value, i) => ({ display_name: `Flow ${i}`, ref: { type: "action_id", value } })),
    });
    expect(twenty.body.bindings).toHaveLength(20);
    expect(
      (
        await admin.request("PATCH", BIND, {
          bindings: [{ display_name: "Bound", ref: { type: "action_id", value: bound } }],
        })
      ).status,
    ).toBe(200);
    for (const id of ids) expect((await admin.request("DELETE", `${ACTIONS}/${id}`)).status).toBe(204);
  });

  test("query strings: a page size out of range, a page that is not a number, a flag that is not true or false, an unknown parameter", async () => {
    for (const path of [
      `${ACTIONS}?per_page=0`,
      `${ACTIONS}?per_page=101`,
      `${BIND}?page=-1`,
      `${BIND}?per_page=abc`,
      `${ACTIONS}?deployed=maybe`,
      `${ACTIONS}?include_totals=true`,
      `${ACTIONS}/${bound}?fields=id`,
    ]) {
      const answer = await admin.request("GET", path);
      expect([path, answer.status, answer.body.errorCode, answer.body.message]).toEqual([
        path,
        400,
        "invalid_query_string",
        expect.stringMatching(/^Query validation error: /),
      ]);
    }
  });
});

describe("scopes: read:actions reads, create/update/delete:actions write", () => {
  test("the management client's token carries the four Actions scopes", async () => {
    const token = await tokenFor();
    expect(String(claimsOf(token).scope).split(" ")).toEqual(
      expect.arrayContaining(["read:actions", "create:actions", "update:actions", "delete:actions"]),
    );
  });

  test("a token with read:actions only reads; every write is 403 insufficient_scope naming the scope, and nothing changes", async () => {
    const reader = admin.withToken(await tokenFor("read:actions"));
    expect((await reader.request("GET", `${ACTIONS}/${bound}`)).status).toBe(200);
    expect((await reader.request("GET", "/api/v2/actions/triggers")).status).toBe(200);
    await unchanged(async () => {
      const version = (await admin.request("GET", `${ACTIONS}/${bound}`)).body.deployed_version.id;
      for (const [method, path, body, scope] of [
        ["POST", ACTIONS, { name: "Reader's", supported_triggers: POST_LOGIN, code: CODE }, "create:actions"],
        ["PATCH", `${ACTIONS}/${bound}`, { code: "exports.x = 1;" }, "update:actions"],
        ["POST", `${ACTIONS}/${draft}/deploy`, undefined, "update:actions"],
        ["POST", `${ACTIONS}/${bound}/versions/${version}/deploy`, undefined, "update:actions"],
        ["PATCH", BIND, { bindings: [] }, "update:actions"],
        ["DELETE", `${ACTIONS}/${draft}`, undefined, "delete:actions"],
      ] as [string, string, unknown, string][]) {
        expectError(
          await reader.request(method, path, body),
          403,
          `Insufficient scope, expected any of: ${scope}`,
          "insufficient_scope",
        );
      }
      const writer = admin.withToken(await tokenFor("create:actions update:actions"));
      expectError(
        await writer.request("GET", ACTIONS),
        403,
        "Insufficient scope, expected any of: read:actions",
        "insufficient_scope",
      );
      expectError(await admin.withToken("").request("GET", ACTIONS), 401, "Missing authentication");
    });
  });
});

describe("delete of a bound action", () => {
  test("409 Conflict with Auth0's message, the action still there and bound; with ?force=true it is unbound and deleted", async () => {
    const victim = await deployed("Victim");
    const bindings = (await admin.request("GET", BIND)).body.bindings.map((b: any) => ({
      display_name: b.display_name,
      ref: { type: "action_id", value: b.action.id },
    }));
    expect(
      (
        await admin.request("PATCH", BIND, {
          bindings: [...bindings, { display_name: "Victim", ref: { type: "action_id", value: victim } }],
        })
      ).status,
    ).toBe(200);
    await unchanged(async () => {
      expectError(
        await admin.request("DELETE", `${ACTIONS}/${victim}`),
        409,
        "Unable to delete an action bound to a trigger.",
      );
    });
    const forced = await admin.request("DELETE", `${ACTIONS}/${victim}?force=true`);
    expect([forced.status, forced.text]).toEqual([204, ""]);
    expectError(await admin.request("GET", `${ACTIONS}/${victim}`), 404, "That action does not exist.");
    expect((await admin.request("GET", BIND)).body.bindings.map((b: any) => b.action.id)).toEqual([bound]);
  });
});

describe("versions and roll back", () => {
  test("versions newest first, one deployed; a roll back deploys a copy as a new number and answers as a deploy does", async () => {
    const id = await deployed("Versioned", [{ name: "V", value: "versioned-secret-1" }]);
    expect(
      (
        await admin.request("PATCH", `${ACTIONS}/${id}`, {
          code: "exports.onExecutePostLogin = async () => { /* 2 */ };",
        })
      ).status,
    ).toBe(200);
    expect((await admin.request("POST", `${ACTIONS}/${id}/deploy`)).status).toBe(200);
    const versions = await admin.request("GET", `${ACTIONS}/${id}/versions`);
    expect(versions.status).toBe(200);
    expect(Object.keys(versions.body)).toEqual(["versions", "total", "per_page"]);
    expect(versions.body.versions.map((v: any) => [v.number, v.deployed, v.action_id])).toEqual([
      [2, true, id],
      [1, false, id],
    ]);
    const first = versions.body.versions[1];
    expect(first).toMatchObject({
      code: CODE,
      status: "built",
      secrets: [{ name: "V", updated_at: expect.any(String) }],
      action: { id, name: "Versioned" },
    });
    expect(await admin.request("GET", `${ACTIONS}/${id}/versions/${first.id}`)).toMatchObject({
      status: 200,
      body: first,
    });

    const rollback = await admin.request("POST", `${ACTIONS}/${id}/versions/${first.id}/deploy`);
    expect(rollback.status).toBe(200);
    expect(Object.keys(rollback.body)).toEqual([
      "code",
      "dependencies",
      "id",
      "deployed",
      "number",
      "secrets",
      "status",
      "created_at",
      "updated_at",
      "runtime",
      "supported_triggers",
      "action",
    ]);
    expect(rollback.body).toMatchObject({ number: 3, deployed: false, code: CODE });
    const after = await admin.request("GET", `${ACTIONS}/${id}`);
    expect(after.body).toMatchObject({
      code: "exports.onExecutePostLogin = async () => { /* 2 */ };",
      deployed_version: { id: rollback.body.id, number: 3, code: CODE },
      all_changes_deployed: false,
    });

    const withDraft = await admin.request("POST", `${ACTIONS}/${id}/versions/${first.id}/deploy`, {
      update_draft: true,
    });
    expect(withDraft.body.number).toBe(4);
    expect((await admin.request("GET", `${ACTIONS}/${id}`)).body).toMatchObject({
      code: CODE,
      status: "built",
      all_changes_deployed: true,
    });
    const page1 = await admin.request("GET", `${ACTIONS}/${id}/versions?page=1&per_page=3`);
    expect(page1.body).toEqual({ versions: [expect.objectContaining({ number: 1 })], total: 4, page: 1, per_page: 3 });
    expect((await admin.request("DELETE", `${ACTIONS}/${id}`)).status).toBe(204);
  });
});

describe("the triggers and the list's filters", () => {
  test("GET /api/v2/actions/triggers: each trigger the tenant serves, in Auth0's shape", async () => {
    const answer = await admin.request("GET", "/api/v2/actions/triggers");
    expect(Object.keys(answer.body)).toEqual(["triggers"]);
    expect(answer.body.triggers[0]).toEqual({
      id: "post-login",
      version: "v3",
      status: "CURRENT",
      runtimes: ["node18-actions", "node22"],
      default_runtime: "node22",
      compatible_triggers: [],
      binding_policy: "trigger-bound",
    });
    expect(answer.body.triggers.map((t: any) => t.id)).toEqual(
      expect.arrayContaining([
        "credentials-exchange",
        "pre-user-registration",
        "post-user-registration",
        "post-change-password",
        "send-phone-message",
      ]),
    );
  });

  test("actionName (exact), triggerId, deployed", async () => {
    const names = async (query: string) =>
      (await admin.request("GET", `${ACTIONS}?${query}`)).body.actions.map((a: any) => a.name).sort();
    expect(await names("actionName=Bound")).toEqual(["Bound"]);
    expect(await names("actionName=Boun")).toEqual([]);
    expect(await names("deployed=false")).toEqual(["Draft"]);
    expect(await names("deployed=true")).toContain("Bound");
    expect(await names("deployed=true")).not.toContain("Draft");
    expect(await names("triggerId=credentials-exchange")).toEqual([]);
    expect(await names("installed=true")).toEqual([]);
  });
});

describe("code over Auth0's limit and Auth0's entity limits", () => {
  test("code over 100 kB is taken, its build fails with the reason on the draft, and its deploy is refused", async () => {
    const created = await admin.request("POST", ACTIONS, {
      name: "Too big",
      supported_triggers: POST_LOGIN,
      code: `// ${"x".repeat(100_000)}`,
    });
    expect([created.status, created.body.status]).toEqual([201, "pending"]);
    expect((await admin.request("GET", `${ACTIONS}/${created.body.id}`)).body.status).toBe("failed");
    expect((await admin.request("GET", `${ACTIONS}/${created.body.id}/versions/draft`)).body.errors).toEqual([
      {
        id: "code_too_large",
        msg: expect.stringMatching(/^The code is 100003 bytes; Auth0 builds at most 100000 bytes of action code/),
        url: "https://auth0.com/docs/customize/actions/limitations",
      },
    ]);
    expectError(
      await admin.request("POST", `${ACTIONS}/${created.body.id}/deploy`),
      400,
      "A draft must be in the 'built' state before it can be deployed.",
    );
    expect((await admin.request("DELETE", `${ACTIONS}/${created.body.id}`)).status).toBe(204);
  });

  test("30 secrets and 10 dependencies are taken; the 101st action in the tenant is refused, nothing created", async () => {
    const full = await admin.request("POST", ACTIONS, {
      name: "Full",
      supported_triggers: POST_LOGIN,
      code: CODE,
      secrets: Array.from({ length: 30 }, (_, i) => ({ name: `S${i}`, value: `full-secret-value-${i}` })),
      dependencies: Array.from({ length: 10 }, (_, i) => ({ name: `module-${i}`, version: "1.0.0" })),
    });
    expect([full.status, full.body.secrets.length, full.body.dependencies.length]).toEqual([201, 30, 10]);
    const fillers: string[] = [];
    for (let count = (await admin.listAll(ACTIONS, "actions", 100)).items.length; count < 100; count++) {
      fillers.push(
        (await admin.request("POST", ACTIONS, { name: `Filler ${count}`, supported_triggers: POST_LOGIN })).body.id,
      );
    }
    await unchanged(async () => {
      expectError(
        await admin.request("POST", ACTIONS, { name: "The 101st", supported_triggers: POST_LOGIN }),
        400,
        /^Action limit reached: a tenant holds at most 100 actions \(Auth0's entity limit\); delete an action/,
      );
    });
    for (const id of [...fillers, full.body.id])
      expect((await admin.request("DELETE", `${ACTIONS}/${id}`)).status).toBe(204);
  });
});

test("secrets are kept by name only: the bound action's secret is listed, and no value sent in this file came back in an answer (the client checks each) or appeared in the tenant's output", async () => {
  const read = await admin.request("GET", `${ACTIONS}/${bound}`);
  expect(read.body.secrets).toEqual([
    { name: "BOUND_SECRET", updated_at: expect.stringMatching(/^\d{4}-.+\.\d{9}Z$/) },
  ]);
  expect(read.body.deployed_version.secrets).toEqual(read.body.secrets);
  expect(admin.secretValues.size).toBeGreaterThan(30);
  for (const value of admin.secretValues) expect(log).not.toContain(value);
});

async function tokenFor(scope?: string): Promise<string> {
  const form = {
    grant_type: "client_credentials",
    client_id: "local-management-client",
    client_secret: "local-management-secret",
    audience: `${tenant.url}api/v2/`,
    ...(scope ? { scope } : {}),
  };
  const response = await fetchTrusting(join(dir, "ca.pem"))(`${tenant.url}oauth/token`, {
    method: "POST",
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
