// The post-login v3 event an action receives: the user as exported (app_metadata and user_metadata
// always objects), the secrets, how the login came about, and the rest built lazily per login.
import { withMetadataWrites } from "./effects";
import { DEFAULT_LOGIN, type ExportedUser, type LoginContext, type LoginState } from "./types";

/**
 * A LoginContext as the runtime passes it inside, with a speed hint of the preview's own, kept off
 * the public LoginContext: no other caller should set it. A plain field, not a symbol: it crosses
 * into a sandbox worker with the context (structured clone drops symbols).
 */
export interface RunContext extends LoginContext {
  /**
   * The caller reads nothing nested in this user after the login (a preview worker's parsed line):
   * the flow's last action may take the user's nested values instead of a deep copy of them (the
   * saving: docs/measured.md). Earlier actions still get their own copies. @default false
   */
  readonly lastUse?: boolean;
}

export interface EventSettings {
  readonly secrets: Readonly<Record<string, string>>;
  readonly client: { readonly client_id: string; readonly name: string };
  readonly audience?: string;
}

export class EventFactory {
  constructor(private readonly settings: EventSettings) {}

  /**
   * A fresh event for one action run of `user`'s login: the metadata written by the earlier actions
   * of the login applied (Auth0's optimistic update), its transaction metadata, and the context's
   * protocol, scopes, prompt and request.
   */
  event(user: ExportedUser, context: RunContext, state?: LoginState): unknown {
    const event = Object.create(this.eventParts) as Record<string, unknown>;
    const effects = state?.effects;
    if (
      context.protocol !== undefined ||
      context.requestedScopes !== undefined ||
      context.prompt !== undefined ||
      effects?.transaction !== undefined
    ) {
      event.transaction = {
        ...transaction(),
        ...(context.protocol !== undefined ? { protocol: context.protocol } : {}),
        ...(context.requestedScopes !== undefined ? { requested_scopes: [...context.requestedScopes] } : {}),
        ...(context.prompt !== undefined ? { prompt: [...context.prompt] } : {}),
        metadata: Object.fromEntries(effects?.transaction ?? []),
      };
    }
    if (context.request !== undefined)
      event.request = { ...request(), ...(copyJson(context.request) as Record<string, unknown>) };
    // The action run's own copy, nested objects included, as Auth0 builds each action's event afresh:
    // an action that sorts or pushes to app_metadata.roles changes nothing the next action of the
    // flow, the other version in a comparison, or the local tenant's next login sees. Then the two
    // fields Auth0 always gives, only when missing (same keys, same order as a literal).
    let copy = context.lastUse === true ? { ...user } : ownCopy(user);
    if (copy.app_metadata === undefined) copy.app_metadata = {};
    if (copy.user_metadata === undefined) copy.user_metadata = {};
    if (effects?.metadata !== undefined) copy = withMetadataWrites(copy, effects);
    event.user = copy;
    event.secrets = this.settings.secrets;
    return event;
  }

  /**
   * The rest of the event, built on first read for each login (most actions read only `user`): each
   * login gets its own objects, so what one action run changes never leaks into the next.
   */
  private readonly eventParts = lazyParts({
    client: () => ({ client_id: this.settings.client.client_id, name: this.settings.client.name, metadata: {} }),
    connection: () => ({
      id: "con_preview",
      name: "Username-Password-Authentication",
      strategy: "auth0",
      metadata: {},
    }),
    tenant: () => ({ id: "preview" }),
    request,
    transaction,
    authentication: () => ({ methods: [{ name: "pwd", timestamp: "1970-01-01T00:00:00.000Z" }] }),
    authorization: () => ({ roles: [] }),
    resource_server: () => (this.settings.audience ? { identifier: this.settings.audience } : undefined),
    stats: () => ({ logins_count: 1 }),
  });
}

/**
 * A deep copy of a user as JSON.parse makes it (objects, arrays, primitives), in key order. Written
 * out because it costs a tenth of structuredClone or JSON.parse(JSON.stringify()), once per action
 * run (docs/measured.md#figures-behind-the-code). Only plain objects and arrays are
 * copied; anything else (a Date, a boxed number: never in an export, but built by tests) is kept as
 * it is. A user whose deep copy throws (a nested getter that throws) is copied one level deep; if
 * that throws too, the runtime reports the login as one it could not run.
 */
function ownCopy(user: ExportedUser): Record<string, unknown> {
  try {
    return copyJson(user) as Record<string, unknown>;
  } catch {
    return { ...user };
  }
}

function copyJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; an assignment would set the copy's prototype instead.
    if (key === "__proto__")
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/** event.transaction of an interactive login; a context's protocol, scopes and prompt replace these. */
function transaction(): Record<string, unknown> {
  return {
    id: "preview",
    protocol: DEFAULT_LOGIN.protocol,
    requested_scopes: [...DEFAULT_LOGIN.requestedScopes],
    prompt: [...DEFAULT_LOGIN.prompt],
    locale: "en",
    ui_locales: [],
    metadata: {},
  };
}

/** event.request of a local login; a context's request replaces its parts. */
function request(): Record<string, unknown> {
  return {
    ip: DEFAULT_LOGIN.ip,
    hostname: DEFAULT_LOGIN.hostname,
    method: "GET",
    language: "en",
    user_agent: "preview",
    query: {},
    body: {},
    geoip: {},
  };
}

/** A prototype whose getters build each part once per object that inherits it. */
function lazyParts(parts: Record<string, () => unknown>): object {
  const proto = {};
  for (const [name, make] of Object.entries(parts)) {
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: object) {
        const value = make();
        Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
        return value;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
      },
    });
  }
  return proto;
}
