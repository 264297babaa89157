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

type Condition = "ready" | "running" | "starting" | "unhealthy" | "stopped" | "unknown";

function conditionOf(deployment: LocalDeployment): Condition {
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
  stopped: ["error", "list.errorForeground"],
  unknown: ["circle-outline", null],
};

export function deploymentPresentation(deployment: LocalDeployment): RowPresentation {
  const parts = [deployment.status];
  if (deployment.health !== null) {
    parts.push(deployment.health);
  }
  if (deployment.port !== null) {
    parts.push(`:${deployment.port}`);
  }
  if (deployment.debugPort !== null) {
    parts.push(`debug :${deployment.debugPort}`);
  }
  const debuggable = whyNotAttachable(deployment) === null;
  const [icon, iconColor] = ICONS[conditionOf(deployment)];
  return {
    id: `deployment:${deployment.endpoint}/${deployment.deployment}#${deployment.instance ?? 0}`,
    label: deploymentLabel(deployment),
    description: parts.join(" · "),
    tooltip: deploymentTooltip(deployment),
    contextValue: debuggable ? "deployment debuggable" : "deployment",
    icon,
    iconColor,
  };
}

/** "blue" for the first (or only) replica, "blue #2" for the third, like the container names. */
export function deploymentLabel(deployment: LocalDeployment): string {
  return deployment.instance ? `${deployment.deployment} #${deployment.instance}` : deployment.deployment;
}

function deploymentTooltip(deployment: LocalDeployment): string {
  const lines: [string, string | number | null][] = [
    ["Deployment", `${deployment.endpoint}/${deploymentLabel(deployment)}`],
    ["Status", deployment.status],
    ["Health", deployment.health],
    ["Scoring URL", deployment.url],
    ["Debug port", deployment.debugPort],
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
  const notReady = endpoint.deployments.filter((d) => ["starting", "unhealthy"].includes(conditionOf(d))).length;
  const noun = total === 1 ? "container" : "containers";
  const description = `${running}/${total} ${noun} running` + (notReady > 0 ? `, ${notReady} not ready` : "");
  return {
    id: `endpoint:${endpoint.name}`,
    label: endpoint.name,
    description,
    tooltip: `Endpoint ${endpoint.name}: ${endpoint.deployments.map(deploymentLabel).join(", ")}`,
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
