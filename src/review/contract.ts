// The claims contract of one environment: what its users' tokens will carry, in markdown for a
// pull request and in JSON for a pipeline to diff. Written beside the stack by every synthesis
// (cdktf synth/diff/deploy and npm run synth; see src/synthesis.ts).
import { NAMESPACE_SECRET } from "../compile/claims-action";
import type { ClaimsStack } from "../constructs/claims-stack";
import { ACTION_RUNTIME } from "../auth0/facts";
import type { LockStatus } from "../provider-lock";
import { PostLoginRuntime } from "../runtime/post-login-runtime";
import { type ExportedUser, type LoginOutcome } from "../runtime/types";

/** Stands in for a namespace only known at plan time; shown as <variable> in the contract. */
const PLACEHOLDER = "https://claim-namespace.placeholder";

export interface Contract {
  readonly environment: string;
  readonly namespace: { readonly value: string | null; readonly variable: string; readonly source: string };
  readonly claims: readonly { readonly claim: string; readonly from: string; readonly idToken: boolean; readonly userinfo: boolean; readonly accessToken: boolean }[];
  readonly binding: { readonly mode: string; readonly resource: string; readonly flow: readonly string[] };
  readonly action: { readonly name: string; readonly runtime: string; readonly trigger: string; readonly source: string; readonly sha256: string; readonly bytes: number };
  readonly adopts: string | null;
  readonly provider: { readonly source: string; readonly constraint: string; readonly locked: string | null; readonly lockFile: string | null };
  /** What to know before applying: a missing lock file, what adoption does. Empty when nothing. */
  readonly notes: readonly string[];
  readonly samples: { readonly file: string; readonly users: readonly Omit<LoginOutcome, "bytes" | "json" | "counts">[] };
}

/** The provider the stacks require, and what the committed lock file says of it. */
export interface ProviderPin {
  readonly constraint: string;
  readonly lock: LockStatus;
}

/**
 * What the contract and the summary read of the construct, in one place, so a change of the
 * construct's surface is a change here only.
 */
export function claimsOf(stack: ClaimsStack) {
  const claims = stack.claims;
  return {
    environment: stack.environment.name,
    variable: claims.namespace.variableName,
    namespace: claims.namespace.default,
    claimKeys: claims.claimKeys,
    tokens: claims.tokens,
    binding: claims.binding,
    actionName: claims.actionName,
    compiled: claims.compiled,
    adopted: claims.adopted,
  };
}

/** What the first apply after adopting a hand-made action does; said in the contract and docs/gitops.md. */
export const ADOPTION_NOTES = [
  "the first apply after adoption updates the adopted action and deploys a new version of it: Terraform can't import action secrets, so it sends them once",
  `secrets the hand-made action holds besides ${NAMESPACE_SECRET} must be declared in the construct, or Auth0 refuses the update ("Unmanaged Action Secret")`,
] as const;

export async function buildContract(stack: ClaimsStack, samples: readonly ExportedUser[], samplesFile: string, provider: ProviderPin): Promise<Contract> {
  const claims = claimsOf(stack);
  const variable = claims.variable;
  const namespace = claims.namespace;
  const prefix = namespace === undefined ? `<${variable}>` : namespace.replace(/\/+$/, "");
  const shown = (name: string) => (namespace === undefined && name.startsWith(PLACEHOLDER + "/") ? `<${variable}>${name.slice(PLACEHOLDER.length)}` : name);
  const rename = (token: Record<string, unknown>) => Object.fromEntries(Object.entries(token).map(([name, value]) => [shown(name), value]));

  const runtime = PostLoginRuntime.load({ code: claims.compiled.code, secrets: { [NAMESPACE_SECRET]: namespace ?? PLACEHOLDER } });
  const users = [];
  for (const user of samples) {
    const o = await runtime.login(user);
    users.push({
      user_id: o.user_id,
      denied: o.denied,
      idToken: rename(o.idToken),
      accessToken: rename(o.accessToken),
      userinfo: rename(o.userinfo),
      dropped: o.dropped.map((d) => ({ ...d, claim: shown(d.claim) })),
      logs: o.logs,
    });
  }
  const binding = claims.binding;
  return {
    environment: claims.environment,
    namespace: {
      value: namespace ?? null,
      variable,
      source: namespace === undefined ? `variable ${variable}, no default: set at plan time` : `default of variable ${variable}; a plan may override it`,
    },
    claims: claims.claimKeys.map((key) => ({
      claim: `${prefix}/${key}`,
      from: `app_metadata.${key}`,
      idToken: claims.tokens.includes("id"),
      userinfo: claims.tokens.includes("id"),
      accessToken: claims.tokens.includes("access"),
    })),
    binding:
      binding.mode === "append"
        ? { mode: "append", resource: "auth0_trigger_action", flow: ["(actions bound by hand, unchanged)", claims.actionName] }
        : {
            mode: "exclusive",
            resource: "auth0_trigger_actions",
            flow: [...(binding.before ?? []).map((a) => a.displayName), claims.actionName, ...(binding.after ?? []).map((a) => a.displayName)],
          },
    action: {
      name: claims.actionName,
      runtime: ACTION_RUNTIME,
      trigger: "post-login v3",
      source: claims.compiled.source,
      sha256: claims.compiled.sha256,
      bytes: claims.compiled.bytes,
    },
    adopts: claims.adopted ?? null,
    provider: {
      source: "auth0/auth0",
      constraint: provider.constraint,
      locked: provider.lock.state === "locked" ? provider.lock.version : null,
      lockFile: provider.lock.state === "locked" ? provider.lock.file : null,
    },
    notes: [...(provider.lock.state === "missing" ? [`WARNING: ${provider.lock.warning}`] : []), ...(claims.adopted ? ADOPTION_NOTES : [])],
    samples: { file: samplesFile, users },
  };
}

export function contractJson(contract: Contract): string {
  return JSON.stringify(contract, null, 2) + "\n";
}

export function contractMarkdown(c: Contract): string {
  const code = (text: string) => "`" + text.replace(/`/g, "'") + "`";
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const short = (value: unknown) => {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  };
  const yes = (b: boolean, note = "") => (b ? `yes${note}` : "-");
  const lines = [
    `# Claims contract: ${c.environment}`,
    "",
    "| | |",
    "| --- | --- |",
    `| namespace | ${c.namespace.value === null ? `from variable ${code(c.namespace.variable)} (no default)` : `${code(c.namespace.value)} (${cell(c.namespace.source)})`} |`,
    `| action | ${code(c.action.name)}, ${c.action.runtime}, ${c.action.trigger}, ${c.action.bytes} bytes, sha256 ${code(c.action.sha256)} (from ${code(c.action.source)}) |`,
    `| binding | ${c.binding.mode}: ${code(c.binding.resource)}; post-login flow: ${cell(c.binding.flow.join(" -> "))} |`,
    ...(c.adopts ? [`| adopts | the existing action ${code(c.adopts)} and its binding (Terraform import blocks) |`] : []),
    `| provider | ${code(c.provider.source)} ${code(c.provider.constraint)}, ${c.provider.locked === null ? "NOT LOCKED" : `locked at ${c.provider.locked} by ${code(c.provider.lockFile ?? "")}`} |`,
    "",
    ...(c.notes.length > 0 ? ["## Before you apply", "", ...c.notes.map((note) => `- ${cell(note)}`), ""] : []),
    "## Claims",
    "",
    "| claim | from | ID token | /userinfo | access token |",
    "| --- | --- | --- | --- | --- |",
    ...c.claims.map((claim) => `| ${code(claim.claim)} | ${code(claim.from)} | ${yes(claim.idToken)} | ${yes(claim.userinfo)} | ${yes(claim.accessToken, " (JWT access tokens, i.e. with an API audience)")} |`),
    "",
    `## Sample users (${code(c.samples.file)})`,
    "",
    "| user | login | ID token and /userinfo | access token | dropped | action log |",
    "| --- | --- | --- | --- | --- | --- |",
    ...c.samples.users.map((u) => {
      const claims = (token: Record<string, unknown>) => Object.entries(token).map(([name, value]) => `${code(name.slice(name.lastIndexOf("/") + 1))} ${cell(short(value))}`).join("<br>") || "-";
      return `| ${cell(u.user_id)} | ${u.denied === null ? "ok" : `DENIED: ${cell(u.denied)}`} | ${claims(u.idToken)} | ${claims(u.accessToken)} | ${u.dropped.map((d) => cell(`${d.claim} (${d.reason})`)).join("<br>") || "-"} | ${u.logs.map(cell).join("<br>") || "-"} |`;
    }),
    "",
  ];
  return lines.join("\n");
}
