// oidc-provider 8.8.1 keeps each provider's normalized configuration in this module's WeakMap; the
// package has no "exports" map, so it can be reached. Used only by configuration.ts's allowClaims.
declare module "oidc-provider/lib/helpers/weak_cache.js" {
  const instance: (provider: object) => {
    configuration(): { claims: Record<string, Record<string, null> | null>; claimsSupported: Set<string> };
  };
  export default instance;
}
