// Logging in to the tenant with openid-client, configured by discovery: the authorization code flow
// with PKCE, state, nonce and prompt=login through a loopback callback, or the password grant.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import * as client from "openid-client";
import { AuthError, escapeControl, escapeHtml, NetworkError } from "../errors";
import { loginFailureCode } from "./checks";
import { errorText } from "./error-text";
import { type Budget, toolErrorIn } from "./http";

/** The scopes every verify login asks for (and the expected claims' run is told it asked for). */
export const LOGIN_SCOPES: readonly string[] = ["openid", "profile", "email"];
import type { VerifyOptions } from "./options";

export interface Tokens {
  readonly idToken?: string;
  readonly accessToken: string;
  /** Never used (verify asks for no offline access), but a secret to keep out of the output if a tenant sends one. */
  readonly refreshToken?: string;
  /** The nonce sent, which the ID token must carry (code flow only). */
  readonly nonce?: string;
  readonly flow: string;
}

export async function discover(options: VerifyOptions, budget: Budget): Promise<client.Configuration> {
  const where = new URL(".well-known/openid-configuration", options.issuerUrl).href;
  let config: client.Configuration;
  try {
    config = await client.discovery(
      options.issuerUrl,
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
      {
        [client.customFetch]: budget.fetch,
        // The budget's deadline bounds every request; the library's own 30 s default must not cut in first.
        timeout: Math.ceil(options.timeoutMs / 1000) + 1,
        execute: options.issuerUrl.protocol === "http:" ? [client.allowInsecureRequests] : [],
      },
    );
  } catch (err) {
    const own = toolErrorIn(err);
    if (own) throw own;
    const found = (err as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer;
    if ((err as { code?: string }).code === "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED" && typeof found === "string") {
      throw new AuthError(
        "ERR_ISSUER_MISMATCH",
        `issuer mismatch: --domain gives the issuer ${options.issuerUrl.href}, but ${where} names ${escapeControl(found)}; ` +
          `give --domain ${escapeControl(found)} (the issuer is compared as written: localhost and 127.0.0.1 are different issuers)`,
      );
    }
    throw new AuthError(
      "ERR_DISCOVERY",
      `can't read ${where}: ${errorText(err)}; check --domain and that the tenant is up`,
    );
  }
  config[client.customFetch] = budget.fetch;
  config.timeout = Math.ceil(options.timeoutMs / 1000) + 1;
  return config;
}

/** The authorization code flow: prints (or opens) the authorize URL, waits for the callback, exchanges the code. */
export async function codeFlow(
  config: client.Configuration,
  options: VerifyOptions,
  budget: Budget,
  show: (url: string) => void,
): Promise<Tokens> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params: Record<string, string> = {
    redirect_uri: options.redirectUri.href,
    response_type: "code",
    scope: LOGIN_SCOPES.join(" "),
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    // A fresh login: an existing session would hand back tokens computed before the last deploy.
    prompt: "login",
  };
  if (options.audience) params.audience = options.audience;
  const url = client.buildAuthorizationUrl(config, params).href;

  const callback = await waitForCallback(options, budget, () => {
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
    return {
      idToken: response.id_token,
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      nonce,
      flow: "authorization code with PKCE, prompt=login",
    };
  } catch (err) {
    throw (
      toolErrorIn(err) ?? new AuthError(loginFailureCode(err), `the login was refused: ${errorText(err)}${hint(err)}`)
    );
  }
}

/** The password grant, for pipelines: AUTH0_VERIFY_USERNAME / AUTH0_VERIFY_PASSWORD. */
export async function passwordFlow(config: client.Configuration, options: VerifyOptions): Promise<Tokens> {
  const params: Record<string, string> = {
    username: options.username as string,
    password: options.password as string,
    scope: LOGIN_SCOPES.join(" "),
  };
  if (options.audience) params.audience = options.audience;
  let grantType = "password";
  if (options.realm) {
    grantType = "http://auth0.com/oauth/grant-type/password-realm";
    params.realm = options.realm;
  }
  try {
    const response = await client.genericGrantRequest(config, grantType, params);
    return {
      idToken: response.id_token,
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      flow: options.realm ? `password-realm (${options.realm})` : "password grant",
    };
  } catch (err) {
    throw (
      toolErrorIn(err) ??
      new AuthError(loginFailureCode(err), `the password grant was refused: ${errorText(err)}${hint(err)}`)
    );
  }
}

/** Where the login application's credentials come from, for a tenant that refuses them. */
const CLIENT_SETTINGS =
  "check --client-id and --client-secret (or AUTH0_VERIFY_CLIENT_ID, AUTH0_VERIFY_CLIENT_SECRET): the login application's, Applications > your app > Settings";

function hint(err: unknown): string {
  const text = errorText(err);
  if (/invalid_client/.test(text)) return `; ${CLIENT_SETTINGS}`;
  // Auth0 says no more than this to a wrong client id or secret; an action's denial carries its reason.
  if (text === "access_denied: Unauthorized")
    return `; Auth0 answers this to a wrong client id or secret: ${CLIENT_SETTINGS}`;
  if (/unauthorized_client|grant type/i.test(text)) {
    return "; enable the Password grant on the application (Applications > Advanced Settings > Grant Types) and set a Default Directory (Tenant Settings), or use --realm";
  }
  if (/access_denied/.test(text)) return "; an action or rule denied the login (see the tenant's logs)";
  if (/invalid_grant/.test(text))
    return "; check the user's credentials, or for the code flow that the redirect URI is an Allowed Callback URL";
  if (/state/i.test(text)) return "; the callback's state is not the one sent: a stale or forged callback, start again";
  return "";
}

/** Listens on the redirect URI's host and port until the callback arrives or the run's time is up, then returns its URL. */
function waitForCallback(options: VerifyOptions, budget: Budget, ready: () => void): Promise<URL> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", options.redirectUri);
      if (url.pathname !== options.redirectUri.pathname) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", connection: "close" });
      res.end(callbackPage(url));
      finish(() => resolve(url));
    });
    const timeUp = () =>
      finish(() =>
        reject(
          new NetworkError(
            "ERR_TIMEOUT",
            `no login completed within --timeout ${options.timeoutMs / 1000} s; open the printed URL and log in, or raise --timeout`,
          ),
        ),
      );
    budget.signal.addEventListener("abort", timeUp, { once: true });
    const finish = (settle: () => void) => {
      budget.signal.removeEventListener("abort", timeUp);
      server.close();
      server.closeAllConnections();
      settle();
    };
    server.once("error", (err) =>
      finish(() =>
        reject(
          new NetworkError(
            "ERR_CALLBACK_LISTEN",
            `can't listen on ${options.redirectUri.host} for the callback: ${errorText(err)}`,
          ),
        ),
      ),
    );
    server.listen(Number(options.redirectUri.port), options.redirectUri.hostname.replace(/^\[|\]$/g, ""), ready);
  });
}

/** What the browser shows at the callback: the error when the tenant sent one, else that the login arrived. */
export function callbackPage(url: URL): string {
  const error = url.searchParams.get("error");
  if (error === null)
    return "<!doctype html><title>verify</title><p>Login received. You can close this window; the result is in your terminal.</p>";
  const description = url.searchParams.get("error_description");
  const text = escapeHtml(escapeControl(`${error}${description ? `: ${description}` : ""}`).slice(0, 500));
  return `<!doctype html><title>verify: login failed</title><p>The tenant refused the login: <strong>${text}</strong></p><p>verify reports it in your terminal.</p>`;
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  spawn(command, args, { stdio: "ignore", detached: true })
    .on("error", () => undefined)
    .unref();
}
