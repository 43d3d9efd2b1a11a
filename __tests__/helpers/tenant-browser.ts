// A browser stand-in for the local tenant over http or https: one cookie jar across requests (so a
// login session lasts until logout), manual redirects, and the login form filled in over HTTP.
import { readFileSync } from "node:fs";
import { Agent } from "undici";

/** A fetch that trusts `caFile` (the local tenant's CA), as NODE_EXTRA_CA_CERTS would in a new process. */
export function fetchTrusting(caFile: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: readFileSync(caFile, "utf8") } });
  return (input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, { ...init, dispatcher });
}

export class TenantBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly fetchImpl: typeof fetch = fetch) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.fetchImpl(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows redirects from `url` until one leaves for `callbackOrigin` (returned, not requested) or a
   * page answers; a login form on the way is filled in with `login` if given, else returned as is.
   */
  async navigate(
    url: string,
    callbackOrigin: string,
    login?: { username: string; password: string },
  ): Promise<{ callback?: URL; page?: { status: number; html: string; url: string } }> {
    let response = await this.request(url);
    let submitted = false;
    for (let hops = 0; hops < 20; hops++) {
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get("location") as string, url);
        if (next.origin === callbackOrigin) return { callback: next };
        url = next.href;
        response = await this.request(url);
        continue;
      }
      const html = await response.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (!login || !action || submitted) return { page: { status: response.status, html, url } };
      submitted = true;
      url = new URL(action, url).href;
      response = await this.request(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(login).toString(),
      });
    }
    throw new Error("too many redirects");
  }
}
