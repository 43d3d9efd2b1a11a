// Logging in to the tenant with openid-client, configured by discovery: the authorization code flow
// with PKCE, state, nonce and prompt=login through a loopback callback, or the password grant.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import * as client from "openid-client";
import { AuthError } from "../errors";
import { errorText } from "./errors";
import type { VerifyOptions } from "./options";

export interface Tokens {
  readonly idToken?: string;
  readonly accessToken: string;
  /** The nonce sent, which the ID token must carry (code flow only). */
  readonly nonce?: string;
  readonly flow: string;
}

export async function discover(options: VerifyOptions): Promise<client.Configuration> {
  const where = new URL(".well-known/openid-configuration", options.issuerUrl).href;
  try {
    return await client.discovery(
      options.issuerUrl,
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
      options.issuerUrl.protocol === "http:" ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  } catch (err) {
    throw new AuthError(`can't read ${where}: ${errorText(err)}; check --domain and that the tenant is up`);
  }
}

/** The authorization code flow: prints (or opens) the authorize URL, waits for the callback, exchanges the code. */
export async function codeFlow(config: client.Configuration, options: VerifyOptions, show: (url: string) => void): Promise<Tokens> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params: Record<string, string> = {
    redirect_uri: options.redirectUri.href,
    response_type: "code",
    scope: "openid profile email",
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    // A fresh login: an existing session would hand back tokens computed before the last deploy.
    prompt: "login",
  };
  if (options.audience) params.audience = options.audience;
  const url = client.buildAuthorizationUrl(config, params).href;

  const callback = await waitForCallback(options, () => {
    show(url);
    if (options.open) openBrowser(url);
  });
  try {
    const response = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    return { idToken: response.id_token, accessToken: response.access_token, nonce, flow: "authorization code with PKCE, prompt=login" };
  } catch (err) {
    throw new AuthError(`the login was refused: ${errorText(err)}${hint(err)}`);
  }
}

/** The password grant, for pipelines: AUTH0_VERIFY_USERNAME / AUTH0_VERIFY_PASSWORD. */
export async function passwordFlow(config: client.Configuration, options: VerifyOptions): Promise<Tokens> {
  const params: Record<string, string> = {
    username: options.username as string,
    password: options.password as string,
    scope: "openid profile email",
  };
  if (options.audience) params.audience = options.audience;
  let grantType = "password";
  if (options.realm) {
    grantType = "http://auth0.com/oauth/grant-type/password-realm";
    params.realm = options.realm;
  }
  try {
    const response = await client.genericGrantRequest(config, grantType, params);
    return { idToken: response.id_token, accessToken: response.access_token, flow: options.realm ? `password-realm (${options.realm})` : "password grant" };
  } catch (err) {
    throw new AuthError(`the password grant was refused: ${errorText(err)}${hint(err)}`);
  }
}

function hint(err: unknown): string {
  const text = errorText(err);
  if (/unauthorized_client|grant type/i.test(text)) {
    return "; enable the Password grant on the application (Applications > Advanced Settings > Grant Types) and set a Default Directory (Tenant Settings), or use --realm";
  }
  if (/access_denied/.test(text)) return "; an action or rule denied the login (see the tenant's logs)";
  if (/invalid_grant/.test(text)) return "; check the user's credentials, or for the code flow that the redirect URI is an Allowed Callback URL";
  if (/state/i.test(text)) return "; the callback's state is not the one sent: a stale or forged callback, start again";
  return "";
}

/** Listens on the redirect URI's host and port until the callback arrives, then returns its URL. */
function waitForCallback(options: VerifyOptions, ready: () => void): Promise<URL> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", options.redirectUri);
      if (url.pathname !== options.redirectUri.pathname) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", connection: "close" });
      res.end("<!doctype html><title>verify</title><p>Login received. You can close this window; the result is in your terminal.</p>");
      finish(() => resolve(url));
    });
    const timer = setTimeout(
      () => finish(() => reject(new AuthError(`no login completed within ${options.timeoutMs / 1000} s; open the printed URL and log in, or raise --timeout`))),
      options.timeoutMs,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      server.close();
      server.closeAllConnections();
      settle();
    };
    server.once("error", (err) => finish(() => reject(new AuthError(`can't listen on ${options.redirectUri.host} for the callback: ${errorText(err)}`))));
    server.listen(Number(options.redirectUri.port), options.redirectUri.hostname.replace(/^\[|\]$/g, ""), ready);
  });
}

function openBrowser(url: string): void {
  const [command, args] = process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  spawn(command, args, { stdio: "ignore", detached: true }).on("error", () => undefined).unref();
}
