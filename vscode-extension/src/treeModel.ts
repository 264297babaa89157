/**
 * What each row of the Local Endpoints view shows, as plain data. The vscode-facing provider only
 * copies these fields onto TreeItems, so the wording and state logic are testable without VS Code.
 */

import { whyNotAttachable } from "./attachConfig";
import { LocalDeployment, LocalEndpoint } from "./psModel";

export interface RowPresentation {
  /** Stable across refreshes so VS Code keeps expansion and selection. */
  id: string;
  label: string;
  description: string;
  tooltip: string;
  /** Space-separated words matched by the `viewItem =~ /\bword\b/` menu conditions in package.json. */
  contextValue: string;
  /** A codicon id, and the theme colour id to tint it with (null for the default colour). */
  icon: string;
  iconColor: string | null;
}

type Condition = "ready" | "running" | "starting" | "unhealthy" | "crashing" | "stopped" | "unknown";

/** Statuses the gateway reports for a container it keeps restarting (`ps --json` rows). */
const RESTARTING = ["restarting"];
const CRASHING = ["crash-looping", "crashlooping", "crash_looping", "crashloop"];

function conditionOf(deployment: LocalDeployment): Condition {
  if (RESTARTING.includes(deployment.status)) {
    return "starting";
  }
  if (CRASHING.includes(deployment.status)) {
    return "crashing";
  }
  if (deployment.status !== "running") {
    return deployment.status === "unknown" ? "unknown" : "stopped";
  }
  switch (deployment.health) {
    case "ready":
    case "healthy":
      return "ready";
    case "starting":
      return "starting";
    case null:
    case "unknown":
      return "running";
    default:
      return "unhealthy";
  }
}

const ICONS: Record<Condition, [string, string | null]> = {
  ready: ["pass-filled", "testing.iconPassed"],
  running: ["vm-running", null],
  starting: ["loading~spin", null],
  unhealthy: ["warning", "list.warningForeground"],
  crashing: ["error", "list.errorForeground"],
  stopped: ["error", "list.errorForeground"],
  unknown: ["circle-outline", null],
};

/** "debug :5678 · healthy · 90% · 2 restarts": the debug port first, so a narrow view never cuts it off. */
export function deploymentPresentation(deployment: LocalDeployment): RowPresentation {
  const parts: string[] = [];
  if (deployment.debugPort !== null) {
    parts.push(`debug :${deployment.debugPort}`);
  } else if (deployment.debugSocket !== null) {
    parts.push("debug");
  }
  const condition = conditionOf(deployment);
  if (deployment.status !== "running") {
    parts.push(deployment.status);
  } else if (deployment.health !== null && deployment.health !== "unknown") {
    parts.push(deployment.health);
  }
  if (deployment.traffic !== null) {
    parts.push(`${deployment.traffic}%` + (deployment.mirrorTraffic ? ` +${deployment.mirrorTraffic}% mirror` : ""));
  }
  if (deployment.restarts !== null && deployment.restarts > 0) {
    parts.push(deployment.restarts === 1 ? "1 restart" : `${deployment.restarts} restarts`);
  }
  const debuggable = whyNotAttachable(deployment) === null;
  const [icon, iconColor] = ICONS[condition];
  return {
    id: `deployment:${deployment.endpoint}/${deployment.deployment}#${deployment.instance ?? 0}`,
    label: deploymentLabel(deployment),
    description: parts.join(" · "),
    tooltip: deploymentTooltip(deployment),
    contextValue: ["deployment", ...(debuggable ? ["debuggable"] : []), ...(deployment.specFile ? ["hasSpec"] : [])]
      .join(" "),
    icon,
    iconColor,
  };
}

/** "blue" for the first (or only) replica, "blue #2" for the second, like `localep ps`. */
export function deploymentLabel(deployment: LocalDeployment): string {
  return deployment.instance ? `${deployment.deployment} #${deployment.instance + 1}` : deployment.deployment;
}

function deploymentTooltip(deployment: LocalDeployment): string {
  const traffic = deployment.traffic === null ? null
    : `${deployment.traffic}%` + (deployment.mirrorTraffic ? ` (+${deployment.mirrorTraffic}% mirrored)` : "");
  const lines: [string, string | number | null][] = [
    ["Deployment", `${deployment.endpoint}/${deploymentLabel(deployment)}`],
    ["Status", deployment.status],
    ["Health", deployment.health],
    ["Traffic", traffic],
    ["Restarts", deployment.restarts],
    ["Scoring URL", deployment.url],
    ["Container URL", deployment.directUrl],
    ["Debug port", deployment.debugPort],
    ["Debug socket", deployment.debugSocket],
    ["Container", deployment.container],
    ["Image", deployment.image],
    ["Code", deployment.codeDir],
    ["Spec", deployment.specFile],
  ];
  return lines
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}: ${value}`)
    .join("\n");
}

export function endpointPresentation(endpoint: LocalEndpoint): RowPresentation {
  const total = endpoint.deployments.length;
  const running = endpoint.deployments.filter((d) => d.status === "running").length;
  const notReady = endpoint.deployments.filter((d) => ["starting", "unhealthy", "crashing"].includes(conditionOf(d))).length;
  const noun = total === 1 ? "container" : "containers";
  const port = endpoint.deployments.find((d) => d.port !== null)?.port;
  const description = (port === undefined ? "" : `:${port} · `) + `${running}/${total} ${noun} running` +
    (notReady > 0 ? `, ${notReady} not ready` : "");
  const url = endpoint.deployments.find((d) => d.url !== null)?.url;
  return {
    id: `endpoint:${endpoint.name}`,
    label: endpoint.name,
    description,
    tooltip: `Endpoint ${endpoint.name}` + (url ? ` at ${url}` : "") + `: ${endpoint.deployments.map(deploymentLabel).join(", ")}`,
    contextValue: "endpoint",
    icon: "server-environment",
    iconColor: null,
  };
}

export function errorPresentation(message: string): RowPresentation {
  return {
    id: "error",
    label: "localep ps failed",
    description: message.split("\n")[0],
    tooltip: message,
    contextValue: "error",
    icon: "error",
    iconColor: "list.errorForeground",
  };
}
