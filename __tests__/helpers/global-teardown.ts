// Run once after every test file (jest globalTeardown): removes the CLI bundles globalSetup built.
import { rmSync } from "node:fs";

export default function globalTeardown(): void {
  const dir = process.env.CLAIMS_TEST_BUNDLES;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
