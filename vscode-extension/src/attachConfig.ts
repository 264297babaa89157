/**
 * The debugpy attach configuration for one running deployment, built in memory so attaching needs
 * no launch.json. Its default name matches the entry `localep vscode` writes, so both paths look the same.
 */

import { LocalDeployment } from "./psModel";

export interface DebugpyAttachConfiguration {
  name: string;
  type: "debugpy";
  request: "attach";
  connect: { host: string; port: number };
  pathMappings: { localRoot: string; remoteRoot: string }[];
  subProcess: boolean;
  justMyCode: boolean;
}

/** A `localep` launch.json entry: the deployment YAML to debug (started with --debug when needed). */
export interface LocalepDebugConfiguration {
  type: "localep";
  request: "attach";
  name: string;
  deployment: string;
  justMyCode?: boolean;
}

/** Why a deployment cannot be attached to, or null when it can. */
export function whyNotAttachable(deployment: LocalDeployment): string | null {
  const name = `${deployment.endpoint}/${deployment.deployment}`;
  if (deployment.status !== "running") {
    return `${name} is ${deployment.status}, not running`;
  }
  if (deployment.debugPort === null) {
    return `${name} was not started with --debug (no debug port); run "localep up <spec> --debug"`;
  }
  if (deployment.codeDir === null || deployment.remoteCodeDir === null) {
    return `${name} has no code folder to map breakpoints to`;
  }
  return null;
}

export function attachConfigurationName(endpoint: string, deployment: string): string {
  return `localep: attach ${endpoint}/${deployment}`;
}

export function buildAttachConfiguration(
  deployment: LocalDeployment,
  options: { name?: string; justMyCode?: boolean } = {},
): DebugpyAttachConfiguration {
  const reason = whyNotAttachable(deployment);
  if (reason !== null) {
    throw new Error(`cannot attach the debugger: ${reason}`);
  }
  return {
    name: options.name ?? attachConfigurationName(deployment.endpoint, deployment.deployment),
    type: "debugpy",
    request: "attach",
    // The port is published under the same number outside as inside, which debugpy's
    // subprocess hand-off (gunicorn workers) relies on.
    connect: { host: "127.0.0.1", port: deployment.debugPort! },
    pathMappings: [{ localRoot: deployment.codeDir!, remoteRoot: deployment.remoteCodeDir! }],
    subProcess: true,
    justMyCode: options.justMyCode ?? false,
  };
}

/** The launch.json entry for a deployment YAML, as the snippet and "Add Configuration..." write it. */
export function localepConfiguration(deploymentFile: string, label: string): LocalepDebugConfiguration {
  return { type: "localep", request: "attach", name: `localep: debug ${label}`, deployment: deploymentFile };
}

/** The one running, debuggable row started from `specFile`: the first replica, as `localep up --debug` serves. */
export function debuggableRow(rows: LocalDeployment[], specFile: string): LocalDeployment | undefined {
  const own = rows.filter((row) => row.specFile === specFile && row.status === "running");
  return own
    .filter((row) => whyNotAttachable(row) === null)
    .sort((a, b) => (a.instance ?? 0) - (b.instance ?? 0))[0];
}
