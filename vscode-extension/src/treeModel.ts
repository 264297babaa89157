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

type Condition = "ready" | "starting" | "unhealthy" | "stopped" | "unknown";

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
      return "unknown";
    default:
      return "unhealthy";
  }
}

const ICONS: Record<Condition, [string, string | null]> = {
  ready: ["pass-filled", "testing.iconPassed"],
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
    id: `deployment:${deployment.endpoint}/${deployment.deployment}`,
    label: deployment.deployment,
    description: parts.join(" · "),
    tooltip: deploymentTooltip(deployment),
    contextValue: debuggable ? "deployment debuggable" : "deployment",
    icon,
    iconColor,
  };
}

function deploymentTooltip(deployment: LocalDeployment): string {
  const lines: [string, string | number | null][] = [
    ["Deployment", `${deployment.endpoint}/${deployment.deployment}`],
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
  const ready = endpoint.deployments.filter((d) => conditionOf(d) === "ready").length;
  const noun = total === 1 ? "deployment" : "deployments";
  return {
    id: `endpoint:${endpoint.name}`,
    label: endpoint.name,
    description: `${ready}/${total} ${noun} ready`,
    tooltip: `Endpoint ${endpoint.name}: ${endpoint.deployments.map((d) => d.deployment).join(", ")}`,
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
