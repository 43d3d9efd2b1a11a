// The project's committed provider lock file (.terraform.lock.hcl at the project's root): read it,
// check it against the constraint the stacks declare, and place it, byte for byte, in each stack's folder.
import { copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { LockError } from "./errors";

/** Where the lock file is committed, relative to the project's root. */
export const LOCK_FILE = ".terraform.lock.hcl";
/** How Terraform names the provider in a lock file. */
export const AUTH0_PROVIDER = "registry.terraform.io/auth0/auth0";
/** A lock file is a few KB; anything far bigger is not one. */
const MAX_LOCK_BYTES = 1024 * 1024;

export const HOW_TO_LOCK = `run \`npm run lock\` where registry.terraform.io is reachable and commit ${LOCK_FILE}`;

export interface LockedProvider {
  readonly version: string;
  /** The `constraints` line: cdktf runs `terraform init -upgrade` (ignoring the lock) when it disagrees with the stack's. */
  readonly constraints: string | undefined;
  readonly hashes: readonly string[];
}

/** The provider blocks of a lock file, by provider address. Only the three fields Terraform writes. */
export function parseLockFile(text: string): Map<string, LockedProvider> {
  const providers = new Map<string, LockedProvider>();
  for (const block of text.matchAll(/^provider\s+"([^"]+)"\s*\{([\s\S]*?)^\}/gm)) {
    const body = block[2];
    const field = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, "m").exec(body)?.[1];
    const hashes = /^\s*hashes\s*=\s*\[([\s\S]*?)\]/m.exec(body)?.[1] ?? "";
    providers.set(block[1], {
      version: field("version") ?? "",
      constraints: field("constraints"),
      hashes: [...hashes.matchAll(/"([^"]+)"/g)].map((m) => m[1]),
    });
  }
  return providers;
}

/**
 * Whether `version` meets a Terraform version constraint ("~> 1.51", ">= 1.49, < 2.0", "1.51.0").
 * Pre-release versions and build metadata are not used by this project's constraints, so not handled.
 */
export function satisfies(version: string, constraint: string): boolean {
  const parse = (text: string) =>
    text
      .trim()
      .replace(/^v/, "")
      .split(".")
      .map((n) => Number(n));
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const v = parse(version);
  if (v.some((n) => !Number.isInteger(n))) return false;
  return constraint.split(",").every((part) => {
    const m = /^\s*(~>|>=|<=|!=|=|>|<)?\s*(\d+(?:\.\d+)*)\s*$/.exec(part);
    if (!m)
      throw new LockError(
        "ERR_PROVIDER_CONSTRAINT",
        `version constraint ${JSON.stringify(part.trim())} is not understood; use forms like "~> 1.51" or ">= 1.51, < 2.0"`,
      );
    const [, op = "=", text] = m;
    const c = parse(text);
    const cmp = compare(v, c);
    switch (op) {
      case "=":
        return cmp === 0;
      case "!=":
        return cmp !== 0;
      case ">":
        return cmp > 0;
      case ">=":
        return cmp >= 0;
      case "<":
        return cmp < 0;
      case "<=":
        return cmp <= 0;
      default: {
        // "~> 1.51" allows 1.x from 1.51; "~> 1.51.0" allows 1.51.x: only the rightmost given part moves.
        const fixed = c.slice(0, Math.max(1, c.length - 1));
        return cmp >= 0 && fixed.every((n, i) => v[i] === n);
      }
    }
  });
}

export type LockStatus =
  | { readonly state: "locked"; readonly file: string; readonly version: string; readonly hashes: number }
  | { readonly state: "missing"; readonly file: string; readonly warning: string };

/**
 * Reads the lock file at `lockPath` (shown as `shownAs`) and checks it against `constraint`.
 * Throws when it exists but would not be honoured: wrong version, or a `constraints` line that makes
 * cdktf re-resolve the provider with `terraform init -upgrade`.
 */
export function readProjectLock(lockPath: string, constraint: string, shownAs = LOCK_FILE): LockStatus {
  if (!existsSync(lockPath)) {
    return {
      state: "missing",
      file: shownAs,
      warning: `no provider lock file (${shownAs}): terraform init resolves the newest auth0/auth0 matching "${constraint}" and checks no hash; ${HOW_TO_LOCK}`,
    };
  }
  if (statSync(lockPath).size > MAX_LOCK_BYTES)
    throw new LockError(
      "ERR_LOCK_FILE",
      `${shownAs}: larger than ${MAX_LOCK_BYTES} bytes, so not a Terraform lock file; ${HOW_TO_LOCK}`,
    );
  const locked = parseLockFile(readFileSync(lockPath, "utf8")).get(AUTH0_PROVIDER);
  if (!locked || !locked.version)
    throw new LockError(
      "ERR_LOCK_FILE",
      `${shownAs}: has no provider "${AUTH0_PROVIDER}" block with a version; ${HOW_TO_LOCK}`,
    );
  if (!satisfies(locked.version, constraint)) {
    throw new LockError(
      "ERR_LOCK_FILE",
      `${shownAs}: locks auth0/auth0 ${locked.version}, which does not meet "${constraint}" (cdktf.json); ${HOW_TO_LOCK}`,
    );
  }
  // Terraform rewrites constraints with its own spacing (">=1.51" becomes ">= 1.51"): compare without it.
  const bare = (text: string | undefined) => (text ?? "").replace(/\s+/g, "");
  if (bare(locked.constraints) !== bare(constraint)) {
    throw new LockError(
      "ERR_LOCK_FILE",
      `${shownAs}: was locked for constraints "${locked.constraints ?? ""}", the stacks now ask for "${constraint}" (cdktf.json), and cdktf would upgrade past the lock; ${HOW_TO_LOCK}`,
    );
  }
  if (locked.hashes.length === 0)
    throw new LockError(
      "ERR_LOCK_FILE",
      `${shownAs}: the auth0/auth0 block has no hashes, so nothing would be verified; ${HOW_TO_LOCK}`,
    );
  return { state: "locked", file: shownAs, version: locked.version, hashes: locked.hashes.length };
}

/** Copies the lock file into a stack's folder, where `terraform init` (and cdktf diff/deploy) read it. */
export function placeLock(lockPath: string, stackDir: string): void {
  copyFileSync(lockPath, join(stackDir, LOCK_FILE));
}
