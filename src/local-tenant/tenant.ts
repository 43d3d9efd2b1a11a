// A local OpenID Provider at Auth0's paths, built on oidc-provider, with Auth0's Actions Management
// API: every login and refresh runs the post-login flow as deployed and bound there (at start, the
// environment's flow, deployed through the same store; with --empty, nothing), and the tokens carry
// exactly the claims it computes.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";
import type { FlowAsDeployed } from "../flow/model";
import type { ExportedUser } from "../runtime/types";
import { tenantCertificates } from "./certificates";
import { LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET, MANAGEMENT_CLIENT_ID, MANAGEMENT_CLIENT_SECRET } from "./clients";
import { allowClaims, providerConfiguration } from "./configuration";
import type { TenantContext } from "./context";
import { ActionsStore } from "./actions-store";
import { DeployedFlow, deployFlow } from "./deployed-flow";
import { answerErrors, denyFraming, jsonTokenRequests } from "./http";
import { loginInteraction, markOfflineAccess, PausedLogins } from "./login-interaction";
import { logout } from "./logout";
import { managementAudience } from "./management-access";
import { managementApi, registerManagementGrant } from "./management-api";
import { registerPasswordGrant } from "./password-grant";
import { userinfo } from "./userinfo";
import { TenantUsers } from "./users";

export interface LocalTenantOptions {
  /**
   * The flow deployed and bound to post-login at start, through the Actions store (so the Management
   * API lists it): an environment's, every secret with its value. @default - none: a tenant waiting for a deploy
   */
  readonly flow?: FlowAsDeployed;
  /** Users who can log in. */
  readonly users: readonly ExportedUser[];
  /** Password of every user. */
  readonly password: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 4000 */
  readonly port?: number;
  /** Serve https with a certificate issued by a local CA kept in `certDir`. @default - plain http */
  readonly https?: { readonly certDir: string };
  /** Host name in the issuer: Auth0's SDKs build https://<host>:<port>/ from their `domain`. @default "127.0.0.1" */
  readonly host?: "127.0.0.1" | "localhost";
  /** Callback URLs allowed beyond http://127.0.0.1|localhost:<any port>/callback. @default [] */
  readonly callbacks?: readonly string[];
  /** Logout URLs allowed beyond http(s)://127.0.0.1|localhost (any port or path). @default [] */
  readonly logoutUrls?: readonly string[];
  /** Origins the actions' fetch may reach (--allow-fetch); every other call is refused. @default [] */
  readonly allowFetch?: readonly string[];
}

export interface LocalTenant {
  /** Issuer and base URL, with a trailing slash as Auth0's. */
  readonly url: string;
  /** The domain an Auth0 SDK is configured with: host and port, no scheme. */
  readonly domain: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The machine-to-machine client allowed on the Management API subset. */
  readonly management: { readonly clientId: string; readonly clientSecret: string; readonly audience: string };
  /**
   * With https: the CA certificate to trust, whether this start created it, and when it ends; and
   * `bundle`, the CA with Node's own root CAs, for SSL_CERT_FILE (Go reads it in place of the system's).
   */
  readonly ca?: { readonly file: string; readonly created: boolean; readonly expires: Date; readonly bundle: string };
  /** The actions bound to post-login now, deployed, in order: what the next login runs. */
  readonly flow: () => string[];
  close(): Promise<void>;
}

export async function startLocalTenant(options: LocalTenantOptions): Promise<LocalTenant> {
  const actions = new ActionsStore();
  if (options.flow) deployFlow(actions, options.flow);
  const flow = new DeployedFlow(actions, options.allowFetch);
  const users = new TenantUsers(options.users, flow);
  const signing = await signingKey();
  const certificates = options.https ? await tenantCertificates(options.https.certDir) : undefined;
  const server = certificates
    ? createHttpsServer({ key: certificates.key, cert: certificates.cert })
    : createHttpServer();
  const port = await listen(server, options.port ?? 4000);
  const domain = `${options.host ?? "127.0.0.1"}:${port}`;
  const url = `${certificates ? "https" : "http"}://${domain}/`;
  const clients = { callbacks: options.callbacks ?? [], logoutUrls: options.logoutUrls ?? [] };

  const provider = new Provider(url, providerConfiguration(users, signing.jwk, clients));
  provider.proxy = false;
  users.onClaims((names) => allowClaims(provider, names));
  const t: TenantContext = {
    url,
    provider,
    users,
    password: options.password,
    signing,
    clients,
    actions,
    paused: new PausedLogins(),
  };
  registerPasswordGrant(t);
  registerManagementGrant(t);
  // Before oidc-provider's own routes, in this order; framing is refused on every answer.
  for (const middleware of [
    denyFraming,
    answerErrors,
    jsonTokenRequests,
    markOfflineAccess,
    userinfo(t),
    loginInteraction(t),
    logout(t),
    managementApi(t),
  ])
    provider.use(middleware);
  // koa answers a failed request itself (its context's onerror): the promise never rejects.
  const handle = provider.callback();
  server.on("request", (req, res) => void handle(req, res));

  return {
    url,
    domain,
    clientId: LOCAL_CLIENT_ID,
    clientSecret: LOCAL_CLIENT_SECRET,
    management: {
      clientId: MANAGEMENT_CLIENT_ID,
      clientSecret: MANAGEMENT_CLIENT_SECRET,
      audience: managementAudience(url),
    },
    ca: certificates && {
      file: certificates.caFile,
      created: certificates.caCreated,
      expires: certificates.caExpires,
      bundle: certificates.bundleFile,
    },
    flow: () => flow.names,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await flow.close();
    },
  };
}

async function signingKey(): Promise<TenantContext["signing"] & { jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "local-tenant";
  return { privateKey, publicKey, kid, jwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" } };
}

/** Listens on 127.0.0.1; the real port is known only then, and the issuer needs it. */
function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}
