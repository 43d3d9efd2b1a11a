// The post-login api an action calls (api.access.deny, api.idToken.setCustomClaim, ...): built once
// per runtime, every call recorded into the login in progress; what the preview can't do is a no-op.
import type { LoginState } from "./types";

export /** The post-login api, built once; every call records into the login in progress. */
function postLoginApi(current: () => LoginState | undefined): unknown {
  const record = (token: "id" | "access") => (name: string, value: unknown) => void current()?.[token].set(String(name), value);
  const noop = () => undefined;
  return {
    access: {
      deny: (reason: unknown) => {
        const state = current();
        if (state && state.denied === null) state.denied = `api.access.deny: ${String(reason)}`;
      },
    },
    idToken: { setCustomClaim: record("id") },
    accessToken: { setCustomClaim: record("access"), addScope: noop, removeScope: noop },
    multifactor: { enable: noop },
    user: { setAppMetadata: noop, setUserMetadata: noop },
    redirect: { sendUserTo: noop, encodeToken: () => "", validateToken: () => ({}) },
    authentication: { challengeWith: noop, challengeWithAny: noop, enrollWith: noop, enrollWithAny: noop, recordMethod: noop, setPrimaryUser: noop },
    cache: { get: noop, set: () => ({ type: "success" }), delete: () => ({ type: "success" }) },
    session: { revoke: noop, setExpiresAt: noop, setIdleExpiresAt: noop },
  };
}
