// A misbehaving OpenID Provider for negative tests: its discovery and JWKS look right, but the
// tokens it issues are signed by another key or carry another issuer. Signing uses node:crypto.
import { createSign, generateKeyPairSync, KeyObject } from "node:crypto";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Misbehaviour = "foreign-key" | "wrong-issuer";

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function sign(payload: object, key: KeyObject, kid: string): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${b64url(signature)}`;
}

export async function startRogueIdp(misbehaviour: Misbehaviour, clientId: string): Promise<{ url: string; close: () => Promise<void> }> {
  const published = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 });
  let url = "";
  const server: Server = createServer((req, res) => {
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/openid-configuration") {
      return json({
        issuer: url,
        authorization_endpoint: `${url}authorize`,
        token_endpoint: `${url}oauth/token`,
        userinfo_endpoint: `${url}userinfo`,
        jwks_uri: `${url}.well-known/jwks.json`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (req.url === "/.well-known/jwks.json") {
      return json({ keys: [{ ...published.publicKey.export({ format: "jwk" }), kid: "published", alg: "RS256", use: "sig" }] });
    }
    if (req.url === "/oauth/token") {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: misbehaviour === "wrong-issuer" ? "https://someone-else.example/" : url, sub: "auth0|alice", aud: clientId, iat: now, exp: now + 600 };
      const idToken = misbehaviour === "foreign-key" ? sign(claims, foreign.privateKey, "published") : sign(claims, published.privateKey, "published");
      return json({ access_token: "opaque-token", token_type: "Bearer", expires_in: 600, id_token: idToken, scope: "openid profile email" });
    }
    if (req.url === "/userinfo") return json({ sub: "auth0|alice" });
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
