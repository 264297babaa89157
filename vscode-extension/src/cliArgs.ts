/**
 * The localep command lines the extension runs, as argument lists (never shell strings), so paths
 * with spaces or quotes reach the CLI intact whether it runs in a terminal or as a child process.
 */

export interface Target {
  endpoint: string;
  /** null when the command applies to the whole endpoint. */
  deployment: string | null;
}

/** A `localep replay`/`smoke` report on stdout (`--json -`); the table goes to stderr, the log. */
const JSON_REPORT = ["--json", "-"];

function deploymentOption(target: Target): string[] {
  return target.deployment === null ? [] : ["--deployment", target.deployment];
}

export function versionArgs(): string[] {
  return ["--version"];
}

export function psArgs(): string[] {
  return ["ps", "--json"];
}

export function classifyArgs(files: string[]): string[] {
  return ["classify", ...files, "--json"];
}

export function upArgs(specFiles: string[]): string[] {
  return ["up", ...specFiles, "--detach"];
}

/** Foreground (hot reload on save), on a debug port the extension chose free. */
export function upDebugArgs(specFile: string, debugPort: number): string[] {
  return ["up", specFile, "--debug", "--debug-port", String(debugPort)];
}

export function downArgs(target: Target): string[] {
  return ["down", target.endpoint, ...deploymentOption(target)];
}

export function logsArgs(target: Target): string[] {
  return ["logs", "-f", target.endpoint, ...deploymentOption(target)];
}

export function invokeArgs(target: Target, requestFile: string): string[] {
  return ["invoke", target.endpoint, ...deploymentOption(target), "--request-file", requestFile, "--json"];
}

export function replayArgs(target: Target, sources: string[]): string[] {
  return ["replay", ...sources, "--endpoint", target.endpoint, ...deploymentOption(target), ...JSON_REPORT];
}

export function smokeArgs(specFiles: string[], requests: string[]): string[] {
  return ["smoke", ...specFiles, ...requests.flatMap((source) => ["--requests", source]), ...JSON_REPORT];
}

export function trafficSetArgs(endpoint: string, shares: Record<string, number>): string[] {
  return ["traffic", "set", endpoint, ...Object.entries(shares).map(([name, share]) => `${name}=${share}`), "--json"];
}

export function keysArgs(endpoint: string): string[] {
  return ["keys", endpoint, "--json"];
}

export function batchRunArgs(specFile: string, input: string, output: string): string[] {
  return ["batch", "run", specFile, "--input", input, "--output", output];
}

export function launchConfigArgs(specFile: string, workspace: string): string[] {
  return ["vscode", specFile, "--workspace", workspace, "--json"];
}

/** A one-line title for a terminal, notification or log entry, e.g. "localep logs -f my-ep --deployment blue". */
export function commandTitle(args: string[]): string {
  return ["localep", ...args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(" ");
}
