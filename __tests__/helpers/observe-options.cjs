// Preloaded with `node -r` by cli-contract.test.ts: appends the flags of every option spec the CLI
// hands to util.parseArgs to the file $CLAIMS_OBSERVE_OPTIONS, then parses as before, so a test can
// compare what --help lists with what the CLI really accepts.
const { appendFileSync } = require("node:fs");
const util = require("node:util");
const parseArgs = util.parseArgs;
util.parseArgs = function observedParseArgs(config) {
  const flags = Object.entries((config && config.options) || {}).map(([name, spec]) => ({
    name,
    type: spec.type,
    short: spec.short,
  }));
  appendFileSync(process.env.CLAIMS_OBSERVE_OPTIONS, JSON.stringify(flags) + "\n");
  return parseArgs.call(this, config);
};
