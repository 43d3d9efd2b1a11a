// `npm run preview` end to end: inputs, outputs, exit codes. The CLI runs in this process (see
// helpers/preview-in-process.ts) but for the cases about the process itself (a reader closing the
// pipe, TMPDIR), which spawn it. Runs that several tests share, or a table's, start side by side in beforeAll.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectRoot } from "../src/project-root";
import { cli, type Run } from "./helpers/cli-bundles";
import { preview } from "./helpers/preview-in-process";
import { scratch, jsonLines } from "./helpers/scratch";

const root = projectRoot();
const { dir, file } = scratch("claims-preview-");

const samples = readFileSync(join(root, "samples", "users.ndjson"), "utf8");
const sampleUsers = samples
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line));

/** Runs every case of a table side by side; the runs by case name. */
async function previewEach<T extends readonly [string, ...unknown[]]>(
  table: readonly T[],
  args: (row: T) => string[],
): Promise<Map<string, Run>> {
  return new Map(await Promise.all(table.map(async (row) => [row[0], await preview(...args(row))] as const)));
}

const alice = file("alice.json", JSON.stringify(sampleUsers[0], null, 2));
const NS = "https://dev.example.com/claims";

describe("one user", () => {
  test("human output shows the claims per token and exits 0", async () => {
    const run = await preview("--user", alice);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^auth0\|alice \(alice@example\.com\): login succeeds$/m);
    expect(run.stdout).toMatch(/ID token +https:\/\/dev\.example\.com\/claims\/roles +\["admin","editor"\]/);
    expect(run.stdout).toContain("/userinfo     the ID token's custom claims, as above");
  });

  test("--json prints exactly the documented keys, in order", async () => {
    const run = await preview("--user", alice, "--json");
    expect(run.status).toBe(0);
    const [line, ...rest] = run.stdout.trim().split("\n");
    expect(rest).toEqual([]);
    const out = JSON.parse(line);
    expect(Object.keys(out)).toEqual(["user_id", "denied", "idToken", "accessToken", "userinfo", "dropped", "logs"]);
    expect(out).toEqual({
      user_id: "auth0|alice",
      denied: null,
      idToken: { [`${NS}/roles`]: ["admin", "editor"], [`${NS}/permissions`]: ["read:reports", "write:reports"] },
      accessToken: { [`${NS}/roles`]: ["admin", "editor"], [`${NS}/permissions`]: ["read:reports", "write:reports"] },
      userinfo: { [`${NS}/roles`]: ["admin", "editor"], [`${NS}/permissions`]: ["read:reports", "write:reports"] },
      dropped: [],
      logs: [],
    });
  });

  test("--env and --namespace choose the stack's code and the secret it runs with", async () => {
    const out = jsonLines(
      (await preview("--user", alice, "--json", "--env", "prod", "--namespace", "https://acme.example/")).stdout,
    )[0];
    expect(out.idToken).toEqual({
      "https://acme.example/roles": ["admin", "editor"],
      "https://acme.example/permissions": ["read:reports", "write:reports"],
    });
    expect(out.accessToken).toEqual({}); // prod puts the claims on the ID token only
  });
});

describe("many users: NDJSON, JSON array, gzip give the same result", () => {
  const FORMATS = [
    ["a pretty JSON array", () => file("users.json", JSON.stringify(sampleUsers, null, 2))],
    ["gzipped NDJSON", () => file("users.ndjson.gz", gzipSync(samples))],
    ["a gzipped JSON array", () => file("users.json.gz", gzipSync(JSON.stringify(sampleUsers)))],
    [
      "NDJSON with blank lines and CRLF",
      () => file("crlf.ndjson", "\r\n" + samples.trim().split("\n").join("\r\n\r\n") + "\r\n"),
    ],
  ] as const;
  let ndjson: Run;
  let expected: ReturnType<typeof jsonLines>;
  let formats: Map<string, Run>;
  beforeAll(async () => {
    [ndjson, formats] = await Promise.all([
      preview("--users", join(root, "samples", "users.ndjson"), "--json"),
      previewEach(FORMATS, ([, make]) => ["--users", make(), "--json"]),
    ]);
    expected = jsonLines(ndjson.stdout);
  });

  test("NDJSON: one line per user, in order, with the sample's problems", () => {
    expect(ndjson.status).toBe(0);
    expect(expected.map((o) => o.user_id)).toEqual(sampleUsers.map((u) => u.user_id));
    const byId = Object.fromEntries(expected.map((o) => [o.user_id, o]));
    expect(byId["auth0|bob"].idToken).toEqual({});
    expect(byId["auth0|carol"].logs).toEqual(["app-metadata-claims: skipped roles (null)"]);
    expect(byId["google-oauth2|dave"].idToken).toEqual({ [`${NS}/roles`]: ["support"] });
    expect(byId["google-oauth2|dave"].logs[0]).toMatch(
      /skipped permissions \(larger than the 102400-byte claims limit\)/,
    );
  });

  test.each(FORMATS)("%s", (what) => {
    const run = formats.get(what)!;
    expect(run.status).toBe(0);
    expect(jsonLines(run.stdout)).toEqual(expected);
  });

  test("human output: each of a handful of users, then the summary", async () => {
    const run = await preview("--users", join(root, "samples", "users.ndjson"));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^users processed +5$/m);
    expect(run.stdout).toMatch(/^logins denied +0$/m);
    expect(run.stdout).toMatch(/^claims set +5 on ID tokens, 5 on access tokens$/m);
    expect(run.stdout).toMatch(/^users with skipped values +2 /m);
    expect(run.stdout).toMatch(/^largest payload +137 bytes \(auth0\|alice, ID token; limit 102400\)$/m);
    expect(run.stdout).toMatch(
      /first users with problems:\n {2}auth0\|carol: app-metadata-claims: skipped roles \(null\)/,
    );
  });
});

describe("exit 1 when a login would be denied", () => {
  const denying = file(
    "deny.js",
    `exports.onExecutePostLogin = async (event, api) => {\n  if (!event.user.email_verified) api.access.deny("verify your email first");\n};\n`,
  );

  test("--code runs another compiled action (e.g. the dashboard's) over the same users", async () => {
    const run = await preview("--users", join(root, "samples", "users.ndjson"), "--code", denying);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^logins denied +1$/m);
    expect(run.stdout).toContain("auth0|carol: DENIED: api.access.deny: verify your email first");
  });

  test("--json carries the reason", async () => {
    const run = await preview("--users", join(root, "samples", "users.ndjson"), "--code", denying, "--json");
    expect(run.status).toBe(1);
    expect(jsonLines(run.stdout).filter((o) => o.denied !== null)).toEqual([
      expect.objectContaining({ user_id: "auth0|carol", denied: "api.access.deny: verify your email first" }),
    ]);
  });

  test("an action that can't load denies every login", async () => {
    const run = await preview(
      "--user",
      alice,
      "--code",
      file("broken.js", "exports.onExecutePostLogin = async (event, api) => {"),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^preview: every login would be denied: action failed to load: SyntaxError/);
  });
});

describe("exit 2 on bad input, with nothing written to stdout", () => {
  const goodLines = samples.trim().split("\n");
  const BAD = [
    [
      "a missing file",
      () => ["--users", join(dir, "nope.ndjson")],
      /nope\.ndjson: can't read it \(ENOENT\); check the path/,
    ],
    [
      "invalid JSON on line 4 of an NDJSON export",
      () => [
        "--users",
        file("bad.ndjson", [goodLines[0], goodLines[1], goodLines[2], '{"user_id": "x",', goodLines[3]].join("\n")),
      ],
      /bad\.ndjson:4: invalid JSON/,
    ],
    [
      "a line that is not an object",
      () => ["--users", file("arr.ndjson", `${goodLines[0]}\n[1,2]\n`)],
      /arr\.ndjson:2: expected a user object .* got an array/,
    ],
    [
      "invalid JSON in a pretty document",
      () => ["--user", file("bad.json", '{\n  "user_id": "x",\n  "app_metadata": {,\n}\n')],
      /bad\.json:3: invalid JSON/,
    ],
    ["an empty file", () => ["--users", file("empty.ndjson", "\n\n")], /holds no users/],
    ["not JSON at all", () => ["--users", file("users.csv", "user_id,email\n")], /users\.csv:1: not JSON/],
    [
      "a truncated gzip file",
      () => ["--users", file("cut.ndjson.gz", gzipSync(samples).subarray(0, 200))],
      /cut\.ndjson\.gz: can't read it .*complete \.gz file/,
    ],
    [
      "an unknown environment",
      () => ["--user", alice, "--env", "staging"],
      /--env: "staging" is not an environment; use one of dev, prod/,
    ],
    [
      "a reserved namespace",
      () => ["--user", alice, "--namespace", "https://x.auth0.com"],
      /--namespace: "https:\/\/x\.auth0\.com" can't be a claim namespace/,
    ],
    [
      "an environment with no default namespace",
      () => ["--user", alice, "--env", "prod"],
      /--namespace: environment "prod" has no default namespace; pass --namespace/,
    ],
    ["both --user and --users", () => ["--user", alice, "--users", alice], /give exactly one of --user FILE/],
    ["neither", () => [], /give exactly one of --user FILE/],
    [
      "--user with several users",
      () => ["--user", join(root, "samples", "users.ndjson")],
      /--user: .* holds more than one user; use --users/,
    ],
    ["an unknown option", () => ["--user", alice, "--verbose"], /Unknown option '--verbose'/],
    [
      "a time limit Node can't keep",
      () => ["--user", alice, "--timeout-ms", "3000000000"],
      /--timeout-ms: "3000000000" is not a whole number of milliseconds from 1 to 2147483647/,
    ],
    [
      "a time limit in exponent notation",
      () => ["--user", alice, "--timeout-ms", "1e3"],
      /--timeout-ms: "1e3" is not a whole number of milliseconds from 1 to 2147483647/,
    ],
    ...(["0x2", "1e1", "+2", "2.0", " 2"] as const).map(
      (workers) =>
        [
          `--workers ${JSON.stringify(workers)}, not plain digits`,
          () => ["--user", alice, "--workers", workers],
          new RegExp(
            `--workers: ${JSON.stringify(workers).replace(/[.+]/g, "\\$&")} is not a whole number from 1 to 64$`,
          ),
        ] as const,
    ),
  ] as const;
  let runs: Map<string, Run>;
  beforeAll(async () => {
    runs = await previewEach(BAD, ([, args]) => args());
  });

  test.each(BAD)("%s", (what, _args, message) => {
    const run = runs.get(what)!;
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    // One line says what is wrong; only the usage may follow it.
    const [first, ...rest] = run.stderr.trim().split("\n");
    expect(first).toMatch(message);
    if (rest.length > 0) expect(rest[0]).toMatch(/^usage: npm run preview/);
  });
});

test("a reader that stops early (| head) still gets exit 1 for denied logins, and no temporary file is left", async () => {
  const ownTmp = mkdtempSync(join(dir, "tmp-"));
  const denying = file(
    "deny-all.js",
    `exports.onExecutePostLogin = async (event, api) => { api.access.deny("no"); };\n`,
  );
  const many = file(
    "many.ndjson",
    Array.from({ length: 20000 }, (_, i) => JSON.stringify({ user_id: `u${i}` })).join("\n") + "\n",
  );
  const child = spawn(process.execPath, [...cli("src/cli/preview.ts"), "--users", many, "--code", denying, "--json"], {
    cwd: root,
    env: { ...process.env, TMPDIR: ownTmp },
  });
  const first = await new Promise<string>((resolve) =>
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())),
  );
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect(JSON.parse(first.split("\n")[0]).denied).toBe("api.access.deny: no");
  expect(status).toBe(1);
  expect(readdirSync(ownTmp).filter((f) => f.startsWith("claims-preview-"))).toEqual([]);
});

test("an unwritable TMPDIR with --json: one JSON line on stderr, code ERR_TMPDIR, naming TMPDIR and the fix, exit 2, no stack trace", () => {
  const notAFolder = file("tmp-is-a-file", "");
  const run = spawnSync(process.execPath, [...cli("src/cli/preview.ts"), "--user", alice, "--json"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TMPDIR: join(notAFolder, "sub") },
  });
  expect(run.status).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  const said = JSON.parse(run.stderr) as { command: string; code: string; exit: number; error: string };
  expect([said.command, said.code, said.exit]).toEqual(["preview", "ERR_TMPDIR", 2]);
  expect(said.error).toMatch(
    /^TMPDIR: can't create a folder in ".*tmp-is-a-file\/sub" \(ENOTDIR\); .* set TMPDIR to a writable folder, e\.g\. TMPDIR=\/tmp$/,
  );
});

test("terminal escape sequences in an export reach the human report escaped, never raw", async () => {
  const hostile = {
    user_id: "auth0|\u001b[2J\u001b]0;owned\u0007x",
    email: "e\u009b31m@example.com",
    app_metadata: { roles: ["\u001b[31mred"] },
  };
  const logging = file(
    "log.js",
    `exports.onExecutePostLogin = async (event, api) => { console.log(event.user.user_id); api.idToken.setCustomClaim("https://x.example/r", event.user.app_metadata.roles); };\n`,
  );
  const run = await preview("--user", file("hostile.json", JSON.stringify(hostile)), "--code", logging);
  expect(run.status).toBe(0);
  // eslint-disable-next-line no-control-regex
  expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  expect(run.stdout).toContain("auth0|\\x1b[2J\\x1b]0;owned\\x07x (e\\x9b31m@example.com): login succeeds");
  expect(run.stdout).toMatch(/log +auth0\|\\x1b\[2J/);
});
