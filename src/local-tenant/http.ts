// Small HTTP pieces the local tenant's own endpoints share: a bounded body reader and a 4xx error
// that carries its one-line reason, so bad input never turns into a 500.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Context } from "koa";
import type { Next } from "./context";
import { escapeControl, quote } from "../errors";
import { escapeHtml } from "../errors";

/** oidc-provider's own bound on token request bodies. */
const TOKEN_BODY_LIMIT = 56 * 1024;

/** A request the local tenant refuses: the status (4xx) and a one-line reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request body as text; HttpError 413 past `limit` bytes, 400 if the client goes away. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.reject(new HttpError(413, `request body over ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Stop keeping it but let the rest drain, so the 413 still reaches the client.
      req.off("data", collect);
      req.resume();
      chunks.length = 0;
      reject(new HttpError(413, `request body over ${limit} bytes`));
    };
    req.on("data", collect);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => reject(new HttpError(400, "request body could not be read")));
  });
}

/** A form body (application/x-www-form-urlencoded) read within `limit` bytes. */
export async function readForm(ctx: Context, limit: number): Promise<URLSearchParams> {
  if (!ctx.is("application/x-www-form-urlencoded"))
    throw new HttpError(415, "send the form as application/x-www-form-urlencoded");
  return new URLSearchParams(await readBody(ctx.req, limit));
}

/**
 * Outermost middleware: no page of the tenant may be framed by another site, so a login form can't
 * be overlaid to steal a click (clickjacking), as Auth0's Universal Login. Both headers: browsers
 * that predate CSP's frame-ancestors read X-Frame-Options. Set on every answer, JSON included, so no
 * HTML page (the login form, oidc-provider's error pages, logout) can miss them.
 */
export async function denyFraming(ctx: Context, next: Next): Promise<void> {
  ctx.set("x-frame-options", "DENY");
  ctx.set("content-security-policy", "frame-ancestors 'none'");
  await next();
}

/**
 * Second middleware: an HttpError from the tenant's own endpoints, or a 4xx/5xx that escapes
 * oidc-provider's own handling (e.g. an unknown interaction), becomes a one-line answer, never a stack.
 */
export async function answerErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    const known = err instanceof HttpError ? err : undefined;
    const status = known?.status ?? (err as { status?: number; statusCode?: number }).status ?? 500;
    const reason = escapeControl(
      known?.message ??
        (err as { error_description?: string }).error_description ??
        (err as Error).message ??
        "request refused",
    );
    ctx.status = status;
    // The token endpoint always answers JSON, as OAuth clients expect; pages answer a browser in HTML.
    if (ctx.path === "/oauth/token" || ctx.accepts("html", "json") === "json")
      ctx.body = { error: status < 500 ? "invalid_request" : "server_error", error_description: reason };
    else {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>${status}</title><h1>${status}</h1><p>${escapeHtml(reason)}</p>\n`;
    }
  }
}

/**
 * Auth0's /oauth/token takes JSON bodies as well as forms (verify's Management API login sends
 * JSON); oidc-provider takes forms only. A JSON body of plain values is handed on as the same form.
 */
export async function jsonTokenRequests(ctx: Context, next: Next): Promise<void> {
  if (ctx.path !== "/oauth/token" || ctx.method !== "POST" || !ctx.is("application/json")) return next();
  let body: unknown;
  try {
    body = JSON.parse(await readBody(ctx.req, TOKEN_BODY_LIMIT));
  } catch (err) {
    throw err instanceof HttpError ? err : new HttpError(400, "the token request's JSON body does not parse");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpError(400, "the token request's JSON body must be an object");
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
      throw new HttpError(400, `token request parameter ${quote(name)} must be a string`);
    form.set(name, String(value));
  }
  const text = form.toString();
  // The same request, its body replaced: a stream of the form, with the request's socket and headers.
  const replacement = Object.assign(Readable.from([Buffer.from(text)]), {
    socket: ctx.req.socket,
    method: ctx.req.method,
    url: ctx.req.url,
    httpVersion: ctx.req.httpVersion,
    headers: {
      ...ctx.req.headers,
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(text)),
    },
  }) as unknown as IncomingMessage;
  ctx.req = ctx.request.req = replacement;
  await next();
}
