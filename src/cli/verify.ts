// `npm run verify -- --env NAME ...`: logs in to a tenant (authorization code flow, or the password
// grant), checks the tokens, calls /userinfo and compares the custom claims with what is expected.
// Exit: 0 match, 1 mismatch, 2 usage or configuration, 3 network or authentication, 4 partial (docs/verify.md).
import { runVerify } from "../verify/run";

// runVerify ends through commandExit itself, its output scrubbed of the run's secrets.
void runVerify(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text + "\n"),
  stderr: (text) => process.stderr.write(text + "\n"),
}).then((code) => {
  process.exitCode = code;
});
