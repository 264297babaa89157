/**
 * The localep command lines the extension runs, as argument lists (never shell strings), so paths
 * with spaces or quotes reach the CLI intact whether it runs in a terminal or through execFile.
 */

export interface Target {
  endpoint: string;
  /** null when the command applies to the whole endpoint. */
  deployment: string | null;
}

function deploymentOption(target: Target): string[] {
  return target.deployment === null ? [] : ["--deployment", target.deployment];
}

export function psArgs(): string[] {
  return ["ps", "--json"];
}

export function upArgs(specFile: string): string[] {
  return ["up", specFile, "--detach", "--debug"];
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

export function launchConfigArgs(specFile: string): string[] {
  return ["vscode", specFile];
}

/** Pretty-print `localep invoke --json` output; anything that is not JSON is shown as it came. */
export function formatInvokeOutput(stdout: string): string {
  try {
    return JSON.stringify(JSON.parse(stdout), null, 2);
  } catch {
    return stdout;
  }
}

/** A one-line title for a terminal or output block, e.g. "localep logs -f my-ep --deployment blue". */
export function commandTitle(args: string[]): string {
  return ["localep", ...args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(" ");
}
