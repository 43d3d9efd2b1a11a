// The error family walked (src/errors.ts, docs/errors.md): every code documented once with its exit
// status and the page documenting no other, every code defined once and used in src, and every throw
// site's class taking only codes of its own exit status. The runs that show the codes are in the
// tests of each command (verify-hostile, preview-bounded-input, synth-config).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as family from "../src/errors";
import { ERROR_CODES, type ErrorCode, INTERNAL_ERROR, ToolError } from "../src/errors";
import { ConstructPropError } from "../src/constructs/construct-error";
import { projectRoot } from "../src/project-root";

const root = projectRoot();
const docs = readFileSync(join(root, "docs", "errors.md"), "utf8");
const registry = readFileSync(join(root, "src", "errors.ts"), "utf8");
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

/** Every .ts file under src/, but the registry itself: path -> text. */
function sources(dir = join(root, "src")): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [p, t] of sources(path)) found.set(p, t);
    else if (name.endsWith(".ts") && path !== join(root, "src", "errors.ts"))
      found.set(path, readFileSync(path, "utf8"));
  }
  return found;
}
const src = sources();

/** The rows of the page's code tables: [code, exit]. */
const documented = [...docs.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d) \|/gm)].map(
  ([, code, exit]) => [code, Number(exit)] as const,
);
/** The rows of the page's class table: class -> exit. */
const classExit = new Map(
  [...docs.matchAll(/^\| `(\w+Error)` \| (\d) \|/gm)].map(([, name, exit]) => [name, Number(exit)]),
);

/** Codes of others that src compares against (jose's, Node's), not ours. */
const FOREIGN = new Set([
  "ERR_WORKER_OUT_OF_MEMORY",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JWT_EXPIRED",
  "ERR_JWT_CLAIM_VALIDATION_FAILED",
]);

test("docs/errors.md lists every code once, with the exit status the registry gives it, and no other", () => {
  const listed = documented.map(([code]) => code);
  expect(listed.filter((code, i) => listed.indexOf(code) !== i)).toEqual([]);
  expect([...listed].sort()).toEqual([...codes].sort());
  for (const [code, exit] of documented) expect([code, exit]).toEqual([code, ERROR_CODES[code as ErrorCode].exit]);
});

test("each code is defined once in the registry", () => {
  const defined = [...registry.matchAll(/^\s+(ERR_[A-Z_]+): \{/gm)].map(([, code]) => code);
  expect(defined.filter((code, i) => defined.indexOf(code) !== i)).toEqual([]);
  expect(defined.sort()).toEqual([...codes].sort());
});

test("each code is used in src, and src uses no code the registry lacks", () => {
  const used = new Set<string>();
  for (const text of src.values()) for (const [, code] of text.matchAll(/"(ERR_[A-Z_]+)"/g)) used.add(code);
  expect(codes.filter((code) => !used.has(code))).toEqual([]);
  expect([...used].filter((code) => !(code in ERROR_CODES) && code !== INTERNAL_ERROR && !FOREIGN.has(code))).toEqual(
    [],
  );
});

test("every class of the family is in the page's class table, and makes errors of its exit status", () => {
  const classes = ([...Object.values(family), ConstructPropError] as unknown[]).filter(
    (value): value is abstract new (...args: never[]) => ToolError =>
      typeof value === "function" && value.prototype instanceof ToolError,
  );
  expect(classes.map((c) => c.name).sort()).toEqual([...classExit.keys()].sort());
  for (const Class of classes) {
    const exit = classExit.get(Class.name) as number;
    const code = codes.find((c) => ERROR_CODES[c].exit === exit && !("verdict" in ERROR_CODES[c])) as ErrorCode;
    const make = Class as unknown as new (...args: unknown[]) => ToolError;
    const err =
      Class === ConstructPropError ? new make("dev/claims", code, "claimKeys: ...") : new make(code, "a message");
    expect([Class.name, err.exitCode, err.code, err.name, err instanceof Error]).toEqual([
      Class.name,
      exit,
      code,
      Class.name,
      true,
    ]);
  }
});

test("each throw site gives its class a code of that class's exit status, never a verdict", () => {
  const sites: string[] = [];
  for (const [path, text] of src) {
    for (const [site, name, code] of text.matchAll(
      /new (\w+Error)\(\s*(?:(?:this|scope|stack|"[a-z]+"),\s*)?"(ERR_[A-Z_]+)"/g,
    )) {
      sites.push(site);
      const spec = ERROR_CODES[code as ErrorCode];
      expect({ path, site, exit: spec.exit, verdict: "verdict" in spec }).toEqual({
        path,
        site,
        exit: classExit.get(name),
        verdict: false,
      });
    }
  }
  // The walk found the sites: about a hundred and fifty today.
  expect(sites.length).toBeGreaterThan(100);
});
