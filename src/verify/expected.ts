// The claims a user should get: computed by the preview runtime from the user's app_metadata, read
// from a users file or from the Management API, with the environment's compiled action.
import { loadEnvironmentAction } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import type { ExportedUser } from "../runtime/post-login-runtime";
import { AuthError, UsageError } from "../errors";
import { errorText } from "./errors";
import type { Expected } from "./checks";
import type { VerifyOptions } from "./options";

export async function expectedFor(subject: string, options: VerifyOptions, namespace: string): Promise<Expected> {
  const { user, source } = options.usersFile ? await fromFile(options.usersFile, subject) : await fromManagementApi(options, subject);
  const action = loadEnvironmentAction({ env: options.env, namespace, runtime: { audience: options.audience } });
  const outcome = await action.runtime.login(user);
  if (outcome.denied !== null) {
    throw new UsageError(`the preview of ${options.env}'s action denies ${subject} (${outcome.denied}), yet the tenant logged them in: the tenant runs other code`);
  }
  return {
    idToken: outcome.idToken,
    accessToken: outcome.accessToken,
    userinfo: outcome.userinfo,
    source: `the preview of ${options.env}'s action (${action.source}) for ${subject}'s app_metadata from ${source}`,
  };
}

async function fromFile(file: string, subject: string): Promise<{ user: ExportedUser; source: string }> {
  try {
    const users = await UserFile.open(file);
    for await (const batch of users.users()) {
      const found = batch.find(({ user }) => user.user_id === subject);
      if (found) return { user: found.user, source: file };
    }
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--users: ${err.message}`);
    throw err;
  }
  throw new UsageError(`--users: ${file} has no user with user_id "${subject}", who just logged in; add them, or use --expect`);
}

async function fromManagementApi(options: VerifyOptions, subject: string): Promise<{ user: ExportedUser; source: string }> {
  const management = options.management!;
  const audience = management.audience ?? new URL("api/v2/", options.issuerUrl).href;
  const post = async (): Promise<string> => {
    const response = await fetch(new URL("oauth/token", options.issuerUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", client_id: management.clientId, client_secret: management.clientSecret, audience }),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || !body.access_token) {
      throw new AuthError(`the Management API token was refused: ${body.error ?? response.status} ${body.error_description ?? ""}`.trim() + "; the application needs the read:users scope on the Management API");
    }
    return body.access_token;
  };
  try {
    const token = await post();
    const url = new URL(`api/v2/users/${encodeURIComponent(subject)}`, options.issuerUrl);
    url.search = "fields=user_id,email,app_metadata,user_metadata&include_fields=true";
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new AuthError(`the Management API refused GET /api/v2/users/${subject}: HTTP ${response.status}; check the read:users scope`);
    return { user: (await response.json()) as ExportedUser, source: "the Management API" };
  } catch (err) {
    if (err instanceof AuthError) throw err;
    throw new AuthError(`can't reach the Management API: ${errorText(err)}`);
  }
}
