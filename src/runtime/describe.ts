// How the runtime names what an action threw: one line, whatever was thrown.

export /** A one-line description of anything thrown; never throws itself (an action can throw anything). */
function describe(err: unknown): string {
  try {
    if (err && typeof err === "object" && "message" in err) {
      const name = (err as { name?: unknown }).name;
      return `${typeof name === "string" ? name : "Error"}: ${String(err.message)}`;
    }
    return String(err);
  } catch {
    return "a value that can't be printed";
  }
}
