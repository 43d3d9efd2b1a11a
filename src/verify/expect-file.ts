// --expect FILE: the expected claims given as a file (a line of `npm run preview -- --json` fits).
import { quote, UsageError } from "../errors";
import { failFor, readTextFile } from "../environment/stack-file";
import { errorText } from "./error-text";
import type { Expected } from "./expected";

/** The most an --expect file may hold: Auth0 caps each token's custom claims at 100 KB. */
const EXPECT_FILE_LIMIT = 1024 * 1024;

/** --expect FILE: {"idToken": {...}, "accessToken": {...}, "userinfo": {...}}, any of them; a preview --json line fits. */
export function readExpectFile(file: string): Expected {
  const what = "a JSON object with idToken, accessToken and/or userinfo";
  const text = readTextFile(file, EXPECT_FILE_LIMIT, failFor("--expect"), what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError("ERR_INPUT_INVALID", `--expect: ${quote(file)}: ${errorText(err)}; give ${what}`);
  }
  const object = value as Record<string, unknown>;
  const part = (key: string): Record<string, unknown> | undefined => {
    const v = object?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new UsageError("ERR_INPUT_INVALID", `--expect: ${file}: "${key}" must be an object of claims`);
    return v as Record<string, unknown>;
  };
  const idToken = part("idToken");
  const accessToken = part("accessToken");
  const info = part("userinfo");
  if (!idToken && !accessToken && !info)
    throw new UsageError("ERR_INPUT_INVALID", `--expect: ${file} has none of idToken, accessToken, userinfo`);
  return { idToken: idToken ?? {}, accessToken: accessToken ?? {}, userinfo: info ?? idToken ?? {}, source: file };
}
