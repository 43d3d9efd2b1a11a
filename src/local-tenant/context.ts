// What each part of the local tenant (login, grants, logout, Management API) needs from the whole.
import type { CryptoKey } from "jose";
import type Provider from "oidc-provider";
import type { ActionsStore } from "./actions-store";
import type { ClientSettings } from "./clients";
import type { PausedLogins } from "./login-interaction";
import type { TenantUsers } from "./users";

export interface TenantContext {
  /** Issuer and base URL, with a trailing slash as Auth0's: http(s)://127.0.0.1:PORT/. */
  readonly url: string;
  readonly provider: Provider;
  readonly users: TenantUsers;
  /** Every user's password. */
  readonly password: string;
  /** The key that signs every token, and its JWKS `kid`. */
  readonly signing: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey; readonly kid: string };
  readonly clients: ClientSettings;
  /** The tenant's Actions: what the Actions Management API changes and logins run. */
  readonly actions: ActionsStore;
  /** Logins an action's redirect paused, waiting for /continue. */
  readonly paused: PausedLogins;
}

/** The next middleware of the chain: koa types what it resolves to as `any`; ours resolve to nothing. */
export type Next = () => Promise<void>;

/** Size limits of request bodies the tenant reads itself (oidc-provider bounds its own at 56 kB). */
export const FORM_LIMIT = 16 * 1024;
export const JSON_LIMIT = 1024 * 1024;
/**
 * How deep the Management API lets metadata nest (the field itself is level 1). Auth0 documents no
 * limit; this one is far beyond any real metadata and far below where serializing a record fails.
 */
export const JSON_DEPTH_LIMIT = 32;

/** The scopes the tenant knows; others are dropped from a request as Auth0 does. */
export const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"];
