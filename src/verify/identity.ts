// Who the tokens are for must be who logged in: the password grant's username, the users file's
// email -> user_id and the Management API's record must all agree with the ID token's subject.
import { AuthError, quote } from "../errors";
import type { Check } from "./checks";
import type { Records } from "./expected";

export interface Identity {
  /** The check made, when one could be. */
  readonly check?: Check;
  /** Why who logged in could not be matched to the subject, when it couldn't. */
  readonly notChecked?: string;
}

/**
 * Throws AuthError naming both sides when any source says the subject is someone else. `login` is the
 * password grant's username (undefined for the code flow: whoever used the browser logged in).
 */
export function checkIdentity(
  subject: string,
  login: string | undefined,
  tokenClaims: Record<string, unknown>[],
  records: Records | undefined,
): Identity {
  const how: string[] = [];
  if (records) {
    const recordId = records.user.user_id;
    if (recordId !== subject) {
      throw new AuthError(
        "ERR_IDENTITY_MISMATCH",
        `${records.source} answered for the subject ${quote(subject)} with the record of ${quote(recordId)}: the expectation would be another user's`,
      );
    }
    how.push(`${records.source} has the record of ${subject}`);
  }
  if (login === undefined)
    return how.length > 0 ? { check: { name: "subject", ok: true, detail: how.join("; ") } } : {};

  const lower = login.toLowerCase();
  const isEmail = login.includes("@");
  let confirmed = lower === subject.toLowerCase();
  for (const claims of tokenClaims) {
    const email = claims.email;
    if (typeof email !== "string" || !isEmail) continue;
    if (email.toLowerCase() !== lower) {
      throw new AuthError(
        "ERR_IDENTITY_MISMATCH",
        `the tokens are for ${quote(subject)} (email ${quote(email)}), but the password grant logged in ${quote(login)}`,
      );
    }
    confirmed = true;
  }
  if (confirmed) how.push(`the tokens' email is ${login}, the password grant's username`);
  if (records?.loginUser) {
    if (records.loginUser.user_id !== subject) {
      throw new AuthError(
        "ERR_IDENTITY_MISMATCH",
        `${records.source} says ${quote(login)} is ${quote(records.loginUser.user_id)}, but the tokens are for ${quote(subject)}`,
      );
    }
    confirmed = true;
    how.push(`${records.source} maps ${login} to ${subject}`);
  }
  const recordEmail = records?.user.email;
  if (isEmail && typeof recordEmail === "string") {
    if (recordEmail.toLowerCase() !== lower) {
      throw new AuthError(
        "ERR_IDENTITY_MISMATCH",
        `${records!.source} says ${quote(subject)} is ${quote(recordEmail)}, but the password grant logged in ${quote(login)}`,
      );
    }
    confirmed = true;
    how.push(`${records!.source} gives ${subject} the email ${login}`);
  }
  if (!confirmed) {
    return {
      check: how.length > 0 ? { name: "subject", ok: true, detail: how.join("; ") } : undefined,
      notChecked: `the password grant's username ${quote(login)} can't be matched to the subject ${quote(subject)}: the tokens carry no email and no record names it`,
    };
  }
  return { check: { name: "subject", ok: true, detail: `${subject} is ${login}, who logged in (${how.join("; ")})` } };
}
