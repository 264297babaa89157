/**
 * The one client of the localep CLI: every command line the extension runs goes through `LocalepCli`,
 * whose typed methods parse the CLI's JSON. A non-zero exit that still carries an answer (`invoke` on an
 * HTTP error, `replay` on a mismatch) is a result; any other failure is a `CliFailure` naming the command
 * and the CLI's own error line. Every run is written to a log (the "Show Logs" output channel).
 */

import { ChildProcess, spawn } from "child_process";
import { existsSync, statSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import {
  batchRunArgs,
  classifyArgs,
  commandTitle,
  downArgs,
  invokeArgs,
  keysArgs,
  launchConfigArgs,
  psArgs,
  replayArgs,
  smokeArgs,
  Target,
  trafficSetArgs,
  upArgs,
  upDebugArgs,
  versionArgs,
} from "./cliArgs";
import { LocalDeployment, parsePsOutput } from "./psModel";
import { parseReplayReport, ReplayReport } from "./replayReport";
import { AzureMlFile, parseClassifyOutput } from "./yamlKind";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The oldest CLI whose `ps --json`, `invoke --json` and `--json -` reports this extension reads. */
export const MIN_CLI_VERSION = "0.1.0";

/** localep's documented exit codes that still come with an answer on stdout (localep/exitcodes.py). */
export const EXIT_DEPLOYMENT_FAILED = 5;
export const EXIT_PORT_IN_USE = 7;
const EXIT_HTTP_ERROR = 8;
const EXIT_MISMATCH = 9;
const EXIT_INTERRUPTED = 130;

export class LocalepNotFoundError extends Error {
  constructor(cliPath: string, cause: string) {
    super(`The localep CLI could not be run as "${cliPath}" (${cause}). Install it (pip install localep) ` +
      `or set the "localep.path" setting to its full path.`);
    this.name = "LocalepNotFoundError";
  }
}

export class LocalepTooOldError extends Error {
  constructor(cliPath: string, found: string) {
    super(`"${cliPath}" is localep ${found}; this extension needs localep ${MIN_CLI_VERSION} or newer. ` +
      `Upgrade it (pip install -U localep) or point "localep.path" at a newer one.`);
    this.name = "LocalepTooOldError";
  }
}

export class CliFailure extends Error {
  constructor(readonly args: string[], readonly result: CliResult) {
    super(failureMessage(args, result));
    this.name = "CliFailure";
  }
}

export class CancelledError extends Error {
  constructor(args: string[]) {
    super(`${commandTitle(args)} was cancelled`);
    this.name = "CancelledError";
  }
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Each line the CLI prints on stderr (its progress), as it arrives. */
  onProgress?: (line: string) => void;
  /** Aborting sends SIGINT, so the CLI cleans up as after Ctrl-C. */
  signal?: AbortSignal;
  /** Log the run only when it fails (the view's periodic `ps`). */
  quiet?: boolean;
}

export interface Log {
  appendLine(line: string): void;
}

const MAX_OUTPUT_CHARS = 32 * 1024 * 1024;

/** `folder` when it exists, else its nearest existing parent, else the home folder: a CLI must start somewhere real. */
export function existingFolder(folder: string | undefined): string {
  let candidate = folder === undefined ? homedir() : path.resolve(folder);
  while (!isFolder(candidate)) {
    const parent = path.dirname(candidate);
    if (parent === candidate) {
      return homedir();
    }
    candidate = parent;
  }
  return candidate;
}

function isFolder(candidate: string): boolean {
  return existsSync(candidate) && statSync(candidate).isDirectory();
}

export function runLocalep(cliPath: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath, args, {
      cwd: existingFolder(options.cwd),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    let outcome: Error | null = null;
    const stop = (error: Error) => {
      outcome ??= error;
      child.kill("SIGINT");
    };
    const timer = options.timeoutMs
      ? setTimeout(() => stop(new Error(`${commandTitle(args)} did not finish within ${options.timeoutMs} ms`)),
        options.timeoutMs)
      : undefined;
    const onAbort = () => stop(new CancelledError(args));
    options.signal?.addEventListener("abort", onAbort);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_OUTPUT_CHARS) {
        stop(new Error(`${commandTitle(args)} printed more than ${MAX_OUTPUT_CHARS} characters`));
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      lines.filter((line) => line.trim() !== "").forEach((line) => options.onProgress?.(line));
    });
    const finish = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish();
      reject(new LocalepNotFoundError(cliPath, error.code ?? error.message));
    });
    child.on("close", (code, signal) => {
      finish();
      if (outcome !== null) {
        reject(outcome);
        return;
      }
      resolve({ exitCode: code ?? (signal === "SIGINT" ? EXIT_INTERRUPTED : 1), stdout, stderr });
    });
  });
}

/** The message to show for a failed run: the CLI's own error line when it printed one. */
export function failureMessage(args: string[], result: CliResult): string {
  const lines = result.stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const errorLine = lines.find((line) => line.startsWith("error:")) ?? lines[lines.length - 1];
  const summary = `${commandTitle(args.slice(0, 2).filter((arg) => !arg.startsWith("-")))} failed (exit code ${result.exitCode})`;
  return errorLine === undefined ? summary : `${summary}: ${errorLine.replace(/^error:\s*/, "")}`;
}

/** "localep, version 0.1.0" -> "0.1.0"; null when the output names no version. */
export function parseVersion(output: string): string | null {
  return /\bversion\s+(\d+(?:\.\d+)*)/.exec(output)?.[1] ?? null;
}

export function isAtLeast(version: string, minimum: string): boolean {
  const have = version.split(".").map(Number);
  const need = minimum.split(".").map(Number);
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const difference = (have[i] ?? 0) - (need[i] ?? 0);
    if (difference !== 0) {
      return difference > 0;
    }
  }
  return true;
}

export interface InvokeAnswer {
  status: number;
  /** The body exactly as the endpoint sent it. */
  bodyText: string;
  headers: Record<string, string>;
  deployment: string | null;
  latencyMs: number | null;
  url: string;
}

export interface Credentials {
  endpoint: string;
  primary: string;
  secondary: string;
  token: string | null;
}

export interface TrafficSplit {
  traffic: Record<string, number>;
  mirrorTraffic: Record<string, number>;
}

/** A foreground `localep up --debug` the extension owns: hot reload on save, everything removed when stopped. */
export interface ForegroundUp {
  /** Resolves once the endpoint answers (the CLI prints its URL); rejects with a CliFailure when it exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code when the CLI exits, for whatever reason. */
  exited: Promise<number>;
  /** SIGINT, as Ctrl-C: the CLI stops and removes what it started; resolves once it has exited. */
  stop(): Promise<number>;
}

export interface LaunchEntry {
  deployment: string;
  configuration: string;
  launchJson: string;
}

export interface Progress {
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export class LocalepCli {
  private checked: { path: string; version: Promise<string> } | null = null;

  constructor(readonly path: () => string, private readonly log: Log, private readonly cwd: () => string | undefined) {}

  /** The CLI's version, checked once per configured path; throws when it is missing or too old. */
  version(): Promise<string> {
    const cliPath = this.path();
    if (this.checked === null || this.checked.path !== cliPath) {
      const version = this.readVersion(cliPath);
      version.catch(() => {
        if (this.checked?.version === version) {
          this.checked = null; // a fixed install is picked up on the next command
        }
      });
      this.checked = { path: cliPath, version };
    }
    return this.checked.version;
  }

  private async readVersion(cliPath: string): Promise<string> {
    const result = await this.execute(cliPath, versionArgs(), { timeoutMs: 30_000 });
    const version = parseVersion(result.stdout);
    if (result.exitCode !== 0 || version === null) {
      throw new LocalepTooOldError(cliPath, version ?? `of unknown version (\`--version\` printed "${result.stdout.trim()}")`);
    }
    if (!isAtLeast(version, MIN_CLI_VERSION)) {
      throw new LocalepTooOldError(cliPath, version);
    }
    return version;
  }

  async ps(): Promise<LocalDeployment[]> {
    return parsePsOutput((await this.succeed(psArgs(), { timeoutMs: 30_000, quiet: true })).stdout);
  }

  /** Which Azure ML file each is, keyed by the paths as given. */
  async classify(files: string[]): Promise<Map<string, AzureMlFile | null>> {
    if (files.length === 0) {
      return new Map();
    }
    const args = classifyArgs(files);
    const result = await this.succeed(args, { timeoutMs: 60_000, quiet: true });
    try {
      return parseClassifyOutput(result.stdout);
    } catch (error) {
      throw new CliFailure(args, { ...result, stderr: `error: ${(error as Error).message}` });
    }
  }

  async up(specFiles: string[], progress: Progress = {}): Promise<void> {
    await this.succeed(upArgs(specFiles), { ...progress, cwd: path.dirname(specFiles[0]) });
  }

  /** `localep up SPEC --debug` in the foreground, so saves hot-reload the worker the debugger re-attaches to. */
  async upDebugForeground(specFile: string, debugPort: number, progress: Progress = {}): Promise<ForegroundUp> {
    await this.version();
    const args = upDebugArgs(specFile, debugPort);
    const cwd = existingFolder(path.dirname(specFile));
    this.log.appendLine(`$ ${commandTitle(args)}    (in ${cwd}; stopped with the debug session)`);
    const child = spawn(this.path(), args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    return foregroundUp(child, args, this.log, progress);
  }

  async down(target: Target, progress: Progress = {}): Promise<void> {
    await this.succeed(downArgs(target), progress);
  }

  async invoke(target: Target, requestFile: string): Promise<InvokeAnswer> {
    const args = invokeArgs(target, requestFile);
    const result = await this.run(args, { cwd: path.dirname(requestFile) });
    if (result.exitCode !== 0 && result.exitCode !== EXIT_HTTP_ERROR) {
      throw new CliFailure(args, result);
    }
    const answer = parseJson(args, result) as Record<string, unknown>;
    const body = answer.body;
    return {
      status: Number(answer.status),
      // CLIs before `body_text` only had the decoded body; re-encoding it is the best they allow.
      bodyText: typeof answer.body_text === "string" ? answer.body_text
        : typeof body === "string" ? body : JSON.stringify(body, null, 2),
      headers: (answer.headers ?? {}) as Record<string, string>,
      deployment: typeof answer.deployment === "string" ? answer.deployment : null,
      latencyMs: typeof answer.latency_ms === "number" ? answer.latency_ms : null,
      url: String(answer.url ?? ""),
    };
  }

  async replay(target: Target, sources: string[], progress: Progress = {}): Promise<ReplayReport> {
    return this.report(replayArgs(target, sources), progress, path.dirname(sources[0]));
  }

  async smoke(specFiles: string[], requests: string[], progress: Progress = {}): Promise<ReplayReport> {
    return this.report(smokeArgs(specFiles, requests), progress, path.dirname(specFiles[0]));
  }

  async trafficSet(endpoint: string, shares: Record<string, number>): Promise<TrafficSplit> {
    const args = trafficSetArgs(endpoint, shares);
    const answer = parseJson(args, await this.succeed(args)) as Record<string, Record<string, number>>;
    return { traffic: answer.traffic ?? {}, mirrorTraffic: answer.mirror_traffic ?? {} };
  }

  async keys(endpoint: string): Promise<Credentials> {
    const args = keysArgs(endpoint);
    const answer = parseJson(args, await this.succeed(args)) as Record<string, unknown>;
    const token = answer.token as { accessToken?: string } | undefined;
    return {
      endpoint: String(answer.endpoint),
      primary: String(answer.primary),
      secondary: String(answer.secondary),
      token: token?.accessToken ?? null,
    };
  }

  async writeLaunchConfig(specFile: string, workspace: string): Promise<LaunchEntry[]> {
    const args = launchConfigArgs(specFile, workspace);
    const rows = parseJson(args, await this.succeed(args, { cwd: workspace })) as Record<string, string>[];
    return rows.map((row) => ({ deployment: row.deployment, configuration: row.configuration, launchJson: row.launch_json }));
  }

  /** The batch command line, for a terminal: a batch job's progress is worth watching as it runs. */
  batchRunCommand(specFile: string, input: string, output: string): string[] {
    return batchRunArgs(specFile, input, output);
  }

  private async report(args: string[], progress: Progress, cwd: string): Promise<ReplayReport> {
    const result = await this.run(args, { ...progress, cwd });
    if (result.exitCode !== 0 && result.exitCode !== EXIT_MISMATCH) {
      throw new CliFailure(args, result);
    }
    return parseReplayReport(parseJson(args, result));
  }

  private async succeed(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const result = await this.run(args, options);
    if (result.exitCode !== 0) {
      throw new CliFailure(args, result);
    }
    return result;
  }

  /** Checks the CLI first, so a missing or old one is reported as that, not as a command failure. */
  async run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    await this.version();
    return this.execute(this.path(), args, options);
  }

  private async execute(cliPath: string, args: string[], options: RunOptions): Promise<CliResult> {
    const cwd = existingFolder(options.cwd ?? this.cwd());
    const heading = `$ ${commandTitle(args)}    (in ${cwd})`;
    if (!options.quiet) {
      this.log.appendLine(heading);
    }
    try {
      const result = await runLocalep(cliPath, args, { ...options, cwd });
      if (options.quiet && result.exitCode === 0) {
        return result;
      }
      if (options.quiet) {
        this.log.appendLine(heading);
      }
      if (result.stderr.trim() !== "") {
        this.log.appendLine(result.stderr.trimEnd());
      }
      this.log.appendLine(`exit code ${result.exitCode}`);
      return result;
    } catch (error) {
      this.log.appendLine(`${options.quiet ? heading + "\n" : ""}${(error as Error).message}`);
      throw error;
    }
  }
}

function foregroundUp(child: ChildProcess, args: string[], log: Log, progress: Progress): ForegroundUp {
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number>((resolve) => {
    child.on("error", () => resolve(1));
    child.on("close", (code, signal) => resolve(code ?? (signal === "SIGINT" ? EXIT_INTERRUPTED : 1)));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (/^https?:\/\//m.test(stdout)) {
        resolve();
      }
    });
    child.on("error", (error: NodeJS.ErrnoException) => reject(new LocalepNotFoundError(String(child.spawnfile), error.code ?? error.message)));
    void exited.then((exitCode) => reject(new CliFailure(args, { exitCode, stdout, stderr })));
  });
  let pending = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_OUTPUT_CHARS);
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines.filter((text) => text.trim() !== "")) {
      log.appendLine(line);
      progress.onProgress?.(line);
    }
  });
  progress.signal?.addEventListener("abort", () => child.kill("SIGINT"));
  void exited.then((code) => log.appendLine(`${commandTitle(args)} exited with code ${code}`));
  return {
    ready,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT");
      }
      return exited;
    },
  };
}

function parseJson(args: string[], result: CliResult): unknown {
  try {
    return JSON.parse(result.stdout);
  } catch {
    const shown = result.stdout.trim().slice(0, 120) || "(nothing)";
    throw new CliFailure(args, { ...result, stderr: `${result.stderr}\nerror: expected JSON on stdout, got: ${shown}` });
  }
}
