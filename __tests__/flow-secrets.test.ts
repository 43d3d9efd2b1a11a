// An action's declared secrets in the preview and the contract: `--secrets-file FILE` (dotenv) or the
// TF_VAR_<variable> the deploy reads give `event.secrets` its values, in the head and in a BASE stack;
// a secret without a value, or a bad line of the file, is exit 2 with one line naming it; no value
// reaches stdout or stderr; a synthesis runs its samples with a placeholder, never a value.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { exampleEnvironments } from "../src/environments";
import { projectRoot } from "../src/project-root";
import { buildContract, type ProviderPin } from "../src/review/contract";
import { runCli, type Run } from "./helpers/cli-bundles";
import { preview } from "./helpers/preview-in-process";
import { expectNoPartOf } from "./helpers/no-secret";
import { scratch, jsonLines } from "./helpers/scratch";

const { file } = scratch("flow-secrets-");

const EXAMPLE = exampleEnvironments.find((e) => e.name === "secrets-example")!;
const VARIABLE = "TF_VAR_support_user_hash_secret_user_hash_key";
const KEY = "k3y-From-The-Secrets-File-7f3c";
const OTHER_KEY = "Another-k3y-From-TF-VAR-91ab";
const CLAIM = "https://example.com/claims/user_hash";
const hash = (key: string, userId: string) => createHmac("sha256", key).update(userId).digest("hex");
const USERS = [
  { user_id: "auth0|alice", app_metadata: { roles: ["admin"] } },
  { user_id: "auth0|bob", app_metadata: {} },
];
const expectNoKey = (run: Run, key: string) => expectNoPartOf(run.stdout + run.stderr, [key]);

let users: string;
let secrets: string;
beforeAll(() => {
  users = file("users.ndjson", USERS.map((u) => JSON.stringify(u)).join("\n") + "\n");
  secrets = file(
    "secrets.env",
    `# the support widget's key\nexport ${VARIABLE}="${KEY}" # quoted\nTF_VAR_unrelated=other\n`,
  );
});

describe("preview: the secret reaches event.secrets", () => {
  let fromFile: Run;
  let fromVariable: Run;
  let human: Run;
  beforeAll(async () => {
    [fromFile, fromVariable, human] = await Promise.all([
      preview("--env", "secrets-example", "--users", users, "--secrets-file", secrets, "--json"),
      // A real process: TF_VAR_ read from its environment, as the deploy reads it.
      runCli("src/cli/preview.ts", ["--env", "secrets-example", "--users", users, "--json"], {
        cwd: projectRoot(),
        env: { ...process.env, [VARIABLE]: OTHER_KEY },
      }),
      preview("--env", "secrets-example", "--users", users, "--secrets-file", secrets),
    ]);
  });

  test("--secrets-file: each user's claim is the action's HMAC with the file's value", () => {
    expect(fromFile.status).toBe(0);
    expect(jsonLines(fromFile.stdout).map((l) => [l.user_id, l.idToken[CLAIM]])).toEqual(
      USERS.map((u) => [u.user_id, hash(KEY, u.user_id)]),
    );
  });

  test("TF_VAR_<variable> in the environment: the claim is the HMAC with that value", () => {
    expect(fromVariable.status).toBe(0);
    expect(jsonLines(fromVariable.stdout).map((l) => l.idToken[CLAIM])).toEqual(
      USERS.map((u) => hash(OTHER_KEY, u.user_id)),
    );
  });

  test("no value reaches stdout or stderr, --json or not", () => {
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(hash(KEY, "auth0|alice"));
    for (const run of [fromFile, human]) expectNoKey(run, KEY);
    expectNoKey(fromVariable, OTHER_KEY);
  });
});

describe("compare: a BASE stack's secrets come from the same file or variables", () => {
  let stack: string;
  beforeAll(() => {
    stack = file("secrets-example.tf.json", Testing.synth(new ClaimsStack(Testing.app(), EXAMPLE)));
  });

  test("the base runs with the file's value: each user loses the claim the base's action set with it", async () => {
    const run = await preview(
      "--env",
      "dev",
      "--namespace",
      "https://example.com/claims",
      "--users",
      users,
      "--compare",
      stack,
      "--secrets-file",
      secrets,
      "--json",
    );
    expect(run.status).toBe(0);
    expect(jsonLines(run.stdout).map((l) => [l.user_id, l.idToken[CLAIM]])).toEqual(
      USERS.map((u) => [u.user_id, { before: hash(KEY, u.user_id), after: null }]),
    );
    expectNoKey(run, KEY);
    const human = await preview(
      "--env",
      "dev",
      "--namespace",
      "https://example.com/claims",
      "--users",
      users,
      "--compare",
      stack,
      "--secrets-file",
      secrets,
    );
    expect(human.status).toBe(0);
    expectNoKey(human, KEY);
  });

  test("a base whose action leaks its secret into a claim, a log and a denial: every output shows [redacted], never the value", async () => {
    const tf = JSON.parse(readFileSync(stack, "utf8"));
    const [name] = Object.keys(tf.resource.auth0_action).filter(
      (n) => tf.resource.auth0_action[n].name === "support-user-hash",
    );
    tf.resource.auth0_action[name].code = `exports.onExecutePostLogin = async (event, api) => {
  const key = event.secrets.USER_HASH_KEY;
  console.log("the key is " + key);
  api.idToken.setCustomClaim("https://example.com/claims/leak", { key, long: "x".repeat(150) + key + "y".repeat(300) });
  if (event.user.user_id === "auth0|bob") api.access.deny("no: " + key);
};`;
    const leaky = file("leaky.tf.json", JSON.stringify(tf));
    const args = [
      "--env",
      "dev",
      "--namespace",
      "https://example.com/claims",
      "--users",
      users,
      "--compare",
      leaky,
      "--secrets-file",
      secrets,
    ];
    const [json, human, markdown] = await Promise.all([
      preview(...args, "--json"),
      preview(...args),
      preview(...args, "--markdown"),
    ]);
    for (const run of [json, human, markdown]) {
      expect(run.status).toBe(0);
      expectNoKey(run, KEY);
    }
    const lines = jsonLines(json.stdout);
    expect(lines[0].idToken["https://example.com/claims/leak"].before.key).toBe("[redacted]");
    expect(lines[1].denied.before).toBe("support-user-hash: api.access.deny: no: [redacted]");
    expect(human.stdout).toContain("[redacted]");
  });

  test("without a value, the base's secret is named: exit 2, one line, nothing on stdout", async () => {
    const run = await preview(
      "--env",
      "dev",
      "--namespace",
      "https://example.com/claims",
      "--users",
      users,
      "--compare",
      stack,
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `preview: --compare: action "support-user-hash": secret "USER_HASH_KEY" has no value; set ${VARIABLE}, or give --secrets-file FILE with a line ${VARIABLE}=...\n`,
    );
  });
});

describe("a secret without a value, a bad file: exit 2, one line, nothing on stdout, no value", () => {
  test("no value anywhere: the action, the secret, the variable and --secrets-file are named", async () => {
    const run = await preview("--env", "secrets-example", "--users", users);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `preview: action "support-user-hash": secret "USER_HASH_KEY" has no value; set ${VARIABLE}, or give --secrets-file FILE with a line ${VARIABLE}=...\n`,
    );
  });

  test("a file that lacks it: the fix names the file", async () => {
    const run = await preview(
      "--env",
      "secrets-example",
      "--users",
      users,
      "--secrets-file",
      file("other.env", "TF_VAR_unrelated=x\n"),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^preview: action "support-user-hash": secret "USER_HASH_KEY" has no value; add a line ${VARIABLE}=\\.\\.\\. to ".*other\\.env", or set ${VARIABLE}\\n$`,
      ),
    );
  });

  const BAD = [
    [
      "a value pasted on a line of its own",
      `${VARIABLE}=x\n\n${KEY}\n`,
      /"[^"]*bad\.env" line 3 is not NAME=VALUE; write TF_VAR_<variable>=VALUE/,
    ],
    [
      "a quote that never closes",
      `TF_VAR_other=1\n${VARIABLE}="${KEY}\n`,
      /"[^"]*bad\.env" line 2: the value of TF_VAR_support_user_hash_secret_user_hash_key opens a " quote that never closes/,
    ],
    [
      "a # inside an unquoted value, which would cut it short",
      `${VARIABLE}=${KEY}#tail\n`,
      /"[^"]*bad\.env" line 1: the value of TF_VAR_support_user_hash_secret_user_hash_key holds a # that would start a comment/,
    ],
    [
      "text after the closing quote",
      `${VARIABLE}="${KEY}" ${KEY}\n`,
      /"[^"]*bad\.env" line 1: text after the closing quote/,
    ],
    [
      "a variable set twice",
      `${VARIABLE}=${KEY}\n${VARIABLE}=${KEY}2\n`,
      /"[^"]*bad\.env" line 2 sets TF_VAR_support_user_hash_secret_user_hash_key again \(first on line 1\)/,
    ],
  ] as const;
  test.each(BAD)("%s: the file and the line are named, the line is not quoted", async (_what, content, message) => {
    const run = await preview(
      "--env",
      "secrets-example",
      "--users",
      users,
      "--secrets-file",
      file("bad.env", content),
      "--json",
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    // With --json, the one line is JSON, with the code a pipeline branches on.
    expect(run.stderr.split("\n")).toEqual([expect.any(String), ""]);
    const said = JSON.parse(run.stderr) as { command: string; code: string; exit: number; error: string };
    expect([said.command, said.code, said.exit]).toEqual(["preview", "ERR_SECRETS_FILE", 2]);
    expect(said.error).toMatch(/^--secrets-file: /);
    expect(said.error).toMatch(message);
    expectNoKey(run, KEY);
  });

  test("a value longer than Auth0 takes is named by where it comes from, not shown", async () => {
    const long = "v".repeat(4097);
    const run = await preview(
      "--env",
      "secrets-example",
      "--users",
      users,
      "--secrets-file",
      file("long.env", `${VARIABLE}=${long}\n`),
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^preview: action "support-user-hash": secret "USER_HASH_KEY": the value from ".*long\.env" line 1 is 4097 characters; Auth0 allows at most 4096\n$/,
    );
    expect(run.stderr).not.toContain("vvvvvvvv");
  });
});

test("a synthesis runs the contract's samples with a placeholder for the secret, whatever the environment holds, and says so", async () => {
  const provider: ProviderPin = {
    constraint: "~> 1.51",
    lock: { state: "locked", file: ".terraform.lock.hcl", version: "1.51.0", hashes: 5 },
  };
  const before = process.env[VARIABLE];
  process.env[VARIABLE] = KEY;
  try {
    const contract = await buildContract(
      new ClaimsStack(Testing.app(), EXAMPLE),
      USERS,
      "samples/test.ndjson",
      provider,
    );
    expect(contract.samples.users.map((u) => u.idToken[CLAIM])).toEqual(
      USERS.map((u) => hash("<support_user_hash_secret_user_hash_key>", u.user_id)),
    );
    expect(contract.notes).toEqual([
      expect.stringMatching(
        /^the sample logins ran with a placeholder "<variable>" as the value of support-user-hash: USER_HASH_KEY: /,
      ),
    ]);
    expect(JSON.stringify(contract)).not.toContain(KEY);
  } finally {
    if (before === undefined) delete process.env[VARIABLE];
    else process.env[VARIABLE] = before;
  }
});
