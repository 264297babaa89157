/** What to tell the user when F5's `localep up --debug` does not get ready (vscode-free, unit-tested). */

import { CliFailure, EXIT_DEPLOYMENT_FAILED, EXIT_PORT_IN_USE } from "./localepCli";

/** The CLI's own words, with the exception line of a failing init() and a hint for a taken debug port. */
export function startFailure(error: unknown, port: number): unknown {
  if (!(error instanceof CliFailure)) {
    return error;
  }
  if (error.result.exitCode === EXIT_PORT_IN_USE && error.message.includes(String(port))) {
    return new Error(`the debug port ${port} is taken (${error.message}). Leave "debugPort" out of the ` +
      "configuration to let localep pick a free one, or choose another.");
  }
  if (error.result.exitCode === EXIT_DEPLOYMENT_FAILED) {
    const exception = rootException(error.result.stderr);
    return new Error(exception === undefined ? error.message : `${error.message} — ${exception}`);
  }
  return error;
}

/** The first exception line of the traceback the CLI prints after its error line: in a chain (the server wraps
 * the script's exception), the first one is the script's own. */
function rootException(stderr: string): string | undefined {
  const lines = stderr.split("\n").map((line) => line.trim());
  const errorLine = lines.map((line) => line.startsWith("error:")).lastIndexOf(true);
  return lines.slice(errorLine + 1).find((line) => /^[\w.]+(Error|Exception)\b/.test(line));
}
