// A misbehaving OpenID Provider for negative tests. One server hosts one tenant per misbehaviour, at
// http://127.0.0.1:PORT/<misbehaviour>/, each wrong in exactly one way (signing key, issuer, audience,
// nonce, time claims, subject, Management API record, an endpoint that hangs or never stops
// sending, or echoes the secrets it was sent); "none" is the well-behaved control. Signing uses node:crypto.
import { createSign, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const MISBEHAVIOURS = [
  "none",
  "foreign-key",
  "wrong-issuer",
  "opaque-access",
  "unsigned-access",
  "not-jws-access",
  "wrong-aud-access",
  "wrong-aud-id",
  "expired-access",
  "no-nonce",
  "wrong-nonce",
  "future-iat-id",
  "future-iat-access",
  "future-nbf-id",
  "other-subject",
  "other-subject-no-email",
  "other-subject-access",
  "mgmt-other-user",
  // Auth0's answer to a login with a wrong client secret (or id): 401 access_denied "Unauthorized".
  "auth0-unauthorized",
  "auth0-unauthorized-code",
  "hang-discovery",
  "hang-jwks",
  "hang-token",
  "stall-token-body",
  "hang-userinfo",
  "hang-mgmt",
  "huge-discovery",
  "huge-token",
  "huge-jwks",
  "huge-userinfo",
  "huge-mgmt",
  // Each quotes what it was sent (body, Authorization header, query) back where verify prints it.
  "echo-token",
  "echo-claims",
  "echo-mgmt-token",
  "echo-mgmt-user",
] as const;
export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

export interface RogueUser {
  readonly sub: string;
  readonly email: string;
  readonly password: string;
  /** Custom claims put on both tokens and /userinfo. */
  readonly claims: Record<string, unknown>;
  readonly app_metadata: Record<string, unknown>;
}

export interface RogueIdp {
  /** The issuer URL of the tenant that misbehaves this way. */
  url(misbehaviour: Misbehaviour): string;
  /** Every secret the server handed out (tokens, codes) or was sent (client secrets, passwords, PKCE verifiers) so far. */
  secrets(): string[];
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function sign(payload: object, key: KeyObject, kid: string): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${b64url(signature)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => resolve(text));
  });
}

/** Sends JSON-looking bytes until the client goes away (or 600 MB): only a reader with a cap gets out. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  res.write('{"padding": "');
  let sent = 0;
  const pump = () => {
    while (!res.destroyed && sent < 600e6) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

/** The claims namespace of the dev environment, which verify expects the rogue server's tokens to carry. */
const DEV_NS = "https://dev.example.com/claims";

/** A user of the rogue server with `roles`, and the claims verify expects of them in dev. */
export function rogueUser(name: string, roles: string[], password: string): RogueUser {
  return {
    sub: `auth0|${name}`,
    email: `${name}@example.com`,
    password,
    app_metadata: { roles, permissions: [`read:${name}`] },
    claims: { [`${DEV_NS}/roles`]: roles, [`${DEV_NS}/permissions`]: [`read:${name}`] },
  };
}

/** The users as a user export (NDJSON), what verify's --users reads. */
export function exportOf(users: readonly RogueUser[]): string {
  return (
    users.map((u) => JSON.stringify({ user_id: u.sub, email: u.email, app_metadata: u.app_metadata })).join("\n") + "\n"
  );
}

/**
 * A watcher of verify's output for its code flow against the rogue server: the "browser" follows the
 * authorize redirect straight to verify's callback, once.
 */
export function followAuthorize(): (text: string) => void {
  let followed = false;
  return (text) => {
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/\S+\/authorize\?\S+)$/m.exec(text)?.[1];
    if (!url || followed) return;
    followed = true;
    void fetch(url, { redirect: "manual" }).then((r) => fetch(r.headers.get("location") as string));
  };
}

/**
 * `echoClaim`: the claim in which "echo-claims" puts what it was sent, on both tokens and /userinfo
 * (under the namespace verify checks, a claim verify prints).
 */
export async function startRogueIdp(
  clientId: string,
  users: RogueUser[],
  audience: string,
  echoClaim = "https://echo.example/request",
): Promise<RogueIdp> {
  const published = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 });
  let origin = "";
  const codes = new Map<string, { nonce?: string; user: RogueUser }>();
  const secrets: string[] = [];
  /** A fresh secret the server hands out, kept so a test can look for it in verify's output. */
  const issue = (prefix: string) => {
    const value = `${prefix}-${randomBytes(24).toString("base64url")}`;
    secrets.push(value);
    return value;
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const url = new URL(req.url ?? "/", origin);
    const [, prefix, ...rest] = url.pathname.split("/");
    const how = prefix as Misbehaviour;
    if (!MISBEHAVIOURS.includes(how)) return res.writeHead(404).end();
    const path = "/" + rest.join("/");
    const issuer = `${origin}/${how}/`;
    const json = (body: unknown, status = 200) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const hang = (name: string) => how === `hang-${name}`;
    const huge = (name: string) => how === `huge-${name}`;
    // A request to a hanging endpoint is left open; close() ends it.
    if (path === "/.well-known/openid-configuration") {
      if (hang("discovery")) return;
      if (huge("discovery")) return endless(res);
      return json({
        issuer,
        authorization_endpoint: `${issuer}authorize`,
        token_endpoint: `${issuer}oauth/token`,
        userinfo_endpoint: `${issuer}userinfo`,
        jwks_uri: `${issuer}.well-known/jwks.json`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (path === "/.well-known/jwks.json") {
      if (hang("jwks")) return;
      if (huge("jwks")) return endless(res);
      return json({
        keys: [{ ...published.publicKey.export({ format: "jwk" }), kid: "published", alg: "RS256", use: "sig" }],
      });
    }
    if (path === "/authorize") {
      // Logs in the first user at once, as a browser would after the login page.
      const code = issue("code");
      codes.set(code, { nonce: url.searchParams.get("nonce") ?? undefined, user: users[0] });
      const back = new URL(url.searchParams.get("redirect_uri") as string);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      return res.writeHead(302, { location: back.href }).end();
    }
    if (path === "/oauth/token") {
      if (hang("token")) return;
      if (huge("token")) return endless(res);
      // Headers and the start of a body, then nothing: only a bound on reading the body ends it.
      if (how === "stall-token-body")
        return void res.writeHead(200, { "content-type": "application/json" }).write('{"access_token": "');
      const text = await readBody(req);
      // The Management API's client credentials come as JSON, the logins as a form.
      if (req.headers["content-type"]?.startsWith("application/json")) {
        secrets.push(String(JSON.parse(text).client_secret));
        if (how === "echo-mgmt-token")
          return json({ error: "access_denied", error_description: `you sent ${text}` }, 401);
        return json({ access_token: issue("mgmt"), token_type: "Bearer", expires_in: 600 });
      }
      const form = new URLSearchParams(text);
      for (const name of ["client_secret", "password", "code", "code_verifier"])
        if (form.has(name)) secrets.push(form.get(name) as string);
      if (how === "echo-token") {
        // The request as sent, its values decoded, as JSON, and the client's credentials as client_secret_basic would carry them.
        const basic = Buffer.from(`${form.get("client_id")}:${form.get("client_secret")}`).toString("base64");
        const echo =
          `you sent ${text}; values ${[...form.values()].join(" ")}; as JSON ${JSON.stringify(Object.fromEntries(form))}; ` +
          `authorization ${req.headers.authorization ?? "none"}, or Basic ${basic}; query ${url.search}`;
        return json({ error: "invalid_request", error_description: echo }, 400);
      }
      if (how.startsWith("auth0-unauthorized"))
        return json({ error: "access_denied", error_description: "Unauthorized" }, 401);
      const grant = form.get("grant_type");
      let user: RogueUser | undefined;
      let nonce: string | undefined;
      if (grant === "password") {
        user = users.find((u) => u.email === form.get("username") && u.password === form.get("password"));
        if (!user) return json({ error: "invalid_grant", error_description: "Wrong email or password." }, 403);
      } else if (grant === "authorization_code") {
        const login = codes.get(form.get("code") ?? "");
        if (!login) return json({ error: "invalid_grant" }, 400);
        ({ user, nonce } = login);
      } else {
        return json({ error: "unsupported_grant_type" }, 400);
      }
      if (how.startsWith("other-subject") && how !== "other-subject-access")
        user = users.find((u) => u !== user) ?? user;
      const now = Math.floor(Date.now() / 1000);
      const day = 86_400;
      const idClaims: Record<string, unknown> = {
        iss: how === "wrong-issuer" ? "https://someone-else.example/" : issuer,
        sub: user.sub,
        aud: how === "wrong-aud-id" ? "someone-elses-client" : clientId,
        iat: how === "future-iat-id" ? now + day : now,
        exp: now + day + 600,
        ...(how === "future-nbf-id" ? { nbf: now + day } : {}),
        ...(how === "other-subject-no-email" ? {} : { email: user.email }),
        ...user.claims,
        ...(how === "echo-claims" ? { [echoClaim]: text, [`${echoClaim}-fields`]: Object.fromEntries(form) } : {}),
      };
      if (how === "wrong-nonce") idClaims.nonce = "not-the-nonce-sent";
      else if (nonce !== undefined && how !== "no-nonce") idClaims.nonce = nonce;
      const idToken = sign(idClaims, how === "foreign-key" ? foreign.privateKey : published.privateKey, "published");
      const accessFor = how === "other-subject-access" ? (users.find((u) => u !== user) as RogueUser) : user;
      const accessClaims = {
        iss: issuer,
        sub: accessFor.sub,
        aud: how === "wrong-aud-access" ? ["https://someone-else.example/api"] : [audience, `${issuer}userinfo`],
        iat: how === "future-iat-access" ? now + day : how === "expired-access" ? now - 2 * day : now,
        exp: how === "expired-access" ? now - day : now + day + 600,
        scope: "openid profile email",
        ...accessFor.claims,
        ...(how === "echo-claims" ? { [echoClaim]: text } : {}),
      };
      const accessToken =
        how === "opaque-access"
          ? "opaque-8c1f5e2a"
          : how === "not-jws-access"
            ? "aaaa.bbbb.cccc"
            : how === "unsigned-access"
              ? `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(accessClaims))}.`
              : sign(accessClaims, published.privateKey, "published");
      secrets.push(accessToken, idToken);
      const refresh = how === "echo-claims" ? { refresh_token: issue("refresh") } : {};
      return json({
        access_token: accessToken,
        token_type: "Bearer",
        expires_in: 600,
        id_token: idToken,
        scope: "openid profile email",
        ...refresh,
      });
    }
    if (path === "/userinfo") {
      if (hang("userinfo")) return;
      if (huge("userinfo")) return endless(res);
      // /userinfo answers for whoever the tokens of this misbehaviour are for.
      const [first, second] = users;
      const user = how.startsWith("other-subject") && how !== "other-subject-access" ? second : first;
      const echo =
        how === "echo-claims" ? { [echoClaim]: `authorization ${req.headers.authorization}; query ${url.search}` } : {};
      return json({
        sub: user.sub,
        ...(how === "other-subject-no-email" ? {} : { email: user.email }),
        ...user.claims,
        ...echo,
      });
    }
    if (path.startsWith("/api/v2/users/")) {
      if (hang("mgmt")) return;
      if (huge("mgmt")) return endless(res);
      if (how === "echo-mgmt-user") {
        // Padded so that verify's quote of a non-JSON answer (120 characters) ends inside the token.
        return res
          .writeHead(200, { "content-type": "text/plain" })
          .end(`${"forbidden ".repeat(8)}authorization ${req.headers.authorization}; query ${url.search}`);
      }
      const id = decodeURIComponent(path.slice("/api/v2/users/".length));
      let user = users.find((u) => u.sub === id);
      if (!user) return json({ statusCode: 404, error: "Not Found" }, 404);
      if (how === "mgmt-other-user") user = users.find((u) => u !== user) ?? user;
      return json({ user_id: user.sub, email: user.email, app_metadata: user.app_metadata });
    }
    return res.writeHead(404).end();
  };
  // A handler that throws ends its request, rather than leaving an unhandled rejection.
  const server: Server = createServer(
    (req, res) => void answer(req, res).catch((err: unknown) => res.destroy(err as Error)),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (misbehaviour) => `${origin}/${misbehaviour}/`,
    secrets: () => [...secrets],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
