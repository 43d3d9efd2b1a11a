// Finds the project's root (the folder holding cdktf.json) whether this code runs from src/ under
// ts-jest or from the bundle scripts/run-ts.mjs writes to node_modules/.cache.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export function projectRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json")) && existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no cdktf.json found above ${from}: run this from the project's folder`);
  }
}
