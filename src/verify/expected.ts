// The claims a user should get: computed by the preview runtime from the user's app_metadata, read
// from a users file or from the Management API, with the environment's compiled flow.
import { type CompiledEnvironment, startCompiledEnvironment } from "../environment/load-action";
import { flowText } from "../flow/model";
import { UserFile } from "../users/user-file";
import type { ExportedUser } from "../runtime/types";
import { AuthError, NetworkError, quote, UsageError } from "../errors";
import { errorText } from "./error-text";
import { LOGIN_SCOPES } from "./login";
import { type Budget, jsonOf, toolErrorIn } from "./http";
import type { VerifyOptions } from "./options";

/** The claims each token and /userinfo should carry, and where that expectation came from. */
export interface Expected {
  readonly idToken: Record<string, unknown>;
  readonly accessToken: Record<string, unknown>;
  readonly userinfo: Record<string, unknown>;
  /** Where the expectation came from, for the report. */
  readonly source: string;
}

/** The user record the expectation was computed from, and who the login name is in the same source. */
export interface Records {
  readonly user: ExportedUser;
  readonly source: string;
  /** The users file's record whose email is the password grant's username, if any. */
  readonly loginUser?: ExportedUser;
}

/** The claims `head` (the environment's flow, compiled with its secrets) gives `subject`, whose record comes from --users or the Management API. */
export async function expectedFor(
  subject: string,
  options: VerifyOptions,
  head: CompiledEnvironment,
  budget: Budget,
): Promise<Expected & { records: Records }> {
  const records = options.usersFile
    ? await fromFile(options.usersFile, subject, options.grant === "password" ? options.username : undefined)
    : await fromManagementApi(options, subject, budget);
  const { user, source } = records;
  const action = await startCompiledEnvironment(head);
  let outcome;
  try {
    // As the tenant ran it: the protocol of verify's login, the scopes it asked for, prompt=login for a code flow.
    const code = options.grant !== "password";
    outcome = await action.runtime.login(user, {
      protocol: code ? "oidc-basic-profile" : "oauth2-resource-owner",
      requestedScopes: LOGIN_SCOPES,
      prompt: code ? ["login"] : [],
    });
  } finally {
    await action.runtime.close();
  }
  if (outcome.denied !== null) {
    throw new UsageError(
      "ERR_EXPECTATION",
      `the preview of ${options.env}'s action denies ${subject} (${outcome.denied}), yet the tenant logged them in: the tenant runs other code`,
    );
  }
  const redirect = outcome.effects?.redirect;
  if (redirect !== undefined) {
    // The claims after /continue depend on what the redirect's site sends back: not computable here.
    throw new UsageError(
      "ERR_EXPECTATION",
      `the preview of ${options.env}'s flow redirects ${subject} (${redirect.action}), so the claims after /continue can't be computed from ${source}; ` +
        "read the record after the login from the Management API (--mgmt-client-id), where the redirect's writes let the flow through, or give --expect",
    );
  }
  return {
    idToken: outcome.idToken,
    accessToken: outcome.accessToken,
    userinfo: outcome.userinfo,
    source: `the preview of ${options.env}'s ${flowText(head.flow)} for ${subject}'s app_metadata from ${source}`,
    records,
  };
}

async function fromFile(file: string, subject: string, login: string | undefined): Promise<Records> {
  let user: ExportedUser | undefined;
  let loginUser: ExportedUser | undefined;
  const lowerLogin = login?.toLowerCase();
  // A bad users file throws UsageError naming the file and line: exit 2, as a bad flag does.
  const users = await UserFile.open(file);
  for await (const batch of users.users()) {
    for (const { user: u } of batch) {
      if (u.user_id === subject) user ??= u;
      if (lowerLogin !== undefined && typeof u.email === "string" && u.email.toLowerCase() === lowerLogin)
        loginUser ??= u;
    }
    if (user && (lowerLogin === undefined || loginUser)) break;
  }
  if (!user)
    throw new UsageError(
      "ERR_USER_UNKNOWN",
      `--users: ${file} has no user with user_id ${quote(subject)}, who just logged in; add them, or use --expect`,
    );
  return { user, source: file, loginUser };
}

async function fromManagementApi(options: VerifyOptions, subject: string, budget: Budget): Promise<Records> {
  const management = options.management!;
  try {
    const token = await managementToken(options.issuerUrl, management, budget, "read:users");
    const url = new URL(`api/v2/users/${encodeURIComponent(subject)}`, options.issuerUrl);
    url.search = "fields=user_id,email,app_metadata,user_metadata&include_fields=true";
    const answer = await budget.fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!answer.ok)
      throw new AuthError(
        "ERR_MANAGEMENT_REFUSED",
        `the Management API refused GET /api/v2/users/${encodeURIComponent(subject)}: HTTP ${answer.status}; check the read:users scope`,
      );
    const user = await jsonOf(answer, `GET ${url.href}`);
    if (typeof user !== "object" || user === null || Array.isArray(user))
      throw new NetworkError("ERR_ANSWER_INVALID", `GET ${url.href}: the answer is not a user record`);
    return { user: user as ExportedUser, source: "the Management API" };
  } catch (err) {
    throw toolErrorIn(err) ?? new NetworkError("ERR_UNREACHABLE", `can't reach the Management API: ${errorText(err)}`);
  }
}

/** A Management API token for `management` (client credentials); AuthError naming `scope` when it is refused. */
export async function managementToken(
  issuerUrl: URL,
  management: { readonly clientId: string; readonly clientSecret: string; readonly audience?: string },
  budget: Budget,
  scope: string,
): Promise<string> {
  const audience = management.audience ?? new URL("api/v2/", issuerUrl).href;
  const tokenUrl = new URL("oauth/token", issuerUrl);
  const response = await budget.fetch(tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: management.clientId,
      client_secret: management.clientSecret,
      audience,
    }),
  });
  const body = (await jsonOf(response, `POST ${tokenUrl.href}`).catch(() => ({}))) as {
    access_token?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (!response.ok || typeof body.access_token !== "string") {
    const why =
      `${typeof body.error === "string" ? body.error : response.status} ${typeof body.error_description === "string" ? body.error_description : ""}`.trim();
    throw new AuthError(
      "ERR_MANAGEMENT_REFUSED",
      `the Management API token was refused: ${quote(why)}; the application needs the ${scope} scope on the Management API`,
    );
  }
  return body.access_token;
}
