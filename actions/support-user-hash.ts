// Auth0 post-login Action: puts an HMAC-SHA256 of the user's id, keyed with the action's
// USER_HASH_KEY secret, in the ID token, for a support widget's identity verification (the "user
// hash" of Intercom or Crisp): the widget's server computes it again with the same key, so no visitor
// can pose as another user. The key itself goes nowhere; without it, or without a user id, no claim.
// USER_HASH_CLAIM, the claim's name, is a compile-time constant (the environment's `constants`).
declare const USER_HASH_CLAIM: string;

const { createHmac } = require("crypto") as typeof import("crypto");

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const key = event?.secrets?.USER_HASH_KEY;
  const userId = event?.user?.user_id;
  if (typeof key !== "string" || key === "" || typeof userId !== "string" || userId === "") return;
  api.idToken.setCustomClaim(USER_HASH_CLAIM, createHmac("sha256", key).update(userId, "utf8").digest("hex"));
};
