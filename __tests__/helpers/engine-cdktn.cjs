// Preloaded with `node -r`: every require of "cdktf" (and "cdktf/...") loads CDK Terrain's "cdktn"
// instead, as an npm alias "cdktf": "npm:cdktn@..." would. Used by __tests__/engine.test.ts only.
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const swapped =
    request === "cdktf" || request.startsWith("cdktf/") ? "cdktn" + request.slice("cdktf".length) : request;
  return resolve.call(this, swapped, ...rest);
};
