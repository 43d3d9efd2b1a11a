// Compiles an Auth0 Action from TypeScript into the exact string that goes into auth0_action.code.
// Every esbuild option lives here, explicit and in a fixed order, so the output is the same bytes
// on every machine (aws-lambda-nodejs keeps its bundling the same way).
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { buildSync, version as esbuildVersion } from "esbuild";
import { ACTION_RUNTIME, MAX_ACTION_CODE_BYTES, POST_LOGIN } from "../auth0/facts";
import { UsageError } from "../errors";
import { projectRoot } from "../project-root";

export interface CompileActionOptions {
  /** The action's entry file, relative to `root` (or absolute inside it). */
  readonly entry: string;
  /** Compile-time constants: each identifier is replaced by its value as JSON. @default {} */
  readonly constants?: Readonly<Record<string, unknown>>;
  /** Folder that paths in the output are relative to. @default the project's root */
  readonly root?: string;
  /** npm packages left out of the bundle: Auth0 installs them from the action's dependencies. @default [] */
  readonly external?: readonly string[];
  /** The trigger named in the code's header comment. @default "post-login" */
  readonly trigger?: string;
}

export interface CompiledAction {
  /** The code Auth0 receives: a header comment, then the compiled action. */
  readonly code: string;
  /** `code` escaped for a Terraform string: what goes into auth0_action.code in cdk.tf.json. */
  readonly terraformCode: string;
  /** Entry path relative to the root, with forward slashes. */
  readonly source: string;
  /** sha256 (hex) of the compiled action below the header. */
  readonly sha256: string;
  /** Size of `code` in bytes (UTF-8). */
  readonly bytes: number;
}

const cache = new Map<string, CompiledAction>();

/** Compiles `entry` with esbuild; throws with a message that says what to fix. Results are cached per input. */
export function compileAction(options: CompileActionOptions): CompiledAction {
  const root = options.root ?? projectRoot();
  const entryPath = resolve(root, options.entry);
  const source = relative(root, entryPath).split(sep).join("/");
  if (source.startsWith("../") || isAbsolute(source)) {
    throw new UsageError(
      "ERR_ACTION_ENTRY",
      `entry: ${options.entry} is outside ${root}; put the action under actions/`,
    );
  }
  const constants = options.constants ?? {};
  const external = [...(options.external ?? [])].sort();
  const trigger = options.trigger ?? POST_LOGIN.id;
  const key = JSON.stringify([root, source, constants, external, trigger]);
  const cached = cache.get(key);
  if (cached) return cached;

  const body = bundle(root, source, constants, external);
  const sha256 = createHash("sha256").update(body).digest("hex");
  const header =
    `// Auth0 ${trigger} action compiled from ${source} by esbuild ${esbuildVersion} (target ${ACTION_RUNTIME}).\n` +
    `// sha256 of the code below this header: ${sha256}\n` +
    `// Managed by cdktf: edits made in the Auth0 dashboard are overwritten by the next deploy.\n`;
  const code = header + body;
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > MAX_ACTION_CODE_BYTES) {
    throw new UsageError(
      "ERR_ACTION_TOO_LARGE",
      `${source}: compiled action is ${bytes} bytes, over Auth0's limit of ${MAX_ACTION_CODE_BYTES} bytes of action code; ` +
        `move large data out of the action (into app_metadata or an API) or drop bundled imports`,
    );
  }
  const compiled = { code, terraformCode: escapeTerraformTemplate(code), source, sha256, bytes };
  cache.set(key, compiled);
  return compiled;
}

/**
 * Escapes `${` and `%{`, which Terraform reads as template sequences in any JSON string, as `$${` and `%%{`.
 * cdktf passes strings through unchanged, so without this Terraform would rewrite or reject the code.
 */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

function bundle(
  root: string,
  source: string,
  constants: Readonly<Record<string, unknown>>,
  external: readonly string[],
): string {
  const define: Record<string, string> = {};
  for (const name of Object.keys(constants).sort()) define[name] = JSON.stringify(constants[name]);
  let result;
  try {
    result = buildSync({
      absWorkingDir: root,
      entryPoints: [source],
      bundle: true,
      write: false,
      platform: "node",
      target: ACTION_RUNTIME,
      format: "cjs",
      minify: false,
      sourcemap: false,
      legalComments: "inline",
      charset: "utf8",
      treeShaking: true,
      define,
      external: [...external],
      logLevel: "silent",
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : `${source}: `;
    throw new UsageError(
      "ERR_ACTION_COMPILE",
      `${where}esbuild could not compile the action: ${first?.text ?? String(err)}`,
    );
  }
  const text = result.outputFiles[0].text;
  if (text.includes(root)) {
    throw new UsageError(
      "ERR_ACTION_COMPILE",
      `${source}: compiled action contains the absolute path ${root}; it would differ between machines`,
    );
  }
  return text;
}
