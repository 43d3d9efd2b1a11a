// The post-login api an action calls (api.access.deny, api.idToken.setCustomClaim, api.user.setAppMetadata,
// api.redirect.sendUserTo, ...), one per action run: every call records into its login's state, so
// what the action does after its login ended (a timer it left, a login that timed out) lands in that
// login, never in a later user's. What each call does, and where this differs from Auth0, is in
// docs/post-login-api.md. The parts of it are built on first use: the claims action, which touches
// two of them, pays for two.
import { canRedirect } from "../auth0/facts";
import { randomBytes } from "node:crypto";
import type { ActionsCache } from "./cache";
import { EffectsRecord } from "./effects";
import { encodeToken, validateToken } from "./redirect-token";
import type { LoginState } from "./types";

/** What the api of one action run knows about its login. */
export interface ApiScope {
  readonly state: LoginState;
  readonly userId: string;
  readonly protocol: string;
  readonly prompt: readonly string[];
  /** event.request.ip and hostname (encodeToken's ip and iss). */
  readonly ip: string;
  readonly hostname: string;
  /** The flow's cache (one per trigger, shared by its actions). */
  readonly cache: ActionsCache;
  /** The action running, and its place in the flow. */
  readonly step: number;
  /** A resumed login's /continue request and Auth0's state: what validateToken reads. */
  readonly resumed?: {
    readonly state: string;
    readonly query: Readonly<Record<string, unknown>>;
    readonly body: Readonly<Record<string, unknown>>;
  };
}

/** The login's effects record, made on first use. */
function effects(state: LoginState): EffectsRecord {
  return (state.effects ??= new EffectsRecord());
}

function deny(state: LoginState, reason: string): void {
  if (state.denied === null) state.denied = reason;
}

function quoted(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The URL the browser is sent to: the action's, its query appended, then Auth0's state. */
function redirectUrl(url: unknown, options: unknown, state: string): string {
  let target: URL;
  try {
    target = new URL(String(url));
  } catch {
    throw new TypeError(`api.redirect.sendUserTo: ${quoted(url)} is not an absolute URL`);
  }
  if (target.protocol !== "https:" && target.protocol !== "http:")
    throw new TypeError(`api.redirect.sendUserTo: ${quoted(url)} is not an http(s) URL`);
  const query = (options as { query?: unknown } | undefined)?.query;
  if (query !== undefined) {
    if (typeof query !== "object" || query === null)
      throw new TypeError("api.redirect.sendUserTo: options.query must be an object of strings");
    for (const [name, value] of Object.entries(query)) target.searchParams.append(name, String(value));
  }
  target.searchParams.append("state", state);
  return target.href;
}

/** The post-login api of one action run. */
export class LoginApi {
  readonly #scope: ApiScope;
  #access?: object;
  #idToken?: object;
  #accessToken?: object;
  #user?: object;
  #redirect?: object;
  #multifactor?: object;
  #authentication?: object;
  #cache?: object;
  #session?: object;
  #refreshToken?: object;
  #transaction?: object;
  #validation?: object;
  #rules?: object;
  #prompt?: object;

  constructor(scope: ApiScope) {
    this.#scope = scope;
  }

  get access(): object {
    return (this.#access ??= {
      deny: (reason: unknown) => {
        deny(this.#scope.state, `api.access.deny: ${String(reason)}`);
        return this;
      },
    });
  }

  get idToken(): object {
    const state = this.#scope.state;
    return (this.#idToken ??= {
      setCustomClaim: (name: unknown, value: unknown) => {
        state.id.set(String(name), value);
        return this;
      },
    });
  }

  get accessToken(): object {
    const state = this.#scope.state;
    return (this.#accessToken ??= {
      setCustomClaim: (name: unknown, value: unknown) => {
        state.access.set(String(name), value);
        return this;
      },
      addScope: (scope: unknown) => void effects(state).changeScope(scope, true),
      removeScope: (scope: unknown) => void effects(state).changeScope(scope, false),
    });
  }

  get user(): object {
    const state = this.#scope.state;
    return (this.#user ??= {
      setAppMetadata: (key: unknown, value: unknown) => (effects(state).setMetadata("app_metadata", key, value), this),
      setUserMetadata: (key: unknown, value: unknown) => (
        effects(state).setMetadata("user_metadata", key, value),
        this
      ),
    });
  }

  get redirect(): object {
    const scope = this.#scope;
    return (this.#redirect ??= {
      sendUserTo: (url: unknown, options?: unknown) => {
        const record = effects(scope.state);
        if (record.redirect !== undefined && record.redirectStep === scope.step)
          throw new Error("api.redirect.sendUserTo: an action redirects once per login (Auth0)");
        const state = randomBytes(24).toString("base64url");
        record.redirect = { url: redirectUrl(url, options, state), state };
        record.redirectStep = scope.step;
        return this;
      },
      encodeToken: (options: unknown) =>
        encodeToken(options, { userId: scope.userId, issuer: scope.hostname, ip: scope.ip }),
      validateToken: (options: unknown) => validateToken(options, scope.resumed),
      canRedirect: () => canRedirect(scope.protocol, scope.prompt),
    });
  }

  get multifactor(): object {
    const state = this.#scope.state;
    return (this.#multifactor ??= {
      enable: (provider: unknown, options?: unknown) => {
        effects(state).challenge(
          `MFA required: api.multifactor.enable(${quoted(provider)}${options === undefined ? "" : ", ..."})`,
        );
        return this;
      },
    });
  }

  get authentication(): object {
    const scope = this.#scope;
    const record = (what: string) => effects(scope.state).challenge(what);
    return (this.#authentication ??= {
      challengeWith: (factor: unknown) => record(`MFA required: api.authentication.challengeWith(${quoted(factor)})`),
      challengeWithAny: (factors: unknown) =>
        record(`MFA required: api.authentication.challengeWithAny(${quoted(factors)})`),
      enrollWith: (factor: unknown) =>
        record(`MFA enrollment required: api.authentication.enrollWith(${quoted(factor)})`),
      enrollWithAny: (factors: unknown) =>
        record(`MFA enrollment required: api.authentication.enrollWithAny(${quoted(factors)})`),
      recordMethod: (url: unknown) => {
        if (scope.resumed === undefined)
          throw new Error("api.authentication.recordMethod: only in onContinuePostLogin (Auth0)");
        record(`authentication method recorded: ${quoted(url)}`);
        return this;
      },
      setPrimaryUser: (userId: unknown) =>
        record(
          `api.authentication.setPrimaryUser(${quoted(userId)}): the local runtime keeps the user (not simulated)`,
        ),
    });
  }

  get cache(): object {
    const cache = this.#scope.cache;
    return (this.#cache ??= {
      get: (key: unknown) => cache.get(key),
      set: (key: unknown, value: unknown, options?: unknown) => cache.set(key, value, options),
      delete: (key: unknown) => cache.delete(key),
    });
  }

  get session(): object {
    const state = this.#scope.state;
    const noop = () => undefined;
    return (this.#session ??= {
      revoke: (reason: unknown) => deny(state, `api.session.revoke: ${String(reason)}`),
      setExpiresAt: noop,
      setIdleExpiresAt: noop,
      setCookieMode: noop,
      setMetadata: noop,
      deleteMetadata: noop,
      evictMetadata: noop,
    });
  }

  get refreshToken(): object {
    const scope = this.#scope;
    const noop = () => undefined;
    return (this.#refreshToken ??= {
      revoke: (reason: unknown) => {
        if (scope.protocol !== "oauth2-refresh-token")
          throw new Error(
            "api.refreshToken.revoke: only in a refresh-token exchange (event.transaction.protocol oauth2-refresh-token)",
          );
        deny(scope.state, `api.refreshToken.revoke: ${String(reason)}`);
      },
      setExpiresAt: noop,
      setIdleExpiresAt: noop,
      setMetadata: noop,
      deleteMetadata: noop,
      evictMetadata: noop,
    });
  }

  get transaction(): object {
    const state = this.#scope.state;
    return (this.#transaction ??= {
      setMetadata: (key: unknown, value: unknown) => {
        if (typeof key !== "string" || key === "" || key.length > 64)
          throw new TypeError("api.transaction.setMetadata: the key must be a string of 1 to 64 characters");
        const metadata = (effects(state).transaction ??= new Map());
        if (value === null) metadata.delete(key);
        else if (
          typeof value === "string" ||
          typeof value === "boolean" ||
          (typeof value === "number" && Number.isSafeInteger(value))
        )
          metadata.set(key, value);
        else
          throw new TypeError(
            "api.transaction.setMetadata: the value must be a string, a boolean or a safe integer (null removes it)",
          );
        return this;
      },
    });
  }

  get validation(): object {
    const state = this.#scope.state;
    return (this.#validation ??= {
      error: (code: unknown, message: unknown) => {
        deny(state, `api.validation.error: ${String(code)}: ${String(message)}`);
        return this;
      },
    });
  }

  get rules(): object {
    return (this.#rules ??= { wasExecuted: () => false });
  }

  get prompt(): object {
    const state = this.#scope.state;
    return (this.#prompt ??= {
      render: (id: unknown) =>
        void effects(state).challenge(`api.prompt.render(${quoted(id)}): a form the local runtime doesn't render`),
    });
  }
}
// One class for every login: frozen, so no action can change what a later login's api does.
Object.freeze(LoginApi.prototype);

export /** The post-login api of one action run. */
function postLoginApi(scope: ApiScope): object {
  return new LoginApi(scope);
}
