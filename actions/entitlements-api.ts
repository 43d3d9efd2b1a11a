// Auth0 post-login Action: asks the organisation's entitlements API what the user may do, and puts
// the answer in the access token: GET {ENTITLEMENTS_API_URL}/users/{user_id}/entitlements with the
// action's ENTITLEMENTS_API_TOKEN as a bearer token, answering {"entitlements": ["..."]}. The API
// being down, slow (3 s) or answering anything else never fails the login: the claim is left out
// and a log line says why (without the token). ENTITLEMENTS_CLAIM, the claim's name, is a
// compile-time constant (the environment's `constants`).
declare const ENTITLEMENTS_CLAIM: string;

/** At most this many entitlements, each a string of at most 200 characters: a token is not a database. */
const MAX_ENTITLEMENTS = 100;
const TIMEOUT_MS = 3000;

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const base = event?.secrets?.ENTITLEMENTS_API_URL;
  const token = event?.secrets?.ENTITLEMENTS_API_TOKEN;
  const userId = event?.user?.user_id;
  if (!base || !token || typeof userId !== "string" || userId === "") return;
  let entitlements: unknown;
  try {
    const response = await fetch(`${base.replace(/\/+$/, "")}/users/${encodeURIComponent(userId)}/entitlements`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      console.log(`entitlements-api: the API answered ${response.status}; no entitlements claim`);
      return;
    }
    entitlements = ((await response.json()) as { entitlements?: unknown })?.entitlements;
  } catch (err) {
    console.log(
      `entitlements-api: the API could not be reached (${err instanceof Error ? err.name : "error"}); no entitlements claim`,
    );
    return;
  }
  if (
    !Array.isArray(entitlements) ||
    entitlements.length > MAX_ENTITLEMENTS ||
    !entitlements.every((e) => typeof e === "string" && e.length <= 200)
  ) {
    console.log("entitlements-api: the answer is not a list of entitlements; no entitlements claim");
    return;
  }
  api.accessToken.setCustomClaim(ENTITLEMENTS_CLAIM, entitlements);
};
