// Auth0 post-login Action: gives a user who has no role yet the default ones, by writing
// app_metadata.roles. Auth0 shows the write to the later actions of the same login (so the claims
// action puts the roles in this login's tokens) and saves it to the user at the end of the flow (so
// the next login, and the Management API, see it). A user with any roles, or with roles that are not
// a list (someone set them by hand: not ours to overwrite), is left alone.
// DEFAULT_ROLES, the roles given, is a compile-time constant (the environment's `constants`).
declare const DEFAULT_ROLES: readonly string[];

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const metadata = event?.user?.app_metadata;
  const roles = typeof metadata === "object" && metadata !== null ? (metadata as { roles?: unknown }).roles : undefined;
  if (roles !== undefined && roles !== null && !(Array.isArray(roles) && roles.length === 0)) return;
  api.user?.setAppMetadata("roles", [...DEFAULT_ROLES]);
};
