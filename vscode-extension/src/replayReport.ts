/**
 * `localep replay/smoke --json -` reports as typed data, and the results panel's HTML built from them.
 * Kept free of `vscode` so the wording and escaping are unit-tested.
 */

export interface Difference {
  path: string;
  reason: string;
}

export interface ReplayCase {
  name: string;
  passed: boolean;
  checked: boolean;
  status: number | null;
  expectedStatus: number | null;
  latencyMs: number | null;
  deployment: string | null;
  error: string | null;
  differences: Difference[];
}

export interface ReplayReport {
  total: number;
  passed: number;
  failed: number;
  unchecked: number;
  p50Ms: number | null;
  cases: ReplayCase[];
}

type Json = Record<string, unknown>;

const numberOrNull = (value: unknown): number | null => (typeof value === "number" ? value : null);
const stringOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function parseReplayReport(document: unknown): ReplayReport {
  const root = (document ?? {}) as Json;
  if (typeof root !== "object" || !Array.isArray(root.cases)) {
    throw new Error("the replay report has no \"cases\" list");
  }
  const summary = (root.summary ?? {}) as Json;
  const latency = (root.latency_ms ?? {}) as Json;
  return {
    total: Number(summary.total ?? root.cases.length),
    passed: Number(summary.passed ?? 0),
    failed: Number(summary.failed ?? 0),
    unchecked: Number(summary.unchecked ?? 0),
    p50Ms: numberOrNull(latency.p50),
    cases: (root.cases as Json[]).map((entry) => ({
      name: String(entry.name),
      passed: entry.passed === true,
      checked: entry.checked !== false,
      status: numberOrNull(entry.status),
      expectedStatus: numberOrNull(entry.expected_status),
      latencyMs: numberOrNull(entry.latency_ms),
      deployment: stringOrNull(entry.deployment),
      error: stringOrNull(entry.error),
      differences: ((entry.differences ?? []) as Json[]).map((d) => ({ path: String(d.path), reason: String(d.reason) })),
    })),
  };
}

/** "3 passed, 1 failed of 4" — the notification text and the panel's heading. */
export function reportSummary(report: ReplayReport): string {
  const parts = [`${report.passed} passed`, `${report.failed} failed`];
  if (report.unchecked > 0) {
    parts.push(`${report.unchecked} unchecked`);
  }
  return `${parts.join(", ")} of ${report.total}`;
}

export function caseVerdict(entry: ReplayCase): "pass" | "fail" | "unchecked" {
  if (!entry.passed) {
    return "fail";
  }
  return entry.checked ? "pass" : "unchecked";
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function caseDetail(entry: ReplayCase): string {
  if (entry.error !== null) {
    return entry.error;
  }
  if (entry.differences.length > 0) {
    return entry.differences.map((d) => `${d.path}: ${d.reason}`).join("\n");
  }
  if (!entry.checked) {
    return "no expected answer to compare with (any 2xx passes)";
  }
  return "";
}

/** A self-contained page (no scripts, no remote content) with one row per request. */
export function reportHtml(title: string, report: ReplayReport): string {
  const rows = report.cases.map((entry) => {
    const verdict = caseVerdict(entry);
    const status = entry.status === null ? "–" : String(entry.status);
    const latency = entry.latencyMs === null ? "–" : `${entry.latencyMs.toFixed(1)} ms`;
    return `<tr class="${verdict}"><td class="verdict">${verdict.toUpperCase()}</td>` +
      `<td>${escapeHtml(entry.name)}</td><td>${status}</td><td>${latency}</td>` +
      `<td>${escapeHtml(entry.deployment ?? "")}</td><td><pre>${escapeHtml(caseDetail(entry))}</pre></td></tr>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
.verdict { font-weight: bold; }
.pass .verdict { color: var(--vscode-testing-iconPassed); }
.fail .verdict { color: var(--vscode-testing-iconFailed); }
.unchecked .verdict { color: var(--vscode-descriptionForeground); }
</style></head><body>
<h2>${escapeHtml(title)}: ${escapeHtml(reportSummary(report))}</h2>
<table><thead><tr><th>Result</th><th>Request</th><th>Status</th><th>Latency</th><th>Deployment</th><th>Detail</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
}
