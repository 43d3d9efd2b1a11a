// verify never prints a secret: against OpenID servers that echo what they were sent (the token
// request's body, the Authorization header, the query) into their error answers, their tokens and
// /userinfo, and with credentials in --domain, no form of a secret reaches stdout or stderr, human
// or --json, while the output still says what went wrong.
import { randomBytes } from "node:crypto";
import {
  exportOf,
  followAuthorize,
  type Misbehaviour,
  type RogueIdp,
  rogueUser,
  startRogueIdp,
} from "./helpers/rogue-idp";
import { scratch } from "./helpers/scratch";
import { freePort } from "./helpers/verify-process";
import { reportOf, type VerifyRun, VerifyRunner } from "./helpers/verify-runner";

const NS = "https://dev.example.com/claims";
const ECHO = `${NS}/echo`;
const CLIENT = "rogue-client";
const API = "https://api.example.com";

/**
 * A secret of random runs of 8 letters and digits, each followed by a character that some encoding
 * changes (URL, form, JSON, control escapes), so every 8 characters of any of its forms are its own.
 */
function secret(prefix: string, runs: number): string {
  const special = ["/", "+", '"', "é", "&", "=", " ", "\\", "%", "@", "~", "\t", "€", ":", "?", "#"];
  let text = prefix;
  for (let i = 0; i < runs; i++)
    text += randomBytes(6).toString("base64url").replace(/[-_]/g, "x") + special[i % special.length];
  return text + randomBytes(6).toString("base64url").replace(/[-_]/g, "x");
}
const PASSWORD = secret("pw", 5);
const CLIENT_SECRET = secret("cs", 8);
/** Long enough that a message quoting it at most 200 characters cuts it short. */
const MGMT_SECRET = secret("ms", 16);

const USERS = [rogueUser("alice", ["admin"], PASSWORD), rogueUser("bob", ["viewer"], PASSWORD)];

const { file } = scratch("claims-secrets-");
const usersFile = file("users.ndjson", exportOf(USERS));
let idp: RogueIdp;
let runner: VerifyRunner;

beforeAll(async () => {
  idp = await startRogueIdp(CLIENT, USERS, API, ECHO);
  runner = new VerifyRunner();
});
afterAll(async () => {
  runner.close();
  await idp.close();
});

const LOGIN = { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: PASSWORD };
const MGMT = ["--mgmt-client-id", "mgmt-client", "--mgmt-client-secret", MGMT_SECRET];
type Mode = "json" | "human";
const common = (domain: string | undefined, mode: Mode, timeout = 60) => [
  "--env",
  "dev",
  ...(domain === undefined ? [] : ["--domain", domain]),
  "--client-id",
  CLIENT,
  "--client-secret",
  CLIENT_SECRET,
  "--audience",
  API,
  "--timeout",
  String(timeout),
  ...(mode === "json" ? ["--json"] : []),
];

function passwordGrant(how: Misbehaviour, mode: Mode, source: string[] = ["--users", usersFile]): Promise<VerifyRun> {
  return runner.run([...common(idp.url(how), mode), "--grant", "password", ...source], LOGIN);
}

/** The code flow, the "browser" following the authorize redirect straight to verify's callback. */
async function codeFlow(how: Misbehaviour, mode: Mode): Promise<VerifyRun> {
  const port = await freePort();
  return runner.run(
    [...common(idp.url(how), mode), "--users", usersFile, "--redirect-uri", `http://127.0.0.1:${port}/callback`],
    {},
    followAuthorize(),
  );
}

/** The forms a secret takes when echoed: as is, URL-encoded (either case), form-encoded, JSON-escaped once and twice, base64. */
function formsOf(value: string): string[] {
  const uri = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    new URLSearchParams({ v: value }).toString().slice(2),
    json,
    JSON.stringify(json).slice(1, -1),
    Buffer.from(value).toString("base64").replace(/=+$/, ""),
  ];
}

/**
 * Every secret of the runs (the ones given, and every one the server handed out or was sent: tokens,
 * codes, PKCE verifiers) found in `output`, whole or as any 8 characters of one of its forms.
 */
function leaks(output: string): string[] {
  const secrets = new Set([PASSWORD, CLIENT_SECRET, MGMT_SECRET, ...idp.secrets().filter((s) => s.length >= 8)]);
  const found: string[] = [];
  for (const value of secrets) {
    const windows = formsOf(value).flatMap((form) =>
      Array.from({ length: Math.max(0, form.length - 7) }, (_, i) => form.slice(i, i + 8)),
    );
    const seen = windows.find((window) => output.includes(window));
    if (seen !== undefined) found.push(`${JSON.stringify(seen)} of ${JSON.stringify(value.slice(0, 12))}...`);
  }
  return found;
}

/** What went wrong, as the run says it: the JSON report's error, or the human report's verdict line. */
function failure(run: VerifyRun, mode: Mode): string {
  return mode === "json"
    ? (reportOf(run).error as string)
    : (/^FAILED \(exit \d\): (.*)$/m.exec(run.stdout)?.[1] ?? run.stdout);
}

// [case, start the run, the exit code, what the output must still say].
const CASES: [string, (mode: Mode) => Promise<VerifyRun>, number, RegExp][] = [
  [
    "the token endpoint echoes the password grant's request in its error",
    (mode) => passwordGrant("echo-token", mode),
    3,
    /^the password grant was refused: invalid_request: you sent username=alice%40example\.com&password=\[redacted\]&.*client_secret=\[redacted\]/,
  ],
  [
    "the token endpoint echoes the code exchange (code, PKCE verifier, client secret) in its error",
    (mode) => codeFlow("echo-token", mode),
    3,
    /^the login was refused: invalid_request: you sent .*code=\[redacted\]/,
  ],
  [
    "the Management API's token endpoint echoes the client credentials, cut short in the message",
    (mode) => passwordGrant("echo-mgmt-token", mode, MGMT),
    3,
    /^the Management API token was refused: "access_denied you sent .*client_secret.*\[redacted\]\.\.\.; the application needs the read:users scope/,
  ],
  [
    "the Management API echoes its bearer token, cut short in a non-JSON answer",
    (mode) => passwordGrant("echo-mgmt-user", mode, MGMT),
    3,
    /: the answer \(HTTP 200\) is not JSON: "(forbidden ){8}authorization Bearer \[redacted\]\.\.\.$/,
  ],
];

// Runs where the login succeeds and the echo lands in the claims: a mismatch (the echo is an
// unexpected claim), [case, start the run, what the echoed request must still show].
const CLAIM_ECHOES: [string, (mode: Mode) => Promise<VerifyRun>, RegExp][] = [
  [
    "the tokens carry the password grant's request, /userinfo the bearer token",
    (mode) => passwordGrant("echo-claims", mode),
    /^username=alice%40example\.com&password=\[redacted\]&/,
  ],
  [
    "the tokens carry the code exchange's request, /userinfo the bearer token",
    (mode) => codeFlow("echo-claims", mode),
    /&code=\[redacted\]&code_verifier=\[redacted\]/,
  ],
];

describe.each(["json", "human"] as const)("%s output", (mode) => {
  describe.each(CASES)("%s", (_what, start, exit, says) => {
    let run: VerifyRun;
    beforeAll(async () => {
      run = await start(mode);
    });
    test(`fails with exit ${exit}, saying what went wrong`, () => {
      expect(run.exit).toBe(exit);
      expect(failure(run, mode)).toMatch(says);
    });
    test("prints no secret, whole or in part, in any form", () => expect(leaks(run.stdout + run.stderr)).toEqual([]));
  });

  describe.each(CLAIM_ECHOES)("%s", (_what, start, request) => {
    let run: VerifyRun;
    beforeAll(async () => {
      run = await start(mode);
    });
    test("is a mismatch that names the echoed claim", () => {
      expect(run.exit).toBe(1);
      if (mode === "json") {
        const claims = reportOf(run).claims as Record<string, { unexpected: string[]; found: Record<string, unknown> }>;
        expect(claims.idToken.unexpected).toEqual([ECHO, `${ECHO}-fields`]);
        expect(claims.idToken.found[ECHO]).toMatch(request);
        expect(claims.userinfo.found[ECHO]).toBe("authorization Bearer [redacted]; query ");
      } else {
        const line = new RegExp(
          `^ +${ECHO.replace(/[./]/g, "\\$&")} +UNEXPECTED: ".*${request.source.replace(/^\^/, "")}`,
          "m",
        );
        expect(run.stdout).toMatch(line);
        expect(run.stdout).toMatch(/^MISMATCH \(exit 1\)/m);
      }
    });
    test("prints no secret, whole or in part, in any form", () => expect(leaks(run.stdout + run.stderr)).toEqual([]));
  });
});

test("secrets shorter than 4 characters are hidden where a request is echoed, yet the rest of the output keeps its letters", async () => {
  const args = common(idp.url("echo-token"), "json").map((a) => (a === CLIENT_SECRET ? "s" : a));
  const run = await runner.run([...args, "--grant", "password", "--users", usersFile], {
    ...LOGIN,
    AUTH0_VERIFY_PASSWORD: "pw",
  });
  const error = reportOf(run).error as string;
  expect(error).toMatch(
    /^the password grant was refused: invalid_request: you sent username=alice%40example\.com&password=\[redacted\]&/,
  );
  expect(error).toContain('"password":"[redacted]"');
  expect(error).toContain('"client_secret":"[redacted]"');
  expect(error).not.toMatch(/password=pw|client_secret=s\b|"pw"|"s"/);
});

// A usage error is one line on stderr, --json or not.
describe("credentials in --domain are refused, never printed (exit 2)", () => {
  const CREDENTIALS = `user:${randomBytes(12).toString("hex")}`;
  const withCredentials = (url: string) => url.replace("://", `://${CREDENTIALS}@`);

  test.each(["json", "human"] as const)("--domain http://user:secret@host/ (%s)", async (mode) => {
    const domain = withCredentials(idp.url("none"));
    const run = await runner.run([...common(domain, mode), "--grant", "password", "--users", usersFile], LOGIN);
    expect(run.stdout + run.stderr).not.toContain(CREDENTIALS.slice(5, 13));
    expect(run.exit).toBe(2);
    const bare = idp.url("none");
    const message = `--domain: http://[redacted]@${bare.slice("http://".length)} carries credentials (user:password@ before the host); a tenant takes none, and verify must neither send nor print them: give --domain ${bare}`;
    expect(run.stderr).toBe(`verify: ${message}\n`);
  });

  test("AUTH0_VERIFY_DOMAIN=user:secret@host, no scheme: the variable is named", async () => {
    const bare = idp.url("none").slice("http://".length);
    const run = await runner.run([...common(undefined, "json"), "--grant", "password", "--users", usersFile], {
      ...LOGIN,
      AUTH0_VERIFY_DOMAIN: `${CREDENTIALS}@${bare}`,
    });
    expect(run.stdout + run.stderr).not.toContain(CREDENTIALS.slice(5, 13));
    expect(run.exit).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^verify: AUTH0_VERIFY_DOMAIN: \\[redacted\\]@.* carries credentials .*: set AUTH0_VERIFY_DOMAIN=${bare.replace(/[.]/g, "\\.")}\n$`,
      ),
    );
  });

  test("--redirect-uri with credentials is refused the same way", async () => {
    const port = await freePort();
    const run = await runner.run([
      ...common(idp.url("none"), "json", 5),
      "--users",
      usersFile,
      "--redirect-uri",
      `http://${CREDENTIALS}@127.0.0.1:${port}/callback`,
    ]);
    expect(run.stdout + run.stderr).not.toContain(CREDENTIALS.slice(5, 13));
    expect(run.exit).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^verify: --redirect-uri: http://\\[redacted\\]@127\\.0\\.0\\.1:${port}/callback carries credentials .*: give --redirect-uri http://127\\.0\\.0\\.1:${port}/callback\n$`,
      ),
    );
  });
});
