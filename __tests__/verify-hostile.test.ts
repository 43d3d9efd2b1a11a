// verify against a hostile OpenID server that misbehaves one way at a time: every case must end in a
// failure that names why (never exit 0), every hang within --timeout, every flood at the body cap.
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { tenantCertificates } from "../src/local-tenant/certificates";
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

const CLIENT = "rogue-client";
const API = "https://api.example.com";
/**
 * --timeout of the cases that hang: each waits this long, all side by side. It bounds the whole run,
 * so the steps before the hanging one (up to four requests for hang-mgmt) must fit in it on a busy machine.
 */
const TIMEOUT_S = 5;
/** --timeout of every other case: generous, so a busy machine never turns a refusal into a time-out. */
const SLACK_S = 60;
const USERS = [rogueUser("alice", ["admin"], "pw"), rogueUser("bob", ["viewer"], "pw")];

const { dir, file } = scratch("claims-hostile-");
const usersFile = file("users.ndjson", exportOf(USERS));
let idp: RogueIdp;
let runner: VerifyRunner;

beforeAll(async () => {
  idp = await startRogueIdp(CLIENT, USERS, API);
  runner = new VerifyRunner();
});
afterAll(async () => {
  runner.close();
  await idp.close();
});

const LOGIN = { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: "pw" };
const common = (domain: string, timeout = SLACK_S) => [
  "--env",
  "dev",
  "--domain",
  domain,
  "--client-id",
  CLIENT,
  "--client-secret",
  "s",
  "--json",
  "--timeout",
  String(timeout),
];

/** The password grant with --audience and --users: everything verify can check. */
function passwordGrant(
  how: Misbehaviour,
  extra: string[] = ["--users", usersFile],
  timeout = SLACK_S,
): Promise<VerifyRun> {
  return runner.run([...common(idp.url(how), timeout), "--grant", "password", "--audience", API, ...extra], LOGIN);
}

/** The code flow, the "browser" following the authorize redirect straight to verify's callback. */
async function codeFlow(how: Misbehaviour): Promise<VerifyRun> {
  const port = await freePort();
  return runner.run(
    [
      ...common(idp.url(how)),
      "--users",
      usersFile,
      "--audience",
      API,
      "--redirect-uri",
      `http://127.0.0.1:${port}/callback`,
    ],
    {},
    followAuthorize(),
  );
}

test("the well-behaved control: the same server unbroken gives MATCH (exit 0)", async () => {
  const run = await passwordGrant("none");
  expect(reportOf(run)).toMatchObject({ verdict: "MATCH", exit: 0, code: null, error: null, subject: "auth0|alice" });
  expect(run.exit).toBe(0);
});

test("the code flow against the control gives MATCH with the nonce checked (exit 0)", async () => {
  const run = await codeFlow("none");
  expect(reportOf(run)).toMatchObject({ verdict: "MATCH", error: null });
  expect(reportOf(run).checks).toContainEqual({ name: "nonce", ok: true, detail: "matches the one sent" });
  expect(run.exit).toBe(0);
});

// openid-client checks a login's ID token before verify sees it; these cases hand a token straight
// to verify's own checks (the report's "ID token" and "nonce" lines), so each check stands on its own.
describe("verify's own checks of an ID token", () => {
  /** An ID token for alice from the server's token endpoint, fetched without openid-client. */
  async function idTokenFrom(how: Misbehaviour): Promise<string> {
    const body = new URLSearchParams({
      grant_type: "password",
      username: "alice@example.com",
      password: "pw",
      client_id: CLIENT,
      client_secret: "s",
      scope: "openid",
    });
    const response = await fetch(`${idp.url(how)}oauth/token`, { method: "POST", body });
    return ((await response.json()) as { id_token: string }).id_token;
  }
  const check = async (how: Misbehaviour, nonce?: string) =>
    runner.checkIdToken({ domain: idp.url(how), clientId: CLIENT, token: await idTokenFrom(how), nonce });

  test("the control: a token for this client passes the ID token check", async () => {
    expect(await check("none")).toEqual({ checks: ["ID token"] });
  });

  test("a token for another client is refused, naming both audiences", async () => {
    expect(await check("wrong-aud-id")).toEqual({
      error: 'ID token rejected: its audience is "someone-elses-client", not "rogue-client"',
    });
  });

  test("a token without the nonce sent is refused as replayed or foreign", async () => {
    expect(await check("none", "the-nonce-sent")).toEqual({
      error: "ID token rejected: its nonce is not the one sent (a replayed or foreign token)",
    });
  });
});

test("without --audience, the access token's expected claims are NOT CHECKED: verdict PARTIAL, exit 4", async () => {
  const run = await runner.run([...common(idp.url("none")), "--grant", "password", "--users", usersFile], LOGIN);
  const report = reportOf(run);
  expect(run.exit).toBe(4);
  expect(report).toMatchObject({ ok: false, verdict: "PARTIAL", exit: 4, code: "ERR_NOT_CHECKED" });
  expect((report.claims as { accessToken: unknown }).accessToken).toMatchObject({
    checked: false,
    skipped: expect.stringMatching(/^no --audience/),
  });
  expect(report.notChecked).toEqual([
    { name: "accessToken", why: expect.stringMatching(/2 expected claim\(s\) on it NOT CHECKED: give --audience API/) },
  ]);
});

test("the human verdict line of a partial run says what was not checked, never a bare MATCH", async () => {
  const args = common(idp.url("none")).filter((a) => a !== "--json");
  const run = await runner.run([...args, "--grant", "password", "--users", usersFile], LOGIN);
  expect(run.exit).toBe(4);
  expect(run.stdout).toMatch(
    /^PARTIAL MATCH \(exit 4\): ID token, \/userinfo match; NOT CHECKED: accessToken: no --audience/m,
  );
  expect(run.stdout).toMatch(/^ {2}access token {2}NOT CHECKED: no --audience/m);
  expect(run.stdout).not.toMatch(/^MATCH/m);
});

// [misbehaviour, how verify logs in, the message the failure must carry, the code --json gives it
// (docs/errors.md), which a pipeline branches on]; each must exit 3.
const REJECTED: [Misbehaviour, "password" | "code" | "mgmt", RegExp, string][] = [
  [
    "opaque-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: it is not a JWT \(an opaque string\)/,
    "ERR_TOKEN_FORMAT",
  ],
  [
    "not-jws-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: it is not a JWT \(three parts, but not a JWS\)/,
    "ERR_TOKEN_FORMAT",
  ],
  [
    "unsigned-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: it is unsigned \(alg none\)/,
    "ERR_TOKEN_SIGNATURE",
  ],
  [
    "wrong-aud-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: its audience is \["https:\/\/someone-else\.example\/api"\], not "https:\/\/api\.example\.com"$/,
    "ERR_TOKEN_AUDIENCE",
  ],
  [
    "expired-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: it has expired/,
    "ERR_TOKEN_EXPIRED",
  ],
  [
    "future-iat-access",
    "password",
    /^access token \(--audience https:\/\/api\.example\.com\) rejected: its iat \(issued at\) is 86\d{3} s in the future, beyond the clock tolerance of 60 s/,
    "ERR_TOKEN_CLOCK",
  ],
  ["wrong-aud-id", "password", /^the password grant was refused: .*"aud" \(audience\) claim/, "ERR_TOKEN_AUDIENCE"],
  [
    "future-iat-id",
    "password",
    /^ID token rejected: its iat \(issued at\) is 86\d{3} s in the future, beyond the clock tolerance of 60 s/,
    "ERR_TOKEN_CLOCK",
  ],
  ["future-nbf-id", "password", /^the password grant was refused: .*"nbf" \(not before\)/, "ERR_TOKEN_CLOCK"],
  [
    "foreign-key",
    "password",
    /^ID token rejected: its signature doesn't match any key of the tenant's JWKS/,
    "ERR_TOKEN_SIGNATURE",
  ],
  ["wrong-issuer", "password", /^the password grant was refused: .*"iss" \(issuer\) claim value/, "ERR_TOKEN_ISSUER"],
  ["no-nonce", "code", /^the login was refused: .*nonce/, "ERR_TOKEN_NONCE"],
  ["wrong-nonce", "code", /^the login was refused: .*nonce/, "ERR_TOKEN_NONCE"],
  [
    "other-subject",
    "password",
    /^the tokens are for "auth0\|bob" \(email "bob@example\.com"\), but the password grant logged in "alice@example\.com"$/,
    "ERR_IDENTITY_MISMATCH",
  ],
  [
    "other-subject-no-email",
    "password",
    /says "alice@example\.com" is "auth0\|alice", but the tokens are for "auth0\|bob"$/,
    "ERR_IDENTITY_MISMATCH",
  ],
  [
    "other-subject-access",
    "password",
    /^access token rejected: it is for "auth0\|bob", but the ID token is for "auth0\|alice"$/,
    "ERR_TOKEN_SUBJECT",
  ],
  [
    "auth0-unauthorized",
    "password",
    /^the password grant was refused: access_denied: Unauthorized; Auth0 answers this to a wrong client id or secret: check --client-id and --client-secret \(or AUTH0_VERIFY_CLIENT_ID, AUTH0_VERIFY_CLIENT_SECRET\)/,
    "ERR_LOGIN_REFUSED",
  ],
  [
    "auth0-unauthorized-code",
    "code",
    /^the login was refused: access_denied: Unauthorized; Auth0 answers this to a wrong client id or secret: check --client-id and --client-secret/,
    "ERR_LOGIN_REFUSED",
  ],
  [
    "mgmt-other-user",
    "mgmt",
    /^the Management API answered for the subject "auth0\|alice" with the record of "auth0\|bob"/,
    "ERR_IDENTITY_MISMATCH",
  ],
];

const MGMT = ["--mgmt-client-id", "m", "--mgmt-client-secret", "s"];

// Each endpoint in turn never answers (or stops mid-body): verify must give up at --timeout.
const HANGS: [Misbehaviour, RegExp, string[]?][] = [
  [
    "hang-discovery",
    /^GET http:\/\/127\.0\.0\.1:\d+\/hang-discovery\/\.well-known\/openid-configuration: no answer within --timeout 5 s/,
  ],
  ["hang-jwks", /^GET http:\/\/127\.0\.0\.1:\d+\/hang-jwks\/\.well-known\/jwks\.json: no answer within --timeout 5 s/],
  ["hang-token", /^POST http:\/\/127\.0\.0\.1:\d+\/hang-token\/oauth\/token: no answer within --timeout 5 s/],
  [
    "stall-token-body",
    /^POST http:\/\/127\.0\.0\.1:\d+\/stall-token-body\/oauth\/token: no answer within --timeout 5 s/,
  ],
  ["hang-userinfo", /^GET http:\/\/127\.0\.0\.1:\d+\/hang-userinfo\/userinfo: no answer within --timeout 5 s/],
  [
    "hang-mgmt",
    /^GET http:\/\/127\.0\.0\.1:\d+\/hang-mgmt\/api\/v2\/users\/auth0%7Calice\?.*: no answer within --timeout 5 s/,
    MGMT,
  ],
];

const HUGE = ["huge-discovery", "huge-jwks", "huge-token", "huge-userinfo", "huge-mgmt"] as const;

// Every case of the three tables starts at once, when the server is up: the hangs wait out their
// --timeout side by side instead of one after another. Each describe's beforeAll awaits its own.
const runs = new Map<Misbehaviour, Promise<VerifyRun>>();
beforeAll(() => {
  // The hangs first: their clocks start now, before the other cases compete for the CPU.
  for (const [how, , extra] of HANGS) runs.set(how, passwordGrant(how, extra, TIMEOUT_S));
  for (const [how, flow] of REJECTED)
    runs.set(how, flow === "code" ? codeFlow(how) : passwordGrant(how, flow === "mgmt" ? MGMT : undefined));
  for (const how of HUGE) runs.set(how, passwordGrant(how, how === "huge-mgmt" ? MGMT : undefined));
});
const started = (how: Misbehaviour) => runs.get(how) as Promise<VerifyRun>;

describe.each(REJECTED)("%s", (how, flow, message, code) => {
  let run: VerifyRun;
  beforeAll(async () => {
    run = await started(how);
  });
  test("fails with exit 3", () => expect(run.exit).toBe(3));
  test("names why", () => expect(reportOf(run).error).toMatch(message));
  test(`gives the code ${code}`, () => expect(reportOf(run)).toMatchObject({ code, exit: 3, verdict: "FAILED" }));
});

describe.each(HANGS)("%s", (how, message) => {
  let run: VerifyRun;
  beforeAll(async () => {
    run = await started(how);
  });
  test("fails with exit 3 naming the endpoint and the time-out, code ERR_TIMEOUT", () => {
    expect(reportOf(run).error).toMatch(message);
    expect(reportOf(run).code).toBe("ERR_TIMEOUT");
    expect(run.exit).toBe(3);
  });
  test("ends within --timeout plus a generous margin", () => expect(run.ms).toBeLessThan(TIMEOUT_S * 1000 + 10_000));
});

// Each endpoint in turn sends an endless body: verify stops reading at 1 MiB.
describe.each(HUGE)("%s", (how) => {
  let run: VerifyRun;
  beforeAll(async () => {
    run = await started(how);
  });
  test("fails with exit 3 at the body limit, naming the endpoint, code ERR_BODY_TOO_LARGE", () => {
    expect(reportOf(run).code).toBe("ERR_BODY_TOO_LARGE");
    expect(reportOf(run).error).toMatch(
      new RegExp(
        `^(GET|POST) http://127\\.0\\.0\\.1:\\d+/${how}/\\S+ sent more than 1048576 bytes, over the limit of 1048576 bytes \\(1 MiB\\) for any response`,
      ),
    );
    expect(run.exit).toBe(3);
  });
});

describe("messages that lead to the fix", () => {
  test("an issuer mismatch names both issuers and that localhost and 127.0.0.1 differ (exit 3)", async () => {
    const domain = idp.url("none").replace("127.0.0.1", "localhost");
    const run = await runner.run([...common(domain), "--grant", "password", "--users", usersFile], LOGIN);
    expect(run.exit).toBe(3);
    expect(reportOf(run).error).toBe(
      `issuer mismatch: --domain gives the issuer ${domain}, but ${domain}.well-known/openid-configuration names ${idp.url("none")}; ` +
        `give --domain ${idp.url("none")} (the issuer is compared as written: localhost and 127.0.0.1 are different issuers)`,
    );
  });

  test("a loopback domain without a scheme suggests http:// (exit 3)", async () => {
    const bare = idp.url("none").replace(/^http:\/\//, "");
    const run = await runner.run([...common(bare), "--grant", "password", "--users", usersFile], LOGIN);
    expect(run.exit).toBe(3);
    expect(reportOf(run).error).toMatch(
      new RegExp(
        `^GET https://${bare.replace(/[.]/g, "\\.")}\\.well-known/openid-configuration: the server does not answer in TLS \\(SSL wrong version number\\); --domain "${bare.replace(/[.]/g, "\\.")}" has no scheme, so verify used https; a local tenant speaks plain http: give --domain http://`,
      ),
    );
  });

  describe("a tenant behind a private CA", () => {
    let server: HttpsServer;
    let url: string;
    beforeAll(async () => {
      // The local tenant's own certificates: a leaf for 127.0.0.1 signed by a CA made here, trusted by no one.
      const { key, cert } = await tenantCertificates(join(dir, "private-ca"));
      server = createHttpsServer({ key, cert }, (_req, res) => res.end("{}"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test("an untrusted certificate says how to trust the CA: NODE_EXTRA_CA_CERTS (exit 3)", async () => {
      const run = await runner.run([...common(url), "--grant", "password", "--users", usersFile], LOGIN);
      expect(run.exit).toBe(3);
      expect(reportOf(run).error).toMatch(
        /^GET https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: the server's TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\); .*NODE_EXTRA_CA_CERTS=\/path\/ca\.pem/,
      );
    });
  });
});
