// ESLint: typescript-eslint's type-checked rules, plus the few this codebase leans on (docs/testing.md,
// "Lint and format"). Formatting is Prettier's alone (eslint-config-prettier turns off ESLint's
// layout rules), so the two never disagree.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

// The globals scripts/*.mjs and *.cjs use: Node's, which ESLint does not assume.
const NODE_GLOBALS = Object.fromEntries(
  [
    "process",
    "console",
    "__filename",
    "__dirname",
    "Buffer",
    "URL",
    "setTimeout",
    "clearTimeout",
    "setImmediate",
    "structuredClone",
  ].map((name) => [name, "readonly"]),
);

export default tseslint.config(
  { ignores: ["node_modules/", ".gen/", "cdktf.out/", "coverage/"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // An async function that doesn't await is how this code meets a promise-returning interface
      // (oidc-provider's adapter, a route's handle, Auth0's handler); unhandled promises are what
      // no-floating-promises and no-misused-promises check.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // One exit path: only a CLI entry (src/cli/*.ts) ends the process; everything else throws a
    // ToolError and lets the entry map it to an exit status (docs/errors.md).
    files: ["main.ts", "src/**/*.ts", "actions/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "exit", message: "Throw a ToolError; only src/cli/*.ts ends the process." },
      ],
    },
  },
  {
    // Auth0 runs an action as a CommonJS module: its handlers go on `exports` (typed `any` by Node's
    // types) and a Node module comes by `require` (an `import` makes esbuild emit module helpers).
    files: ["actions/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { disallowTypeAnnotations: false }],
    },
  },
  {
    // Tests read the tools' JSON output, typed `any` by JSON.parse; asserting on its shape is the
    // test's job, so typing every access first would add noise and catch nothing.
    files: ["__tests__/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
      // A test matches printed tables: literal spaces read like the output they match.
      "no-regex-spaces": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.cjs", "**/*.js"],
    languageOptions: { globals: NODE_GLOBALS },
  },
  { files: ["**/*.cjs", "jest.config.js"], languageOptions: { sourceType: "commonjs" } },
  prettier,
);
