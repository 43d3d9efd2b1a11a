// The text of errors from fetch, openid-client and jose, for verify's messages.

/** The message of an error from fetch, openid-client or jose, with the causes it wraps (the detail is there). */
export function errorText(err: unknown): string {
  const e = err as { message?: unknown; error?: unknown; error_description?: unknown; cause?: unknown };
  if (typeof e?.error === "string")
    return `${e.error}${typeof e.error_description === "string" ? `: ${e.error_description}` : ""}`;
  const parts = [String(e?.message ?? err)];
  let cause = e?.cause as { message?: unknown; code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; cause && depth < 3; depth++, cause = cause.cause as typeof cause) {
    const text =
      typeof cause.message === "string" && cause.message
        ? cause.message
        : typeof cause.code === "string"
          ? cause.code
          : undefined;
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.join(": ");
}
