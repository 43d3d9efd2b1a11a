// A list check for values whose type says "list" but that come from a user's config at run time
// (environments.ts, a JavaScript caller). Array.isArray would narrow such a value to any[], losing
// the element type every later line relies on.

/** Whether `value`, typed as a list, really is one (an array of any realm). */
export function isList<T>(value: readonly T[]): value is readonly T[] {
  return Array.isArray(value);
}
