// Auth0 post-login Action: denies the login of a user whose app_metadata.blocked is exactly true, with
// a reason the application receives (error=access_denied). It never throws on odd input: anything but
// `true` (a missing field, "true", 1, a non-object app_metadata) lets the user in.

/** What the application reads in error_description; no user data in it. */
const BLOCKED_REASON = "This account is blocked. Contact your administrator.";

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  let blocked: boolean;
  try {
    const metadata = event?.user?.app_metadata;
    // Own property only: a "blocked" inherited through a crafted prototype is not the user's.
    blocked =
      typeof metadata === "object" &&
      metadata !== null &&
      Object.prototype.hasOwnProperty.call(metadata, "blocked") &&
      (metadata as { blocked?: unknown }).blocked === true;
  } catch {
    // A getter that throws is not a reason to fail (or to let through) differently: treat as not blocked.
    blocked = false;
  }
  if (!blocked) return;
  try {
    console.log("deny-blocked-users: denied a blocked user");
  } catch {
    // Logging must not change the outcome.
  }
  api.access?.deny(BLOCKED_REASON);
};
