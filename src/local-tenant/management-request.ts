// What every Management API route shares: the shape of a route in the dispatcher's table
// (management-api.ts), and a JSON body read within the tenant's limits, with Auth0's error answers.
import type { Context } from "koa";
import type { TenantContext } from "./context";
import { JSON_LIMIT } from "./context";
import { HttpError, readBody } from "./http";
import { ManagementError, type ManagementAccess, type ManagementCaller } from "./management-access";

/** A Management API route: its path, who may call it, and what it answers. */
export interface Route {
  readonly method: string;
  readonly path: RegExp;
  /** The path as Auth0's documentation writes it, for messages. */
  readonly template: string;
  /** What the caller needs, given the path's decoded parameters. */
  access(params: string[]): ManagementAccess;
  /** The answer's body (JSON); a route that answers another status than 200 sets ctx.status. */
  handle(ctx: Context, t: TenantContext, params: string[], caller: ManagementCaller): Promise<unknown>;
}

/** The request's JSON body, parsed: 415 unless it is JSON, 413 past JSON_LIMIT bytes, 400 if it does not parse. */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is("application/json")) throw new ManagementError(415, "Send the body as application/json", "invalid_body");
  let text: string;
  try {
    text = await readBody(ctx.req, JSON_LIMIT);
  } catch (err) {
    if (err instanceof HttpError)
      throw new ManagementError(
        err.status,
        err.status === 413 ? `Payload content length greater than maximum allowed: ${JSON_LIMIT}` : err.message,
      );
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    // Never the text itself: it may hold a secret's value.
    throw new ManagementError(400, "Invalid request payload JSON format", "invalid_body");
  }
}

/** Whether `value` nests objects or arrays more than `limit` levels (itself the first); iterative, so any depth is safe to ask about. */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON value's type as Auth0's validation messages name it. */
export function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
}
