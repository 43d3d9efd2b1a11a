// --expect FILE: the expected claims given as a file (a line of `npm run preview -- --json` fits).
import { readFileSync, statSync } from "node:fs";
import { UsageError } from "../errors";
import { errorText } from "./error-text";
import type { Expected } from "./expected";

/** The most an --expect file may hold: Auth0 caps each token's custom claims at 100 KB. */
const EXPECT_FILE_LIMIT = 1024 * 1024;

/** --expect FILE: {"idToken": {...}, "accessToken": {...}, "userinfo": {...}}, any of them; a preview --json line fits. */
export function readExpectFile(file: string): Expected {
  let value: unknown;
  try {
    const size = statSync(file).size;
    if (size > EXPECT_FILE_LIMIT) throw new Error(`${size} bytes, over the limit of ${EXPECT_FILE_LIMIT} (expected claims are at most a few 100 KB)`);
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--expect: ${file}: ${errorText(err)}; give a JSON object with idToken, accessToken and/or userinfo`);
  }
  const object = value as Record<string, unknown>;
  const part = (key: string): Record<string, unknown> | undefined => {
    const v = object?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`--expect: ${file}: "${key}" must be an object of claims`);
    return v as Record<string, unknown>;
  };
  const idToken = part("idToken");
  const accessToken = part("accessToken");
  const info = part("userinfo");
  if (!idToken && !accessToken && !info) throw new UsageError(`--expect: ${file} has none of idToken, accessToken, userinfo`);
  return { idToken: idToken ?? {}, accessToken: accessToken ?? {}, userinfo: info ?? idToken ?? {}, source: file };
}
