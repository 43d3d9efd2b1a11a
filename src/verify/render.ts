// verify's report as a person reads it: each check, the claims compared per token, the verdict line.
// Quoted values are escaped (a token's claims come from the tenant).
import { escapeControl } from "../errors";
import type { Report } from "./report";

/** The verdict line: what matched, and plainly what was not checked. */
function verdictLine(report: Report): string {
  if (report.error) return `FAILED (exit ${report.exit}): ${escapeControl(report.error)}`;
  if (report.verdict === "MISMATCH" || report.verdict === "DRIFT")
    return `${report.verdict} (exit ${report.exit}): ${report.hint}`;
  if (report.verdict === "PARTIAL") {
    const checked = report.claims
      ? (["ID token", "/userinfo", "access token"] as const).filter(
          (_, i) => [report.claims!.idToken, report.claims!.userinfo, report.claims!.accessToken][i].checked,
        )
      : [];
    return `PARTIAL MATCH (exit ${report.exit}): ${checked.join(", ")} match; NOT CHECKED: ${report.notChecked.map((n) => `${n.name}: ${n.why}`).join("; ")}`;
  }
  return `MATCH (exit ${report.exit})`;
}

/** The whole human report. */
export function human(report: Report): string {
  const lines: string[] = [];
  // Discovery names the issuer; when it failed, the --domain tried is all there is to say.
  const against =
    report.issuer ?? (report.domain ? `${report.domain} (--domain; discovery gave no issuer)` : undefined);
  lines.push(
    ["verify", report.environment, against && `against ${against}`, report.flow && `(${report.flow})`]
      .filter(Boolean)
      .join(" "),
  );
  for (const check of report.checks) lines.push(`  ok  ${check.name.padEnd(13)} ${check.detail}`);
  for (const missed of report.notChecked) lines.push(`  --  ${missed.name.padEnd(13)} NOT CHECKED: ${missed.why}`);
  if (report.deployment) {
    lines.push("", `expected: ${report.deployment.stack}`);
    for (const difference of report.deployment.differences) lines.push(`  DIFFERENT  ${escapeControl(difference)}`);
  }
  if (report.claims) {
    lines.push("", `expected: ${report.expectedFrom}`);
    for (const [label, c] of [
      ["ID token", report.claims.idToken],
      ["/userinfo", report.claims.userinfo],
      ["access token", report.claims.accessToken],
    ] as const) {
      if (!c.checked) {
        lines.push(`  ${label.padEnd(13)} NOT CHECKED: ${c.skipped}`);
        continue;
      }
      const names = [...new Set([...Object.keys(c.expected), ...c.unexpected])];
      const width = Math.max(0, ...names.map((n) => n.length));
      if (names.length === 0) lines.push(`  ${label.padEnd(13)} no custom claims expected, none found`);
      names.forEach((name, i) => {
        const verdict = c.missing.includes(name)
          ? "MISSING"
          : c.different.includes(name)
            ? `DIFFERENT: found ${JSON.stringify(c.found[name])}, expected ${JSON.stringify(c.expected[name])}`
            : c.unexpected.includes(name)
              ? `UNEXPECTED: ${JSON.stringify(c.found[name])}`
              : `ok ${JSON.stringify(c.found[name])}`;
        lines.push(
          `  ${(i === 0 ? label : "").padEnd(13)} ${escapeControl(name.padEnd(width))}  ${escapeControl(verdict.length > 160 ? verdict.slice(0, 157) + "..." : verdict)}`,
        );
      });
      if (c.other.length > 0)
        lines.push(`  ${"".padEnd(13)} (also found, not judged: ${escapeControl(c.other.join(", "))})`);
    }
  }
  if (report.tokens) lines.push("", ...Object.entries(report.tokens).map(([name, value]) => `  ${name} ${value}`));
  lines.push("", verdictLine(report));
  return lines.join("\n");
}
