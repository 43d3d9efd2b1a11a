// The local tenant's applications: the test client (code flow, password grant, refresh tokens) and a
// machine-to-machine client for the Management API, with Auth0's callback and logout URL rules.
import type { ClientMetadata } from "oidc-provider";

export const LOCAL_CLIENT_ID = "local-test-client";
export const LOCAL_CLIENT_SECRET = "local-test-secret";
export const MANAGEMENT_CLIENT_ID = "local-management-client";
export const MANAGEMENT_CLIENT_SECRET = "local-management-secret";
/** Any port on these hosts is accepted (a native client's loopback redirect, RFC 8252). */
export const LOCAL_REDIRECT_URIS = ["http://127.0.0.1/callback", "http://localhost/callback"];
/** Allowed logout URLs: any port and any path on these loopback origins. */
export const LOCAL_LOGOUT_HOSTS = ["127.0.0.1", "localhost"];
/** Scopes of the Management API token: the subset of Auth0's that the local tenant answers. */
export const MANAGEMENT_SCOPES = [
  "read:users",
  "update:users",
  "read:actions",
  "create:actions",
  "update:actions",
  "delete:actions",
];

export interface ClientSettings {
  /** Callback URLs beyond the loopback ones (Auth0's "Allowed Callback URLs"). */
  readonly callbacks: readonly string[];
  /** Logout URLs beyond the loopback ones (Auth0's "Allowed Logout URLs"). */
  readonly logoutUrls: readonly string[];
}

export function clientMetadata(settings: ClientSettings): ClientMetadata[] {
  return [
    {
      client_id: LOCAL_CLIENT_ID,
      client_secret: LOCAL_CLIENT_SECRET,
      application_type: "native",
      redirect_uris: [...LOCAL_REDIRECT_URIS, ...settings.callbacks],
      grant_types: ["authorization_code", "refresh_token", "password"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
    {
      client_id: MANAGEMENT_CLIENT_ID,
      client_secret: MANAGEMENT_CLIENT_SECRET,
      application_type: "web",
      redirect_uris: [],
      grant_types: ["client_credentials"],
      response_types: [],
      token_endpoint_auth_method: "client_secret_post",
    },
  ];
}

/**
 * Whether `returnTo` is an allowed logout URL of the test client: http(s) on a loopback host (any
 * port or path), or one of the configured URLs compared as Auth0 does, without the query string.
 */
export function logoutUrlAllowed(returnTo: URL, settings: ClientSettings): boolean {
  if (
    (returnTo.protocol === "http:" || returnTo.protocol === "https:") &&
    LOCAL_LOGOUT_HOSTS.includes(returnTo.hostname)
  )
    return true;
  const bare = `${returnTo.origin}${returnTo.pathname}`;
  return settings.logoutUrls.some((allowed) => {
    try {
      const url = new URL(allowed);
      return `${url.origin}${url.pathname}` === bare;
    } catch {
      return false;
    }
  });
}
