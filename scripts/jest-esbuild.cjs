// jest's TypeScript transform: esbuild strips the types of each file (the project's own compiler,
// as scripts/run-ts.mjs uses it); `npm test` type-checks everything with tsc beside jest, so a
// second, slower compile in every jest worker (ts-jest) would check nothing more. esbuild does not
// hoist jest.mock() calls above the imports as babel-jest does: no test mocks a module, keep it so.
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { transformSync, version } = require("esbuild");

const SELF = readFileSync(__filename);

module.exports = {
  process(source, path) {
    const { code, map } = transformSync(source, {
      loader: path.endsWith(".ts") ? "ts" : "js",
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "external",
      sourcefile: path,
      // jest loads modules through its own require: `import()` must become a require too.
      supported: { "dynamic-import": false },
    });
    return { code, map };
  },
  // A new esbuild or a change to this file must not reuse jest's cached output.
  getCacheKey(source, path) {
    return createHash("sha256").update(version).update(SELF).update(path).update("\0").update(source).digest("hex");
  },
};
