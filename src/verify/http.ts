// Every request verify makes goes through one Budget: one deadline for the whole run (--timeout), a
// cap on each response body, failures that name the endpoint, the limit and the fix, and the
// secrets each request carries noted for the scrubbing of verify's output.
import { NetworkError, quote, ToolError } from "../errors";
import { errorText } from "./error-text";
import type { Secrets } from "../scrub";

/** The most any one response may send: 10 times the 100 KB Auth0 allows for a token's claims. */
export const BODY_LIMIT = 1024 * 1024;

/** TLS errors that a private CA (TLS inspection, a simulator) causes. */
const UNTRUSTED =
  /^(UNABLE_TO_(GET_ISSUER_CERT(_LOCALLY)?|VERIFY_LEAF_SIGNATURE)|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
/** What an https request to a plain-http server fails with. */
const NOT_TLS =
  /ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long/i;

export class Budget {
  readonly signal: AbortSignal;
  private readonly started = Date.now();

  constructor(
    readonly timeoutMs: number,
    /** Told of every secret a request sends, since the server may echo it back into a message. */
    private readonly secrets: Secrets,
    /** Said after a failure to reach a loopback host over https when --domain had no scheme. */
    private readonly schemeHint?: string,
  ) {
    this.signal = AbortSignal.timeout(timeoutMs);
  }

  /** Milliseconds left of the run, at least 1. */
  remainingMs(): number {
    return Math.max(1, this.timeoutMs - (Date.now() - this.started));
  }

  /** The error to throw when the run's time is up while waiting for `what`. */
  timeUp(what: string): NetworkError {
    return new NetworkError(
      "ERR_TIMEOUT",
      `${what}: no answer within --timeout ${this.timeoutMs / 1000} s, the bound on the whole run; check that it is up, or raise --timeout`,
    );
  }

  /**
   * fetch, bounded: aborted when the run's deadline passes, the body read whole but never more than
   * BODY_LIMIT bytes. Throws NetworkError naming the URL. Fits openid-client's and jose's customFetch.
   */
  readonly fetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const what = `${init.method ?? "GET"} ${url}`;
    const signal = init.signal ? AbortSignal.any([init.signal, this.signal]) : this.signal;
    this.secrets.sent(url, init);
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal });
    } catch (err) {
      throw this.failure(what, err);
    }
    const declared = Number(response.headers.get("content-length"));
    if (declared > BODY_LIMIT) {
      await response.body?.cancel().catch(() => undefined);
      throw tooBig(what, `announces ${declared} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      if (response.body) {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > BODY_LIMIT) {
            await reader.cancel().catch(() => undefined);
            throw tooBig(what, `sent more than ${BODY_LIMIT} bytes`);
          }
          chunks.push(value);
        }
      }
    } catch (err) {
      throw err instanceof ToolError ? err : this.failure(what, err);
    }
    const nullBody = [101, 204, 205, 304].includes(response.status);
    const headers = new Headers(response.headers);
    // The body is already decoded; its encoding and length no longer apply.
    headers.delete("content-encoding");
    headers.delete("content-length");
    return new Response(nullBody ? null : Buffer.concat(chunks), {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };

  /** A fetch failure, named: the deadline, an untrusted certificate, https to a plain-http server, or the cause. */
  private failure(what: string, err: unknown): NetworkError {
    if (this.signal.aborted) return this.timeUp(what);
    const codes = causes(err)
      .map((c) => (c as { code?: unknown }).code)
      .filter((code) => typeof code === "string");
    const untrusted = codes.find((code) => UNTRUSTED.test(code));
    if (untrusted) {
      return new NetworkError(
        "ERR_TLS",
        `${what}: the server's TLS certificate is not trusted (${untrusted}); if the tenant is behind a private CA (TLS inspection, a simulator), ` +
          "trust that CA: NODE_EXTRA_CA_CERTS=/path/ca.pem npm run verify -- ...",
      );
    }
    const text = errorText(err);
    if (NOT_TLS.test(text) || codes.some((code) => NOT_TLS.test(code))) {
      return new NetworkError(
        "ERR_TLS",
        `${what}: the server does not answer in TLS (SSL wrong version number)${this.schemeHint ? `; ${this.schemeHint}` : "; is it a plain http server?"}`,
      );
    }
    return new NetworkError("ERR_UNREACHABLE", `${what}: ${text}; check --domain and that the tenant is up`);
  }
}

function tooBig(what: string, how: string): NetworkError {
  return new NetworkError(
    "ERR_BODY_TOO_LARGE",
    `${what} ${how}, over the limit of ${BODY_LIMIT} bytes (1 MiB) for any response; a tenant's answers are far smaller, so check --domain`,
  );
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) chain.push(e);
  return chain;
}

/** The ToolError that `err` is or wraps (openid-client and jose wrap what a custom fetch throws), if any. */
export function toolErrorIn(err: unknown): ToolError | undefined {
  return causes(err).find((e): e is ToolError => e instanceof ToolError);
}

/** The JSON body of a bounded response; a NetworkError naming the URL when it isn't JSON. */
export async function jsonOf(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new NetworkError(
      "ERR_ANSWER_INVALID",
      `${what}: the answer (HTTP ${response.status}) is not JSON: ${quote(text, 120)}`,
    );
  }
}
