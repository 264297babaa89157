/**
 * What a `localep` debug session attaches with, built in memory from `localep ps --json` so no launch.json
 * and no other extension is needed: the attach arguments debugpy reads (pathMappings, justMyCode,
 * subProcess) and how VS Code reaches the deployment's debugpy adapter (`transport`). debugpy copies the
 * attach arguments into the child session it announces for the gunicorn worker, so the child carries the
 * same transport and connects to the same adapter.
 */

import { LocalDeployment } from "./psModel";

export const DEBUG_TYPE = "localep";

/** The deployment's debugpy adapter: an owner-only Unix socket when the CLI reports one, else the published port. */
export type AdapterTransport = { socket: string } | { host: string; port: number };

export interface LocalepAttachConfiguration {
  name: string;
  type: typeof DEBUG_TYPE;
  request: "attach";
  deployment: string;
  transport: AdapterTransport;
  pathMappings: { localRoot: string; remoteRoot: string }[];
  subProcess: boolean;
  justMyCode: boolean;
}

/** A `localep` launch.json entry: the deployment YAML to debug (started with --debug when needed). */
export interface LocalepDebugConfiguration {
  type: typeof DEBUG_TYPE;
  request: "attach";
  name: string;
  deployment: string;
  justMyCode?: boolean;
  debugPort?: number;
}

/** Why a deployment cannot be attached to, or null when it can. */
export function whyNotAttachable(deployment: LocalDeployment): string | null {
  const name = `${deployment.endpoint}/${deployment.deployment}`;
  if (deployment.status !== "running") {
    return `${name} is ${deployment.status}, not running`;
  }
  if (deployment.debugPort === null && deployment.debugSocket === null) {
    return `${name} was not started with --debug`;
  }
  if (deployment.codeDir === null || deployment.remoteCodeDir === null) {
    return `${name} has no code folder to map breakpoints to`;
  }
  return null;
}

export function attachConfigurationName(endpoint: string, deployment: string): string {
  return `localep: attach ${endpoint}/${deployment}`;
}

export function transportOf(deployment: LocalDeployment): AdapterTransport {
  if (deployment.debugSocket !== null) {
    return { socket: deployment.debugSocket };
  }
  return { host: "127.0.0.1", port: deployment.debugPort! };
}

export function buildAttachConfiguration(
  deployment: LocalDeployment,
  options: { name?: string; justMyCode?: boolean } = {},
): LocalepAttachConfiguration {
  const reason = whyNotAttachable(deployment);
  if (reason !== null) {
    throw new Error(`cannot attach the debugger: ${reason}`);
  }
  return {
    name: options.name ?? attachConfigurationName(deployment.endpoint, deployment.deployment),
    type: DEBUG_TYPE,
    request: "attach",
    deployment: deployment.specFile ?? `${deployment.endpoint}/${deployment.deployment}`,
    transport: transportOf(deployment),
    // Host paths are absolute (from `ps`), so the workspace may be opened anywhere above or beside the code.
    pathMappings: [{ localRoot: deployment.codeDir!, remoteRoot: deployment.remoteCodeDir! }],
    subProcess: true,
    justMyCode: options.justMyCode ?? false,
  };
}

/** The transport a configuration names (its own, or one copied by debugpy into a child), or null. */
export function configuredTransport(configuration: Record<string, unknown>): AdapterTransport | null {
  const transport = configuration.transport as Record<string, unknown> | undefined;
  if (typeof transport?.socket === "string") {
    return { socket: transport.socket };
  }
  if (typeof transport?.port === "number" && typeof transport.host === "string") {
    return { host: transport.host, port: transport.port };
  }
  return null;
}

/** debugpy's child session (a gunicorn worker): already resolved, it attaches by `subProcessId`. */
export function isChildConfiguration(configuration: Record<string, unknown>): boolean {
  return typeof configuration.subProcessId === "number";
}

/** The launch.json entry for a deployment YAML, as the snippet and "Add Configuration..." write it. */
export function localepConfiguration(deploymentFile: string, label: string): LocalepDebugConfiguration {
  return { type: DEBUG_TYPE, request: "attach", name: `localep: debug ${label}`, deployment: deploymentFile };
}

/** The one running, debuggable row started from `specFile`: the first replica, as `localep up --debug` serves. */
export function debuggableRow(rows: LocalDeployment[], specFile: string): LocalDeployment | undefined {
  const own = rows.filter((row) => row.specFile === specFile && row.status === "running");
  return own
    .filter((row) => whyNotAttachable(row) === null)
    .sort((a, b) => (a.instance ?? 0) - (b.instance ?? 0))[0];
}

/** A running row of `specFile` that cannot be debugged because it runs without --debug. */
export function runsWithoutDebug(rows: LocalDeployment[], specFile: string): LocalDeployment | undefined {
  return rows.find((row) => row.specFile === specFile && row.status === "running" &&
    row.debugPort === null && row.debugSocket === null);
}
