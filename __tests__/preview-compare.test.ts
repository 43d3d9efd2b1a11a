// `npm run preview -- --compare BASE` end to end (the CLI in this process, helpers/preview-in-process.ts):
// crafted pairs of actions, BASE from a code file and from a real synthesized stack, bad BASE, and worker threads.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectRoot } from "../src/project-root";
import { compileClaims } from "./helpers/claims-action";
import { cli, type Run } from "./helpers/cli-bundles";
import { preview } from "./helpers/preview-in-process";
import { scratch, jsonLines, byId } from "./helpers/scratch";

const root = projectRoot();
const { dir, file } = scratch("claims-compare-");

const SAMPLES = join(root, "samples", "users.ndjson");
const NS = "https://dev.example.com/claims";

/** Compiled variants of the project's action, as code files. */
const code = (name: string, keys: string[], tokens: ("id" | "access")[]) =>
  file(name, compileClaims(keys, tokens).code);
let devStack: string;
let prodStack: string;
const rolesOnly = () => code("roles-both.js", ["roles"], ["id", "access"]);

beforeAll(() => {
  // The real app's stacks, as the pipeline synthesizes the base branch.
  const out = join(dir, "synth");
  const run = spawnSync(process.execPath, [...cli("src/cli/synth.ts"), "--out", out], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`synth failed: ${run.stderr}`);
  devStack = join(out, "stacks", "dev", "cdk.tf.json");
  prodStack = join(out, "stacks", "prod", "cdk.tf.json");
});

describe("crafted pairs", () => {
  test("a claim key added: users with that field gain it on each token and /userinfo; the others are not listed", async () => {
    const run = await preview("--users", SAMPLES, "--compare", rolesOnly(), "--json");
    expect(run.status).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.user_id)).toEqual(["auth0|alice", "auth0|carol"]);
    const gained = { [`${NS}/permissions`]: { before: null, after: ["read:reports", "write:reports"] } };
    expect(lines[0]).toEqual({
      user_id: "auth0|alice",
      denied: { before: null, after: null },
      idToken: gained,
      accessToken: gained,
      userinfo: gained,
    });
    expect(Object.keys(lines[0])).toEqual(["user_id", "denied", "idToken", "accessToken", "userinfo"]);
  });

  test("a claim key removed, base from a synthesized stack: the human report counts the users who lose it", async () => {
    const run = await preview("--users", SAMPLES, "--compare", devStack, "--code", rolesOnly());
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /before: .*cdk\.tf\.json \(auth0_action\.app_metadata_claims, app-metadata-claims\), namespace https:\/\/dev\.example\.com\/claims/,
    );
    expect(run.stdout).toMatch(new RegExp(`^ID token +${NS}/permissions +0 +2 +0$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^access token +${NS}/permissions +0 +2 +0$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^/userinfo +${NS}/permissions +0 +2 +0$`, "m"));
    expect(run.stdout).toMatch(/^ {4}auth0\|alice: \["read:reports","write:reports"\] -> \(none\)$/m);
    expect(run.stdout).toMatch(/^verdict: 2 of 5 user\(s\) get different tokens;/m);
  });

  test("tokens switched: claims leave the ID token (and /userinfo) for the access token", async () => {
    const run = await preview(
      "--users",
      SAMPLES,
      "--compare",
      code("id.js", ["roles", "permissions"], ["id"]),
      "--code",
      code("access.js", ["roles", "permissions"], ["access"]),
      "--json",
    );
    expect(run.status).toBe(0);
    const alice = byId(jsonLines(run.stdout))["auth0|alice"];
    expect(alice.idToken[`${NS}/roles`]).toEqual({ before: ["admin", "editor"], after: null });
    expect(alice.userinfo[`${NS}/roles`]).toEqual({ before: ["admin", "editor"], after: null });
    expect(alice.accessToken[`${NS}/roles`]).toEqual({ before: null, after: ["admin", "editor"] });
  });

  test("namespace changed (--base-namespace over the stack's default): each claim is lost under the old name, gained under the new", async () => {
    const run = await preview(
      "--users",
      SAMPLES,
      "--compare",
      devStack,
      "--base-namespace",
      "https://old.example.com/claims",
      "--json",
    );
    expect(run.status).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.user_id)).toEqual(["auth0|alice", "auth0|carol", "google-oauth2|dave", "auth0|erin"]);
    expect(lines[3].idToken).toEqual({
      "https://old.example.com/claims/roles": { before: ["viewer"], after: null },
      [`${NS}/roles`]: { before: null, after: ["viewer"] },
    });
  });

  describe("a version that denies some users", () => {
    const denying = () =>
      file(
        "deny.js",
        `exports.onExecutePostLogin = async (event, api) => {\n  if (!event.user.email_verified) api.access.deny("verify your email first");\n};\n`,
      );

    test("--json: the newly denied user, with the claims she no longer gets", async () => {
      const run = await preview("--users", SAMPLES, "--compare", devStack, "--code", denying(), "--json");
      expect(run.status).toBe(0);
      const carol = byId(jsonLines(run.stdout))["auth0|carol"];
      expect(carol.denied).toEqual({ before: null, after: "api.access.deny: verify your email first" });
      expect(carol.idToken).toEqual({ [`${NS}/permissions`]: { before: "read:reports", after: null } });
    });

    test("human report counts it and --fail-on-change exits 1", async () => {
      const run = await preview("--users", SAMPLES, "--compare", devStack, "--code", denying(), "--fail-on-change");
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/^logins newly denied +1$/m);
      expect(run.stdout).toMatch(/^ {4}auth0\|carol: \(allowed\) -> api\.access\.deny: verify your email first$/m);
    });
  });

  test("a base that changes the user in place (sorts and extends roles) changes nothing the head sees", async () => {
    const meddling = file(
      "meddling.js",
      `exports.onExecutePostLogin = async (event, api) => { const r = event.user.app_metadata.roles; if (Array.isArray(r)) { r.push("zz-extra"); r.sort(); } };\n`,
    );
    const run = await preview("--users", SAMPLES, "--compare", meddling, "--code", rolesOnly(), "--json");
    expect(run.status).toBe(0);
    // The head sets each user's roles as exported (alice: admin, editor), not as the base left them.
    expect(byId(jsonLines(run.stdout))["auth0|alice"].idToken).toEqual({
      [`${NS}/roles`]: { before: null, after: ["admin", "editor"] },
    });
  });

  test("identical versions: no output, exit 0 even with --fail-on-change; --summary-json has the counts", async () => {
    const summary = join(dir, "summary.json");
    const run = await preview(
      "--users",
      SAMPLES,
      "--compare",
      devStack,
      "--json",
      "--fail-on-change",
      "--summary-json",
      summary,
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("");
    expect(JSON.parse(readFileSync(summary, "utf8"))).toEqual({
      users: 5,
      changedUsers: 0,
      newlyDenied: 0,
      newlyAllowed: 0,
      deniedDifferently: 0,
      idToken: {},
      accessToken: {},
      userinfo: {},
      scope: {},
      app_metadata: {},
      user_metadata: {},
      login: {},
    });
  });

  test("a head that writes a default role and adds a scope: compare names the users and the writes, not only the claims", async () => {
    const writer = file(
      "default-role.js",
      `exports.onExecutePostLogin = async (event, api) => {
  const roles = Array.isArray(event.user.app_metadata.roles) ? event.user.app_metadata.roles : [];
  if (roles.length === 0) { api.user.setAppMetadata("roles", ["viewer"]); api.accessToken.addScope("read:own"); }
  api.idToken.setCustomClaim("${NS}/roles", roles.length ? roles : ["viewer"]);
};
`,
    );
    const summary = join(dir, "effects-summary.json");
    const json = await preview(
      "--users",
      SAMPLES,
      "--compare",
      rolesOnly(),
      "--code",
      writer,
      "--json",
      "--summary-json",
      summary,
    );
    expect(json.status).toBe(0);
    const lines = byId(jsonLines(json.stdout));
    // bob has no app_metadata; carol's roles are null: both gain the role, written to their record, and the scope.
    for (const id of ["auth0|bob", "auth0|carol"]) {
      expect(lines[id].effects).toEqual({
        scope: { "read:own": { before: null, after: true } },
        app_metadata: { roles: { before: null, after: ["viewer"] } },
      });
    }
    expect(lines["auth0|alice"].effects).toBeUndefined();
    expect(JSON.parse(readFileSync(summary, "utf8"))).toMatchObject({
      scope: { "read:own": { gained: 2, lost: 0, changed: 0 } },
      app_metadata: { roles: { gained: 2, lost: 0, changed: 0 } },
      user_metadata: {},
      login: {},
    });

    const human = await preview("--users", SAMPLES, "--compare", rolesOnly(), "--code", writer);
    expect(human.stdout).toContain("users whose writes, scopes or flow change:");
    expect(human.stdout).toMatch(/^app_metadata write +roles +2 +0 +0$/m);
    expect(human.stdout).toMatch(/^access token scope +read:own +2 +0 +0$/m);
    expect(human.stdout).toContain(
      '  app_metadata write roles gained:\n    auth0|bob: (none) -> ["viewer"]\n    auth0|carol: (none) -> ["viewer"]\n',
    );
    expect(human.stdout).toMatch(/; 2 write\(s\), scope\(s\) or flow outcome\(s\) affected$/m);

    const markdown = await preview("--users", SAMPLES, "--compare", rolesOnly(), "--code", writer, "--markdown");
    expect(markdown.stdout).toContain("| app_metadata write | `roles` | 2 | 0 | 0 |");
  });

  test("--markdown: a table per token and claim, and the verdict", async () => {
    const run = await preview("--users", SAMPLES, "--compare", rolesOnly(), "--markdown");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("| token | claim | users gaining it | losing it | with a new value |");
    expect(run.stdout).toContain(`| ID token | \`${NS}/permissions\` | 2 | 0 | 0 |`);
    expect(run.stdout).toContain("**2 of 5 user(s) get different tokens;");
  });
});

describe("bad BASE: exit 2, nothing on stdout", () => {
  const BAD = [
    [
      "a missing file",
      () => ["--compare", join(dir, "nope.js")],
      /^preview: --compare: ".*nope\.js": can't read it \(ENOENT\)/,
    ],
    [
      "not JavaScript",
      () => ["--compare", file("notes.txt", "this is not ( code")],
      /^preview: --compare: .*notes\.txt"?: action failed to load: SyntaxError/,
    ],
    [
      "a stack without the action",
      () => [
        "--compare",
        file("empty.tf.json", JSON.stringify({ resource: { auth0_client: { app: { name: "x" } } } })),
      ],
      /holds no post-login auth0_action/,
    ],
    [
      "a stack with two post-login actions and no binding to order them",
      () => {
        const stack = JSON.parse(readFileSync(devStack, "utf8"));
        stack.resource.auth0_action.second = stack.resource.auth0_action.app_metadata_claims;
        delete stack.resource.auth0_trigger_action;
        return ["--compare", file("two.tf.json", JSON.stringify(stack))];
      },
      /holds 2 post-login actions \(auth0_action\.app_metadata_claims, auth0_action\.second\) and binds none of them; compare runs the bound flow/,
    ],
    [
      "a stack whose namespace variable has no default",
      () => ["--compare", prodStack],
      /secret CLAIM_NAMESPACE comes from var\.claim_namespace, which has no default in the stack; pass --base-namespace URL/,
    ],
  ] as const;
  let runs: Map<string, Run>;
  beforeAll(async () => {
    runs = new Map(
      await Promise.all(BAD.map(async ([what, args]) => [what, await preview("--users", SAMPLES, ...args())] as const)),
    );
  });

  test.each(BAD)("%s", (what, _args, message) => {
    const run = runs.get(what)!;
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});

describe("worker threads", () => {
  // About 1 MB, so several batches, of the sample users' kinds; one in 7 unverified.
  // Without dave, whose 25 KB of permissions would make this export 150 MB.

  let users: any[];
  beforeAll(() => {
    const sample = readFileSync(SAMPLES, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((u) => u.user_id !== "google-oauth2|dave");
    users = Array.from({ length: 6000 }, (_, i) => ({
      ...sample[i % sample.length],
      user_id: `auth0|${i}`,
      email_verified: i % 7 !== 0,
    }));
  });
  const exportFile = () => file("many.ndjson.gz", gzipSync(users.map((u) => JSON.stringify(u)).join("\n") + "\n"));
  const denying = () =>
    file(
      "deny-unverified.js",
      `exports.onExecutePostLogin = async (event, api) => {\n  if (!event.user.email_verified) api.access.deny("unverified");\n  api.idToken.setCustomClaim("${NS}/n", event.user.user_id);\n};\n`,
    );

  test("preview --json: the same bytes, in input order, with 1 and 3 workers; no progress when stderr is not a terminal", async () => {
    const path = exportFile();
    const [one, three] = await Promise.all([
      preview("--users", path, "--json", "--workers", "1"),
      preview("--users", path, "--json", "--workers", "3"),
    ]);
    expect(one.status).toBe(0);
    expect(three.stdout).toBe(one.stdout);
    expect(jsonLines(one.stdout).map((l) => l.user_id)).toEqual(users.map((u) => u.user_id));
    expect(three.stderr).toBe("");
  });

  test("compare --json and its summary: the same with 1 and 3 workers", async () => {
    const path = exportFile();
    const denyingCode = denying();
    const [one, three] = await Promise.all(
      ["1", "3"].map(async (n) => {
        const summary = join(dir, `summary-${n}.json`);
        const run = await preview(
          "--users",
          path,
          "--compare",
          devStack,
          "--code",
          denyingCode,
          "--json",
          "--workers",
          n,
          "--summary-json",
          summary,
        );
        return { ...run, summary: readFileSync(summary, "utf8") };
      }),
    );
    expect(one.status).toBe(0);
    expect(three.stdout).toBe(one.stdout);
    expect(three.summary).toBe(one.summary);
    expect(JSON.parse(one.summary)).toMatchObject({
      users: 6000,
      changedUsers: 6000,
      newlyDenied: users.filter((u) => !u.email_verified).length,
    });
    expect(three.stderr).toBe("");
  });

  test("a bad line in a late batch is named by its line number, and stdout stays empty", async () => {
    const lines = users.map((u) => JSON.stringify(u));
    lines[5000] = '{"user_id": "broken",';
    const run = await preview("--users", file("bad-late.ndjson", lines.join("\n") + "\n"), "--json", "--workers", "2");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/bad-late\.ndjson:5001: invalid JSON/);
  });
});
