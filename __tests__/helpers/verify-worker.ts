// Runs verify in-process, many cases in one node process: jest can't load openid-client and jose
// (ES modules), so tests start this once per file and send it cases (see verify-runner.ts). Besides
// whole runs, it checks one ID token with verify's own checks (verifyIdToken), where openid-client's
// checks of a login would otherwise catch a bad token first.
import { createInterface } from "node:readline";
import * as client from "openid-client";
import { TokenChecker, verifyIdToken } from "../../src/verify/checks";
import { Budget } from "../../src/verify/http";
import type { VerifyOptions } from "../../src/verify/options";
import { runVerify } from "../../src/verify/run";
import { Secrets } from "../../src/scrub";

interface Case {
  readonly id: number;
  readonly argv: string[];
  readonly env: Record<string, string>;
}
interface IdTokenCase {
  readonly id: number;
  readonly idToken: { domain: string; clientId: string; token: string; nonce?: string };
}

const answer = (message: object) => process.stdout.write(JSON.stringify(message) + "\n");

/** verify's checks of an ID token, against the tenant's discovery and JWKS: the checks passed, or why not. */
async function checkIdToken({
  domain,
  clientId,
  token,
  nonce,
}: IdTokenCase["idToken"]): Promise<{ checks?: string[]; error?: string }> {
  const budget = new Budget(10_000, new Secrets());
  const config = await client.discovery(new URL(domain), clientId, undefined, undefined, {
    execute: [client.allowInsecureRequests],
  });
  const options = { clientId } as VerifyOptions;
  try {
    const { checks } = await verifyIdToken(
      new TokenChecker(config, budget),
      options,
      { idToken: token, accessToken: "", nonce, flow: "test" },
      config.serverMetadata().issuer,
    );
    return { checks: checks.map((c) => c.name) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line) as Case | IdTokenCase;
  const started = Date.now();
  if ("idToken" in message) {
    const { id } = message;
    checkIdToken(message.idToken).then(
      (result) =>
        answer({
          id,
          exit: result.error ? 3 : 0,
          stdout: JSON.stringify(result),
          stderr: "",
          ms: Date.now() - started,
        }),
      (err: unknown) => answer({ id, exit: -1, stdout: "", stderr: String(err), ms: Date.now() - started }),
    );
    return;
  }
  const { id, argv, env } = message;
  let stdout = "";
  let stderr = "";
  const stream = (text: string) => answer({ id, partial: text });
  const output = {
    stdout: (text: string) => ((stdout += text + "\n"), stream(text)),
    stderr: (text: string) => ((stderr += text + "\n"), stream(text)),
  };
  runVerify(argv, env, output).then(
    (exit) => answer({ id, exit, stdout, stderr, ms: Date.now() - started }),
    (err: unknown) => answer({ id, exit: -1, stdout, stderr: String(err), ms: Date.now() - started }),
  );
});
