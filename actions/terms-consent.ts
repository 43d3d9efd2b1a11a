// Auth0 post-login Action: a user who has not accepted the current terms (app_metadata.terms_accepted
// is not TERMS_VERSION) is sent to the terms page (the CONSENT_PAGE_URL secret) with a signed
// session_token saying which terms to show; the page sends the browser back to Auth0's /continue with
// the state and a consent_token it signed with the shared CONSENT_SECRET. onContinuePostLogin checks
// that token and saves the acceptance, so the next login goes straight through. A login that can't
// be redirected (a password or refresh-token grant) is left alone here; Auth0 would fail it.
// TERMS_VERSION is a compile-time constant (the environment's `constants`).
declare const TERMS_VERSION: string;

const NON_INTERACTIVE = new Set(["oauth2-resource-owner", "oauth2-refresh-token", "oauth2-password"]);

function accepted(event: PostLoginEvent): boolean {
  const metadata = event?.user?.app_metadata;
  return (
    typeof metadata === "object" &&
    metadata !== null &&
    (metadata as { terms_accepted?: unknown }).terms_accepted === TERMS_VERSION
  );
}

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const page = event?.secrets?.CONSENT_PAGE_URL;
  const secret = event?.secrets?.CONSENT_SECRET;
  if (accepted(event) || !page || !secret || !api.redirect || NON_INTERACTIVE.has(String(event?.transaction?.protocol)))
    return;
  const token = api.redirect.encodeToken({ secret, payload: { terms: TERMS_VERSION }, expiresInSeconds: 600 });
  api.redirect.sendUserTo(page, { query: { session_token: token } });
};

exports.onContinuePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const secret = event?.secrets?.CONSENT_SECRET;
  if (!secret || !api.redirect) return void api.access?.deny("The terms page is not set up; try again later.");
  // Throws (and so fails the login) when the token is missing, forged, expired or for another login.
  const consent = api.redirect.validateToken({ secret, tokenParameterName: "consent_token" });
  if (consent.accepted !== TERMS_VERSION) return void api.access?.deny("The terms were not accepted.");
  api.user?.setAppMetadata("terms_accepted", TERMS_VERSION);
};
