/** The words and file type of an `invoke` answer's tabs, kept free of `vscode` for unit tests. */

import { InvokeAnswer } from "./localepCli";

const REASONS: Record<number, string> = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
  403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict", 413: "Payload Too Large",
  424: "Failed Dependency", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
  503: "Service Unavailable", 504: "Gateway Timeout",
};

function header(answer: InvokeAnswer, name: string): string | undefined {
  const key = Object.keys(answer.headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : answer.headers[key];
}

/** ".json" for a JSON answer (so it gets JSON highlighting), else ".txt": the tab's content is never changed. */
export function answerFileExtension(answer: InvokeAnswer): string {
  const type = header(answer, "content-type") ?? "";
  if (/[/+]json\b/i.test(type)) {
    return ".json";
  }
  if (/html/i.test(type)) {
    return ".html";
  }
  return ".txt";
}

export function statusLine(answer: InvokeAnswer): string {
  const reason = REASONS[answer.status] ?? "";
  const facts = [
    ...(answer.latencyMs === null ? [] : [`${answer.latencyMs.toFixed(0)} ms`]),
    ...(answer.deployment === null ? [] : [`deployment ${answer.deployment}`]),
  ];
  return `HTTP ${answer.status}${reason ? " " + reason : ""}` + (facts.length ? ` (${facts.join(", ")})` : "");
}

/** The status line and headers, like an HTTP message head; the URL above them. */
export function answerDetails(title: string, answer: InvokeAnswer): string {
  const headers = Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`);
  return [`# ${title}`, `POST ${answer.url}`, "", statusLine(answer), ...headers, ""].join("\n");
}
