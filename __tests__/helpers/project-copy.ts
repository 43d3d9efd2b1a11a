// A throwaway copy of the project for tests that run its commands as a reader would (npm run ...,
// npx cdktf ...) and write where those commands write (cdktf.out, .local-tenant, files of their own).
// The sources are copied; node_modules is a folder of links to the project's packages, with a
// .cache of its own, so run-ts.mjs bundles the copy's sources and projectRoot() is the copy.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { projectRoot } from "../../src/project-root";

/** What a run leaves in the project (git-ignored), and what is linked rather than copied. */
const NOT_COPIED = new Set([".git", "node_modules", "cdktf.out", "cdktf.hcl", ".local-tenant"]);

/** Copies the project into a new folder under TMPDIR (the caller removes it) and returns the folder. */
export function copyProject(prefix = "claims-project-"): string {
  const root = projectRoot();
  const copy = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of readdirSync(root)) {
    if (NOT_COPIED.has(entry) || entry.endsWith(".tfstate")) continue;
    cpSync(join(root, entry), join(copy, entry), {
      recursive: true,
      filter: (path) => !path.endsWith(".tfstate") && basename(path) !== ".terraform",
    });
  }
  const modules = join(copy, "node_modules");
  mkdirSync(join(modules, ".cache"), { recursive: true });
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry !== ".cache") symlinkSync(join(root, "node_modules", entry), join(modules, entry));
  }
  return copy;
}
