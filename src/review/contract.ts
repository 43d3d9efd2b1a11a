// The claims contract of one environment: what its users' tokens will carry, in markdown for a
// pull request and in JSON for a pipeline to diff. Written beside the stack by every synthesis
// (cdktf synth/diff/deploy and npm run synth; see src/synthesis.ts).
import type { Sandbox } from "../sandbox/host";
import { NAMESPACE_SECRET } from "../compile/claims-action";
import type { ClaimsStack } from "../constructs/claims-stack";
import type { LockStatus } from "../provider-lock";
import type { ExportedUser, LoginOutcome } from "../runtime/types";
import { flowLine, flowView, type FlowActionView } from "./flow-view";
import { sampleLogins } from "./sample-logins";

/** Stands in for a namespace only known at plan time; shown as <variable> in the contract. */
const PLACEHOLDER = "https://claim-namespace.placeholder";

export interface Contract {
  readonly environment: string;
  readonly namespace: { readonly value: string | null; readonly variable: string; readonly source: string };
  readonly claims: readonly {
    readonly claim: string;
    readonly from: string;
    readonly idToken: boolean;
    readonly userinfo: boolean;
    readonly accessToken: boolean;
  }[];
  /** How the flow is bound; `flow` names its actions in the order they run. `resource` is null when unbound. */
  readonly binding: { readonly mode: string; readonly resource: string | null; readonly flow: readonly string[] };
  /** Every action of the post-login flow, in order: managed ones with their code, hand-bound ones by name. */
  readonly flow: readonly FlowActionView[];
  /** Managed actions out of the flow but still deployed (step 1 of removing them). */
  readonly retired: readonly FlowActionView[];
  /** The claims action. */
  readonly action: {
    readonly name: string;
    readonly runtime: string;
    readonly trigger: string;
    readonly source: string;
    readonly sha256: string;
    readonly bytes: number;
  };
  readonly adopts: string | null;
  readonly provider: {
    readonly source: string;
    readonly constraint: string;
    readonly locked: string | null;
    readonly lockFile: string | null;
  };
  /** What to know before applying: a missing lock file, what adoption does. Empty when nothing. */
  readonly notes: readonly string[];
  readonly samples: {
    readonly file: string;
    /** The actions each sample login ran, in order (none when the flow is unbound). */
    readonly ran: readonly string[];
    /** Actions of the flow bound by hand: not in this repository, so not run in the samples. */
    readonly notRun: readonly string[];
    readonly users: readonly Omit<LoginOutcome, "bytes" | "json" | "counts" | "claims">[];
  };
}

/** The provider the stacks require, and what the committed lock file says of it. */
export interface ProviderPin {
  readonly constraint: string;
  readonly lock: LockStatus;
}

/** What the contract and the summary read of the claims construct, in one place. */
export function claimsOf(stack: ClaimsStack) {
  const claims = stack.claims;
  return {
    environment: stack.environment.name,
    variable: claims.namespace.variableName,
    namespace: claims.namespace.default,
    claimKeys: claims.claimKeys,
    tokens: claims.tokens,
    actionName: claims.actionName,
    compiled: claims.compiled,
    adopted: claims.adopted,
  };
}

/** Said in the contract of an unbound flow: applying it removes every binding of these actions. */
const UNBOUND_NOTE =
  "the flow is unbound: after this apply no action of it runs at login, so no token carries these claims; the actions stay deployed (step 1 of retiring them, docs/lifecycle.md)";

/** Said when the samples ran with placeholders for secrets: a synthesis never reads a secret's value. */
function placeholderNote(secrets: readonly string[]): string {
  return `the sample logins ran with a placeholder "<variable>" as the value of ${secrets.join(", ")}: a secret's value is set at apply time (TF_VAR_<variable>), never read by a synthesis; preview them with --secrets-file (docs/preview.md)`;
}

/** What the first apply after adopting a hand-made action does; said in the contract and docs/gitops.md. */
export const ADOPTION_NOTES = [
  "the first apply after adoption updates the adopted action and deploys a new version of it: Terraform can't import action secrets, so it sends them once",
  `secrets the hand-made action holds besides ${NAMESPACE_SECRET} must be declared in the construct, or Auth0 refuses the update ("Unmanaged Action Secret"): list their names in the environment's "secrets" (AppMetadataClaims' "secrets" prop) and set each value at apply time with TF_VAR_<variable> (docs/lifecycle.md)`,
] as const;

export async function buildContract(
  stack: ClaimsStack,
  samples: readonly ExportedUser[],
  samplesFile: string,
  provider: ProviderPin,
  sandbox?: Sandbox,
): Promise<Contract> {
  const claims = claimsOf(stack);
  const { variable, namespace } = claims;
  const prefix = namespace === undefined ? `<${variable}>` : namespace.replace(/\/+$/, "");
  const { run, users } = await sampleUsers(stack, samples, namespace, variable, sandbox);
  const flow = flowView(stack);
  return {
    environment: claims.environment,
    namespace: {
      value: namespace ?? null,
      variable,
      source:
        namespace === undefined
          ? `variable ${variable}, no default: set at plan time`
          : `default of variable ${variable}; a plan may override it`,
    },
    claims: claims.claimKeys.map((key) => ({
      claim: `${prefix}/${key}`,
      from: `app_metadata.${key}`,
      idToken: claims.tokens.includes("id"),
      userinfo: claims.tokens.includes("id"),
      accessToken: claims.tokens.includes("access"),
    })),
    binding: { mode: flow.mode, resource: flow.resource, flow: flowLine(flow) },
    flow: flow.actions,
    retired: flow.retired,
    action: {
      name: claims.actionName,
      runtime: stack.claims.typeScriptAction.runtime,
      trigger: `${stack.claims.typeScriptAction.trigger.id} ${stack.claims.typeScriptAction.trigger.version}`,
      source: claims.compiled.source,
      sha256: claims.compiled.sha256,
      bytes: claims.compiled.bytes,
    },
    adopts: claims.adopted ?? null,
    provider: providerOf(provider),
    notes: [
      ...(provider.lock.state === "missing" ? [`WARNING: ${provider.lock.warning}`] : []),
      ...(claims.adopted ? ADOPTION_NOTES : []),
      ...(flow.mode === "unbound" ? [UNBOUND_NOTE] : []),
      ...(run.placeholders.length > 0 ? [placeholderNote(run.placeholders)] : []),
    ],
    samples: { file: samplesFile, ran: run.ran, notRun: run.notRun, users },
  };
}

/** The samples logged in through the flow, claim names under a plan-time namespace shown as <variable>. */
async function sampleUsers(
  stack: ClaimsStack,
  samples: readonly ExportedUser[],
  namespace: string | undefined,
  variable: string,
  sandbox?: Sandbox,
) {
  const shown = (name: string) =>
    namespace === undefined && name.startsWith(PLACEHOLDER + "/")
      ? `<${variable}>${name.slice(PLACEHOLDER.length)}`
      : name;
  const rename = (token: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(token).map(([name, value]) => [shown(name), value]));
  const run = await sampleLogins(stack, samples, namespace ?? PLACEHOLDER, sandbox);
  const users = run.outcomes.map((o) => ({
    user_id: o.user_id,
    denied: o.denied,
    idToken: rename(o.idToken),
    accessToken: rename(o.accessToken),
    userinfo: rename(o.userinfo),
    dropped: o.dropped.map((d) => ({ ...d, claim: shown(d.claim) })),
    logs: o.logs,
  }));
  return { run, users };
}

function providerOf(provider: ProviderPin): Contract["provider"] {
  const locked = provider.lock.state === "locked" ? provider.lock : undefined;
  return {
    source: "auth0/auth0",
    constraint: provider.constraint,
    locked: locked?.version ?? null,
    lockFile: locked?.file ?? null,
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
    `| binding | ${bindingCell(c, code)} |`,
    ...(c.adopts
      ? [`| adopts | the existing action ${code(c.adopts)} and its binding (Terraform import blocks) |`]
      : []),
    `| provider | ${code(c.provider.source)} ${code(c.provider.constraint)}, ${c.provider.locked === null ? "NOT LOCKED" : `locked at ${c.provider.locked} by ${code(c.provider.lockFile ?? "")}`} |`,
    "",
    ...(c.notes.length > 0 ? ["## Before you apply", "", ...c.notes.map((note) => `- ${cell(note)}`), ""] : []),
    ...flowSection(c, code, cell),
    "## Claims",
    "",
    "| claim | from | ID token | /userinfo | access token |",
    "| --- | --- | --- | --- | --- |",
    ...c.claims.map(
      (claim) =>
        `| ${code(claim.claim)} | ${code(claim.from)} | ${yes(claim.idToken)} | ${yes(claim.userinfo)} | ${yes(claim.accessToken, " (JWT access tokens, i.e. with an API audience)")} |`,
    ),
    "",
    `## Sample users (${code(c.samples.file)})`,
    "",
    samplesLine(c),
    "",
    "| user | login | ID token and /userinfo | access token | dropped | action log |",
    "| --- | --- | --- | --- | --- | --- |",
    ...c.samples.users.map((u) => {
      const claims = (token: Record<string, unknown>) =>
        Object.entries(token)
          .map(([name, value]) => `${code(name.slice(name.lastIndexOf("/") + 1))} ${cell(short(value))}`)
          .join("<br>") || "-";
      return `| ${cell(u.user_id)} | ${u.denied === null ? "ok" : `DENIED: ${cell(u.denied)}`} | ${claims(u.idToken)} | ${claims(u.accessToken)} | ${u.dropped.map((d) => cell(`${d.claim} (${d.reason})`)).join("<br>") || "-"} | ${u.logs.map(cell).join("<br>") || "-"} |`;
    }),
    "",
  ];
  return lines.join("\n");
}

function bindingCell(c: Contract, code: (text: string) => string): string {
  if (c.binding.resource === null)
    return `${c.binding.mode}: no binding resource; post-login flow: none of these actions runs at login`;
  return `${c.binding.mode}: ${code(c.binding.resource)}; post-login flow: ${c.binding.flow.join(" -> ").replace(/\|/g, "\\|")}`;
}

/** Every action of the flow in order, and the retired ones, with what each runs. */
function flowSection(c: Contract, code: (text: string) => string, cell: (text: string) => string): string[] {
  const row = (a: FlowActionView, i: number | string) =>
    a.managed
      ? `| ${i} | ${code(a.name)}${a.claims ? " (claims)" : ""} | managed: ${a.runtime}, ${a.trigger}, ${a.bytes} bytes, sha256 ${code(a.sha256)} (from ${code(a.source)}) |`
      : `| ${i} | ${cell(a.name)} | bound by hand (id ${code(a.id)}): not in this repository |`;
  return [
    `## Post-login flow (${c.binding.mode})`,
    "",
    "| # | action | code |",
    "| --- | --- | --- |",
    ...c.flow.map((a, i) => row(a, i + 1)),
    ...c.retired.map((a) => row(a, "retired")),
    "",
  ];
}

function samplesLine(c: Contract): string {
  const ran =
    c.samples.ran.length === 0
      ? "No action runs at login (the flow is unbound)."
      : `Each login runs ${c.samples.ran.join(" -> ")}, as deployed.`;
  const notRun = c.samples.notRun.length === 0 ? "" : ` Bound by hand, not run here: ${c.samples.notRun.join(", ")}.`;
  return (ran + notRun).replace(/\|/g, "\\|");
}
