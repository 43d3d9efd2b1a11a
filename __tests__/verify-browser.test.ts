// The interactive flow as a person does it: headless Chromium opens the authorize URL verify prints,
// fills in the local tenant's login page and lands on verify's callback page.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";
import { launchChromium } from "./helpers/browser";
import type { Run } from "./helpers/cli-bundles";
import { freePort, startTenant, stopTenants, verify } from "./helpers/verify-process";

const dir = mkdtempSync(join(tmpdir(), "claims-browser-"));
let tenant: string;
let browser: Browser;

beforeAll(async () => {
  [tenant, browser] = await Promise.all([startTenant(), launchChromium(join(dir, "profile"))]);
});
afterAll(async () => {
  await browser?.close();
  stopTenants();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs verify's code flow; when it prints the URL, Chromium logs in with `password`. Returns verify's run and the last page's text. */
async function loginInChromium(password: string, timeoutS: number): Promise<{ run: Run; page: string }> {
  const port = await freePort();
  let shown: Promise<string> = Promise.resolve("");
  const args = [
    "--env",
    "dev",
    "--domain",
    tenant,
    "--client-id",
    "local-test-client",
    "--client-secret",
    "local-test-secret",
    "--users",
    "samples/users.ndjson",
  ];
  const run = await verify(
    [
      ...args,
      "--audience",
      "https://api.example.com",
      "--redirect-uri",
      `http://127.0.0.1:${port}/callback`,
      "--timeout",
      String(timeoutS),
    ],
    {},
    (url) => {
      shown = (async () => {
        // A tab of the browser's one profile, not a context of its own: a second context cost Chromium
        // about 5 s of CPU more, and a shared cookie jar changes nothing here, since verify asks for
        // prompt=login (the tenant shows its form to each login, session or not).
        const page = await browser.newPage();
        try {
          await page.goto(url);
          await page.type("input[name=username]", "alice@example.com");
          await page.type("input[name=password]", password);
          await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
          return await page.$eval("body", (body) => body.textContent ?? "");
        } finally {
          await page.close();
        }
      })();
    },
  );
  return { run, page: await shown };
}

// Both logins run side by side (the wrong one waits out its --timeout); the tests read their outcomes.
// The wrong one's --timeout can be short: Chromium's page is read from the tenant, which stays up
// after verify gives up, so a slow browser changes only when verify stops waiting, not what is seen.
let right: { run: Run; page: string };
let wrong: { run: Run; page: string };
beforeAll(async () => {
  [right, wrong] = await Promise.all([loginInChromium("local-password", 30), loginInChromium("wrong-password", 2)]);
});

test("a correct password in Chromium ends on verify's callback page, and verify says MATCH (exit 0)", () => {
  const { run, page } = right;
  expect(page).toMatch(/^Login received\. You can close this window/);
  expect(run.stdout).toMatch(/^MATCH \(exit 0\)$/m);
  expect(run.status).toBe(0);
});

test("a wrong password leaves Chromium on the login page and verify fails at --timeout (exit 3)", () => {
  const { run, page } = wrong;
  expect(page).toContain("Wrong email or password.");
  expect(run.stdout).toMatch(
    /^FAILED \(exit 3\): no login completed within --timeout 2 s; open the printed URL and log in, or raise --timeout$/m,
  );
  expect(run.status).toBe(3);
});
