/**
 * Runs the localep CLI as a child process. A non-zero exit is a result, not an exception: `invoke`
 * exits non-zero on HTTP errors yet prints the answer the user wants to see. Only failing to start
 * the program at all is thrown, with a hint about the `localep.path` setting.
 */

import { execFile } from "child_process";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class LocalepNotFoundError extends Error {
  constructor(cliPath: string, cause: string) {
    super(`could not run "${cliPath}" (${cause}); install localep or set the "localep.path" setting`);
    this.name = "LocalepNotFoundError";
  }
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
}

const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export function runLocalep(cliPath: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cliPath,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 0, maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === "string") {
          reject(new LocalepNotFoundError(cliPath, code));
          return;
        }
        if (error.killed) {
          reject(new Error(`"${cliPath} ${args.join(" ")}" did not finish within ${options.timeoutMs} ms`));
          return;
        }
        resolve({ exitCode: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
  });
}

/** The message to show for a failed run: the CLI's own error line when it printed one. */
export function failureMessage(args: string[], result: CliResult): string {
  const lines = result.stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const errorLine = lines.find((line) => line.startsWith("error:")) ?? lines[lines.length - 1];
  const summary = `localep ${args[0]} exited with code ${result.exitCode}`;
  return errorLine === undefined ? summary : `${summary}: ${errorLine}`;
}
