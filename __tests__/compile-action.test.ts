// The compiler on what it really produces: esbuild output, header, size limit, Terraform escaping.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_ACTION_CODE_BYTES } from "../src/auth0/facts";
import { compileAction, escapeTerraformTemplate } from "../src/compile/compile-action";
import { projectRoot } from "../src/project-root";
import { compileClaims } from "./helpers/claims-action";

const tmpRoots: string[] = [];
function checkoutCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "claims-checkout-"));
  tmpRoots.push(dir);
  cpSync(join(projectRoot(), "actions"), join(dir, "actions"), { recursive: true });
  return dir;
}
afterAll(() => tmpRoots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const config = {
  APP_METADATA_CLAIMS_CONFIG: {
    keys: ["roles"],
    tokens: ["id"],
    namespaceSecret: "CLAIM_NAMESPACE",
    maxClaimsBytes: 102400,
  },
};

test("two checkouts at different paths compile to the same bytes, with no path of either in them", () => {
  const [a, b] = [checkoutCopy(), checkoutCopy()];
  const first = compileAction({ entry: "actions/post-login-claims.ts", constants: config, root: a });
  const second = compileAction({ entry: "actions/post-login-claims.ts", constants: config, root: b });
  expect(second.code).toBe(first.code);
  expect(first.code).not.toContain(a);
  expect(first.code).not.toContain(tmpdir());
});

test("the header names the source and the sha256 of the code below it", () => {
  const compiled = compileClaims();
  const [l1, l2] = compiled.code.split("\n");
  expect(l1).toMatch(
    /^\/\/ Auth0 post-login action compiled from actions\/post-login-claims\.ts by esbuild \d+\.\d+\.\d+ \(target node22\)\.$/,
  );
  const body = compiled.code.split("\n").slice(3).join("\n");
  expect(l2).toBe(`// sha256 of the code below this header: ${createHash("sha256").update(body).digest("hex")}`);
  expect(compiled.sha256).toBe(createHash("sha256").update(body).digest("hex"));
  expect(compiled.bytes).toBe(Buffer.byteLength(compiled.code));
});

test("the output is readable in a plan: not minified, no bundler helpers, the export visible", () => {
  const { code } = compileClaims();
  expect(code).toContain("exports.onExecutePostLogin = async (event, api) => {");
  expect(code).toContain(
    'var define_APP_METADATA_CLAIMS_CONFIG_default = { keys: ["roles", "permissions"], tokens: ["id"]',
  );
  expect(code).not.toMatch(/__export|__toCommonJS|__commonJS|__toESM|__defProp/);
  expect(code.split("\n").length).toBeGreaterThan(100);
  expect(Math.max(...code.split("\n").map((line) => line.length))).toBeLessThan(200);
});

test("node22 syntax is kept as written, not lowered", () => {
  expect(compileClaims().code).toContain("event.secrets?.[claimsConfig.namespaceSecret]");
});

test("changing a claim setting changes the code and its hash", () => {
  const a = compileClaims(["roles"], ["id"]);
  const b = compileClaims(["roles"], ["id", "access"]);
  expect(a.sha256).not.toBe(b.sha256);
});

test("an action over Auth0's 100 kB limit is an error that says so and what to do", () => {
  const root = checkoutCopy();
  writeFileSync(
    join(root, "actions", "huge.ts"),
    `exports.onExecutePostLogin = async () => "${"x".repeat(MAX_ACTION_CODE_BYTES)}";\n`,
  );
  expect(() => compileAction({ entry: "actions/huge.ts", root })).toThrow(
    /^actions\/huge\.ts: compiled action is \d+ bytes, over Auth0's limit of 100000 bytes of action code; move large data out/,
  );
});

test("a syntax error names the file and line", () => {
  const root = checkoutCopy();
  mkdirSync(join(root, "actions"), { recursive: true });
  writeFileSync(join(root, "actions", "broken.ts"), "exports.onExecutePostLogin = async () => {\n  return 1 +;\n};\n");
  expect(() => compileAction({ entry: "actions/broken.ts", root })).toThrow(
    /^actions\/broken\.ts:2: esbuild could not compile the action/,
  );
});

test("an entry outside the root is refused", () => {
  expect(() => compileAction({ entry: "../elsewhere.ts" })).toThrow(
    /^entry: \.\.\/elsewhere\.ts is outside .*; put the action under actions\//,
  );
});

test.each([
  ["${a}", "$${a}"],
  ["%{a}", "%%{a}"],
  ["$${a}", "$$${a}"],
  ["$ {a} % {a} {a}", "$ {a} % {a} {a}"],
  ["${${}}", "$${$${}}"],
])("escapeTerraformTemplate(%j) is %j", (input, escaped) => {
  expect(escapeTerraformTemplate(input)).toBe(escaped);
});
