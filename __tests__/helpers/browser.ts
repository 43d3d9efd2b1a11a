// Browsers for tests: a stand-in that follows redirects with a cookie jar and fills in the local
// tenant's login form over plain HTTP, and headless Chromium for the flow as a person does it.
import type { Browser } from "puppeteer-core";
import { CHROMIUM } from "./global-setup";

export interface BrowserLogin {
  /** The callback URL the authorization server redirected to (not yet requested). */
  readonly callback: URL;
}

export async function loginThroughBrowser(
  authorizeUrl: string,
  username: string,
  password: string,
  callbackOrigin: string,
): Promise<BrowserLogin> {
  const cookies = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  };
  let url = authorizeUrl;
  let response = await request(url);
  for (let hops = 0; hops < 20; hops++) {
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get("location") as string, url);
      if (next.origin === callbackOrigin) return { callback: next };
      url = next.href;
      response = await request(url);
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !action)
      throw new Error(`unexpected page ${response.status} at ${url}: ${html.slice(0, 300)}`);
    url = new URL(action, url).href;
    response = await request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password }).toString(),
    });
  }
  throw new Error("too many redirects");
}

/**
 * Headless Chromium (Debian's package, CHROMIUM_PATH to override) driven by puppeteer-core, which
 * downloads no browser. Without the background-networking flags Chromium's own connections are
 * refused by a closed network and slow it down; a fresh profile keeps runs independent.
 */
export async function launchChromium(userDataDir: string): Promise<Browser> {
  const puppeteer = await import("puppeteer-core");
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
