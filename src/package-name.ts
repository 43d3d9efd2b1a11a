// Which npm package a require() specifier names: one rule for the compiler, which bundles an action's
// declared dependencies, and the sandbox, which lets an action require only those, so the two agree.

/** The package a specifier names: `@scope/name` or `name` (a path inside it dropped). */
export function packageOf(specifier: string): string {
  return specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
}
