// The claims contract of one environment: what its users' tokens will carry, in markdown for a
// pull request and in JSON for a pipeline to diff. Written by `npm run synth` beside the stack.
import { NAMESPACE_SECRET } from "./claims-action";
import type { ClaimsStack } from "./claims-stack";
import { ACTION_RUNTIME } from "./compile-action";
import { PostLoginRuntime, type ExportedUser, type LoginOutcome } from "./runtime/post-login-runtime";

/** Stands in for a namespace only known at plan time; shown as <variable> in the contract. */
const PLACEHOLDER = "https://claim-namespace.placeholder";

export interface Contract {
  readonly environment: string;
  readonly namespace: { readonly value: string | null; readonly variable: string; readonly source: string };
  readonly claims: readonly { readonly claim: string; readonly from: string; readonly idToken: boolean; readonly userinfo: boolean; readonly accessToken: boolean }[];
  readonly binding: { readonly mode: string; readonly resource: string; readonly flow: readonly string[] };
  readonly action: { readonly name: string; readonly runtime: string; readonly trigger: string; readonly source: string; readonly sha256: string; readonly bytes: number };
  readonly adopts: string | null;
  readonly samples: { readonly file: string; readonly users: readonly Omit<LoginOutcome, "bytes" | "json" | "counts">[] };
}

export async function buildContract(stack: ClaimsStack, samples: readonly ExportedUser[], samplesFile: string): Promise<Contract> {
  const claims = stack.claims;
  const variable = claims.namespace.variableName;
  const namespace = claims.namespace.default;
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
    environment: stack.environment.name,
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
    "",
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
