// What verify reports: the verdict and its exit code, each check made, what was NOT checked and why,
// and the claims compared. run.ts fills it in; render.ts writes it for a person.
import type { Check } from "./checks";
import type { Comparison } from "./compare";
import type { ErrorCode, INTERNAL_ERROR } from "../errors";

/** Exit codes; see docs/verify.md. */
export const EXIT = { match: 0, mismatch: 1, usage: 2, failed: 3, partial: 4 } as const;

export type Verdict = "MATCH" | "PARTIAL" | "MISMATCH" | "DRIFT" | "FAILED";

/** A comparison as reported: `checked: false` (with `skipped`, the reason) when it was not made. */
export type ReportedComparison = Comparison & { readonly checked: boolean };

export interface Report {
  ok: boolean;
  verdict: Verdict;
  exit: number;
  /** Why it is not a MATCH, as a stable code (docs/errors.md): a verdict's, or the failure's; null on a MATCH. */
  code: ErrorCode | typeof INTERNAL_ERROR | null;
  environment?: string;
  /** The tenant as --domain gives it, before discovery names its issuer. */
  domain?: string;
  issuer?: string;
  subject?: string;
  flow?: string;
  checks: Check[];
  /** What was not checked and why: never counted as passed. */
  notChecked: { name: string; why: string }[];
  expectedFrom?: string;
  claims?: { idToken: ReportedComparison; userinfo: ReportedComparison; accessToken: ReportedComparison };
  /** --deployed: the stack compared with, and each difference between it and what the tenant runs. */
  deployment?: { stack: string; differences: string[] };
  hint: string | null;
  tokens?: Record<string, string>;
  error: string | null;
}
