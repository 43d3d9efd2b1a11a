// The values of the secrets a flow declares, for a local run: from `--secrets-file FILE` (dotenv) or
// the TF_VAR_<variable> environment variables the deploy itself reads, so one file or one set of
// variables serves both. A declared secret with no value is a usage error naming it; no message
// here ever quotes a value, nor a line of the file (which may be one).
import { parseEnv } from "node:util";
import { MAX_SECRET_VALUE_CHARS } from "../auth0/facts";
import { failFor, readTextFile } from "../environment/stack-file";
import { quote, UsageError } from "../errors";
import { type ActionAsDeployed, type FlowAsDeployed, type FlowSecret, withSecrets } from "./model";

/**
 * A secrets file larger than this is not one: a flow of Auth0's 20 actions with 30 secrets of
 * 4,096 characters each, with their names, is under 2.5 MiB.
 */
export const MAX_SECRETS_FILE_BYTES = 4 * 2 ** 20;

/** The prefix Terraform reads a variable's value from in the environment. */
export const TF_VAR = "TF_VAR_";

/** Where the values of declared secrets come from. */
export interface SecretValues {
  /** The value of TF_VAR_<variable>, and where it was found (`"secrets.env" line 3`, "TF_VAR_x"); undefined when nothing gives one. */
  find(variable: string): { readonly value: string; readonly from: string } | undefined;
  /** The file given with --secrets-file, named in the fix of a missing value. */
  readonly file?: string;
  /** Every value find() handed out, so a tool can keep them out of what it prints. */
  readonly used: ReadonlySet<string>;
}

/** No file and no environment: every secret that needs a value is missing. */
export function noSecretValues(): SecretValues {
  return { find: () => undefined, used: new Set() };
}

/**
 * The values of `file` (--secrets-file; lines TF_VAR_<variable>=VALUE), then of `env`'s TF_VAR_*
 * variables. An empty value counts as none. UsageError naming the file and line for a bad line.
 */
export function secretValues(file: string | undefined, env: NodeJS.ProcessEnv): SecretValues {
  const fromFile = file === undefined ? new Map<string, { value: string; line: number }>() : readSecretsFile(file);
  const used = new Set<string>();
  return {
    file,
    used,
    find(variable) {
      const key = TF_VAR + variable;
      const inFile = fromFile.get(key);
      const found =
        inFile !== undefined && inFile.value !== ""
          ? { value: inFile.value, from: `${quote(file)} line ${inFile.line}` }
          : typeof env[key] === "string" && env[key] !== ""
            ? { value: env[key], from: key }
            : undefined;
      if (found) used.add(found.value);
      return found;
    },
  };
}

const BLANK_OR_COMMENT = /^\s*(#.*)?$/;
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const QUOTES = new Set(['"', "'", "`"]);

/**
 * A dotenv file, as `node --env-file` reads it (util.parseEnv gives the values), once every line is
 * known to mean one thing: util.parseEnv skips or misreads a line it doesn't understand, and a secret
 * cut short at a `#` or a missing quote would run silently. Quoted values may span lines.
 */
export function readSecretsFile(file: string): Map<string, { value: string; line: number }> {
  const fail = failFor("--secrets-file");
  const text = readTextFile(file, MAX_SECRETS_FILE_BYTES, fail, "a dotenv file of TF_VAR_<variable>=VALUE lines");
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const where = (i: number) => `${quote(file)} line ${i + 1}`;
  const keys = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    if (BLANK_OR_COMMENT.test(lines[i])) continue;
    // Never quoted in a message: a bad line may be a value pasted on its own.
    const match = ASSIGNMENT.exec(lines[i]);
    if (!match)
      throw fail(
        "ERR_SECRETS_FILE",
        `${where(i)} is not NAME=VALUE; write TF_VAR_<variable>=VALUE (quote a value that holds a # or spans lines), or a # comment`,
      );
    const [, key, rest] = match;
    if (keys.has(key))
      throw fail(
        "ERR_SECRETS_FILE",
        `${where(i)} sets ${key} again (first on line ${keys.get(key)}); set each variable once`,
      );
    keys.set(key, i + 1);
    const quoteChar = rest[0];
    if (QUOTES.has(quoteChar)) {
      // The value ends at the next quote of its kind, on this line or a later one (no escapes, as in util.parseEnv).
      let end = rest.indexOf(quoteChar, 1);
      let last = i;
      let after = end === -1 ? "" : rest.slice(end + 1);
      while (end === -1 && last + 1 < lines.length) {
        last++;
        end = lines[last].indexOf(quoteChar);
        after = end === -1 ? "" : lines[last].slice(end + 1);
      }
      if (end === -1)
        throw fail(
          "ERR_SECRETS_FILE",
          `${where(i)}: the value of ${key} opens a ${quoteChar} quote that never closes; close it`,
        );
      if (!BLANK_OR_COMMENT.test(after))
        throw fail(
          "ERR_SECRETS_FILE",
          `${where(last)}: text after the closing quote of ${key}'s value; only a # comment may follow it`,
        );
      i = last;
    } else if (/(^|[^\s])#/.test(rest)) {
      throw fail(
        "ERR_SECRETS_FILE",
        `${where(i)}: the value of ${key} holds a # that would start a comment and cut it short; quote the value`,
      );
    }
  }
  const values = parseEnv(text);
  const result = new Map<string, { value: string; line: number }>();
  for (const [key, line] of keys) result.set(key, { value: values[key] ?? "", line });
  return result;
}

/** Where a missing value can be given, for the error. */
function howToGive(variable: string, values: SecretValues): string {
  const line = `${TF_VAR}${variable}=...`;
  return values.file === undefined
    ? `set ${TF_VAR}${variable}, or give --secrets-file FILE with a line ${line}`
    : `add a line ${line} to ${quote(values.file)}, or set ${TF_VAR}${variable}`;
}

/**
 * The flow with a value for every secret of its actions (the retired ones don't run, so they stay as
 * they are): the source's own value, else the file's or the environment's. UsageError, one line,
 * naming the action and the secret when none gives one, or when a value is longer than Auth0 allows.
 */
export function resolveSecrets(flow: FlowAsDeployed, values: SecretValues): FlowAsDeployed {
  return withSecrets(flow, (secret, action) => {
    if (secret.value !== undefined) return secret;
    const found = secret.variable === undefined ? undefined : values.find(secret.variable);
    if (found === undefined) throw missingSecret(action, secret, values);
    if (found.value.length > MAX_SECRET_VALUE_CHARS) {
      throw new UsageError(
        "ERR_SECRET_TOO_LONG",
        `action ${quote(action.name)}: secret ${quote(secret.name)}: the value from ${found.from} is ${found.value.length} characters; Auth0 allows at most ${MAX_SECRET_VALUE_CHARS}`,
      );
    }
    return { ...secret, value: found.value };
  });
}

/** An action's secrets as event.secrets holds them; UsageError naming the first without a value. */
export function secretsRecord(
  action: ActionAsDeployed,
  values: SecretValues = noSecretValues(),
): Record<string, string> {
  const record: Record<string, string> = {};
  for (const secret of action.secrets) {
    if (secret.value === undefined) throw missingSecret(action, secret, values);
    record[secret.name] = secret.value;
  }
  return record;
}

function missingSecret(action: ActionAsDeployed, secret: FlowSecret, values: SecretValues): UsageError {
  const fix =
    secret.variable === undefined
      ? "no Terraform variable of the stack gives it either; give the secret a value in the stack"
      : howToGive(secret.variable, values);
  return new UsageError(
    "ERR_SECRET_MISSING",
    `action ${quote(action.name)}: secret ${quote(secret.name)} has no value; ${fix}`,
  );
}
