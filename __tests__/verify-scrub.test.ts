// How verify's output loses its secrets (src/scrub.ts): each form an echo may give a secret,
// a secret cut short by an ellipsis, the rule for very short secrets, tokens shown on purpose, URL
// credentials, and the secrets a request carries. The hostile servers of verify-secrets.test.ts
// check the same end to end.
import { escapeControl, quote } from "../src/errors";
import { REDACTED, Secrets } from "../src/scrub";

const SECRET = 'Xk9/q+"Zr é&v=\\w%7 t\u0007Lm';

function secretsOf(...values: string[]): Secrets {
  const secrets = new Secrets();
  secrets.add(...values);
  return secrets;
}

test.each([
  ["as is", SECRET],
  ["URL-encoded", encodeURIComponent(SECRET)],
  ["URL-encoded in lower case", encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
  ["form-encoded", new URLSearchParams({ v: SECRET }).toString().slice(2)],
  ["JSON-escaped", JSON.stringify(SECRET).slice(1, -1)],
  ["JSON-escaped twice", JSON.stringify(JSON.stringify(SECRET)).slice(3, -3)],
  ["JSON-escaped to ASCII", JSON.stringify(SECRET).slice(1, -1).replace("é", "\\u00e9")],
  ["with control characters escaped", escapeControl(SECRET)],
  ["quoted, then in JSON", JSON.stringify(quote(SECRET)).slice(3, -3)],
  ["in base64", Buffer.from(SECRET).toString("base64")],
  ["in base64url", Buffer.from(SECRET).toString("base64url")],
])("a secret %s is replaced, the text around it kept", (_form, echoed) => {
  expect(secretsOf(SECRET).scrub(`server said: <${echoed}> (HTTP 400)`)).toBe(`server said: <${REDACTED}> (HTTP 400)`);
});

test("a client's credentials as an Authorization: Basic header carries them are replaced", () => {
  const secrets = new Secrets();
  secrets.addClient("my client", "s3cret+/=");
  const form = Buffer.from("my+client:s3cret%2B%2F%3D").toString("base64");
  const plain = Buffer.from("my client:s3cret+/=").toString("base64");
  expect(secrets.scrub(`Authorization: Basic ${form}, or Basic ${plain}`)).toBe(
    `Authorization: Basic ${REDACTED}, or Basic ${REDACTED}`,
  );
});

test("the start of a secret that an ellipsis cuts short is replaced, down to 4 characters", () => {
  const secrets = secretsOf("0123456789abcdef");
  for (const kept of [4, 9, 15]) {
    const cut = quote(`the body: 0123456789abcdef, and more`, 14 + kept);
    expect(cut).toBe(`"the body: ${"0123456789abcdef".slice(0, kept)}...`);
    expect(secrets.scrub(`refused: ${cut}; check it`)).toBe(`refused: "the body: ${REDACTED}...; check it`);
  }
  // Three characters of a 16-character secret are no secret, and too common to take out.
  expect(secrets.scrub('"the body: 012...')).toBe('"the body: 012...');
});

test("secrets shorter than 4 characters stay in ordinary text, but not as a request's fields", () => {
  const secrets = secretsOf("pw", "s");
  expect(secrets.scrub("its iat is 86400 s in the future; the password grant was refused")).toBe(
    "its iat is 86400 s in the future; the password grant was refused",
  );
  expect(secrets.scrub("you sent grant_type=password&password=pw&client_secret=s&code=ab")).toBe(
    `you sent grant_type=password&password=${REDACTED}&client_secret=${REDACTED}&code=${REDACTED}`,
  );
  const body = JSON.stringify({ password: "pw", client_secret: "s", code_verifier: "v" });
  expect(secrets.scrub(JSON.stringify(`you sent ${body}`))).toBe(
    JSON.stringify(
      `you sent ${JSON.stringify({ password: REDACTED, client_secret: REDACTED, code_verifier: REDACTED })}`,
    ),
  );
  // Look-alike fields are not secrets.
  expect(secrets.scrub("response_type=code&code_challenge=abc&grant_type=password")).toBe(
    "response_type=code&code_challenge=abc&grant_type=password",
  );
});

test("the tokens shown on purpose (--show-tokens) are printed, even when a request sent them later", () => {
  const secrets = new Secrets();
  secrets.show("eyJ.shown.token");
  secrets.sent("http://127.0.0.1:4000/userinfo", { headers: { authorization: "Bearer eyJ.shown.token" } });
  expect(secrets.scrub("access_token eyJ.shown.token")).toBe("access_token eyJ.shown.token");
});

test("a secret found inside the marker doesn't break an earlier marker", () => {
  expect(secretsOf("dact").scrub(`${REDACTED} and dact`)).toBe(`${REDACTED} and ${REDACTED}`);
});

test("credentials in any URL are replaced; an email is not a credential", () => {
  expect(new Secrets().scrub("GET https://user:pa55@tenant.example/x for alice@example.com")).toBe(
    `GET https://${REDACTED}@tenant.example/x for alice@example.com`,
  );
});

test("a request's Authorization header and secret fields (form, JSON, query) become secrets wherever they are echoed", () => {
  const secrets = new Secrets();
  secrets.sent("http://127.0.0.1:4000/oauth/token?refresh_token=query-secret", {
    headers: { authorization: "Bearer bearer-secret" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: "the-code",
      code_verifier: "the-verifier",
      redirect_uri: "http://127.0.0.1:3000/callback",
    }),
  });
  secrets.sent("http://127.0.0.1:4000/oauth/token", {
    body: JSON.stringify({ grant_type: "client_credentials", client_id: "m", client_secret: "json-secret" }),
  });
  secrets.sent("http://127.0.0.1:4000/x", {
    headers: { authorization: `Basic ${Buffer.from("id:basic-secret").toString("base64")}` },
  });
  expect(
    secrets.scrub(
      "bearer-secret the-code the-verifier query-secret json-secret basic-secret grant_type authorization_code http://127.0.0.1:3000/callback client_credentials",
    ),
  ).toBe(
    `${Array(6).fill(REDACTED).join(" ")} grant_type authorization_code http://127.0.0.1:3000/callback client_credentials`,
  );
});
