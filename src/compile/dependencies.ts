// An action's npm dependencies as the sandbox runs them: Auth0 installs each declared package; here,
// each package the compiled code require()s is bundled by esbuild (from the project's node_modules)
// into one CommonJS module, which src/runtime/sandbox.ts evaluates inside the action's Compartment,
// so a dependency reaches no more than the action itself. Esbuild only reads the code; nothing runs here.
import { builtinModules } from "node:module";
import { buildSync } from "esbuild";
import { ActionLoadError } from "../errors";
import { packageOf } from "../package-name";
import { projectRoot } from "../project-root";

const BUILTINS = new Set(builtinModules);
const bundles = new Map<string, string>();

/**
 * The modules `code` requires by a literal name that belong to a `declared` package, each bundled:
 * specifier -> CommonJS code. Throws ActionLoadError naming a declared package that can't be bundled
 * here (not installed).
 */
export function bundleDependencies(code: string, declared: readonly string[], action: string): Record<string, string> {
  if (declared.length === 0) return {};
  const wanted = new Set(declared);
  const modules: Record<string, string> = {};
  for (const specifier of requiredSpecifiers(code)) {
    if (!wanted.has(packageOf(specifier))) continue;
    modules[specifier] = bundle(specifier, action);
  }
  return modules;
}

/** The specifiers `code` requires by a literal name, other than Node's built-ins (esbuild's reading, not a regex). */
function requiredSpecifiers(code: string): string[] {
  let result;
  try {
    result = buildSync({
      stdin: { contents: code, loader: "js", resolveDir: projectRoot() },
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      packages: "external",
      metafile: true,
      logLevel: "silent",
    });
  } catch {
    return []; // code that doesn't parse: the sandbox says why when it loads it
  }
  const input = Object.values(result.metafile.inputs)[0];
  return [
    ...new Set(
      (input?.imports ?? [])
        .filter((i) => i.external && !BUILTINS.has(i.path.replace(/^node:/, "")))
        .map((i) => i.path),
    ),
  ];
}

function bundle(specifier: string, action: string): string {
  let code = bundles.get(specifier);
  if (code !== undefined) return code;
  try {
    const result = buildSync({
      stdin: {
        contents: `module.exports = require(${JSON.stringify(specifier)});`,
        loader: "js",
        resolveDir: projectRoot(),
      },
      bundle: true,
      write: false,
      platform: "node",
      target: "node20",
      format: "cjs",
      conditions: ["node", "require"],
      logLevel: "silent",
    });
    code = result.outputFiles[0].text;
  } catch (err) {
    const first = (err as { errors?: { text: string }[] }).errors?.[0]?.text ?? String(err);
    throw new ActionLoadError(
      "ERR_DEPENDENCY_BUNDLE",
      `${action}: dependency ${JSON.stringify(specifier)} can't be bundled for the local sandbox (${first}); npm install the package to preview the action`,
    );
  }
  bundles.set(specifier, code);
  return code;
}
