// The check that a tool's output leaks no secret: not the value, nor any 8 characters of it (a
// fragment long enough to narrow a guess). verify's own test checks encoded forms too.

/** Fails when `output` holds any 8 consecutive characters of one of `secrets`. */
export function expectNoPartOf(output: string, secrets: readonly string[]): void {
  for (const secret of secrets)
    for (let i = 0; i + 8 <= secret.length; i++) expect(output).not.toContain(secret.slice(i, i + 8));
}
