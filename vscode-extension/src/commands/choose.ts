/** Which endpoint or deployment a command works on: the tree item it was run from, or the user's pick. */

import * as path from "path";
import * as vscode from "vscode";
import { Target } from "../cliArgs";
import { EndpointNode } from "../endpointsTree";
import { LocalDeployment, LocalEndpoint } from "../psModel";
import { TITLES } from "../titles";
import { formatShares } from "../trafficModel";
import { deploymentLabel, deploymentPresentation } from "../treeModel";
import { CommandContext, pick, PickItem } from "./context";

/** The endpoints after a fresh `ps`; a failing `ps` is the error to show, not "nothing is running". */
async function runningEndpoints(context: CommandContext): Promise<LocalEndpoint[]> {
  await context.tree.refresh();
  if (context.tree.error !== null) {
    throw new Error(context.tree.error);
  }
  if (context.tree.endpointList.length === 0) {
    void vscode.window.showInformationMessage(
      `No local endpoints are running. Start one with "${TITLES.up}" on a deployment YAML.`);
  }
  return context.tree.endpointList;
}

/** The tree item the command was run on, or the user's pick of an endpoint or deployment. */
export async function chooseTarget(context: CommandContext, node: EndpointNode | undefined,
  placeHolder: string): Promise<Target | undefined> {
  if (node?.kind === "endpoint") {
    return { endpoint: node.endpoint.name, deployment: null };
  }
  if (node?.kind === "deployment") {
    return { endpoint: node.deployment.endpoint, deployment: node.deployment.deployment };
  }
  const items: PickItem<Target>[] = [];
  for (const endpoint of await runningEndpoints(context)) {
    items.push({ label: endpoint.name, description: "whole endpoint", value: { endpoint: endpoint.name, deployment: null } });
    for (const deployment of endpoint.deployments.filter((d) => !d.instance)) {
      items.push({ ...deploymentPick(deployment), value: { endpoint: endpoint.name, deployment: deployment.deployment } });
    }
  }
  return pick(items, placeHolder);
}

export async function chooseEndpoint(context: CommandContext, node: EndpointNode | undefined,
  placeHolder: string): Promise<LocalEndpoint | undefined> {
  const name = node?.kind === "endpoint" ? node.endpoint.name : node?.kind === "deployment" ? node.deployment.endpoint : undefined;
  const endpoints = await runningEndpoints(context);
  if (name !== undefined) {
    const found = endpoints.find((endpoint) => endpoint.name === name);
    if (found === undefined) {
      throw new Error(`${name} is no longer running`);
    }
    return found;
  }
  return pick(endpoints.map((endpoint) => ({ label: endpoint.name, description: formatShares(currentSplit(endpoint)), value: endpoint })),
    placeHolder);
}

/** The deployment row of a tree item, or the user's pick among the running ones. */
export async function chooseDeployment(context: CommandContext, node: EndpointNode | undefined,
  placeHolder: string): Promise<LocalDeployment | undefined> {
  if (node?.kind === "deployment") {
    return node.deployment;
  }
  const endpoints = await runningEndpoints(context);
  const items = endpoints.flatMap((endpoint) => endpoint.deployments).map((deployment) => ({ ...deploymentPick(deployment), value: deployment }));
  return pick(items, placeHolder);
}

/** The YAML a running deployment was started from; older rows that do not say are an error. */
export function specFileOf(deployment: LocalDeployment): string {
  if (deployment.specFile === null) {
    throw new Error(`${deployment.endpoint}/${deployment.deployment} does not say which YAML it was started from`);
  }
  return deployment.specFile;
}

/** The folder of a target's deployment YAML: where its sample requests usually are. */
export function specFolder(context: CommandContext, target: Target): string | undefined {
  const row = context.tree.deployments.find((d) => d.endpoint === target.endpoint && d.specFile !== null &&
    (target.deployment === null || d.deployment === target.deployment));
  return row?.specFile ? path.dirname(row.specFile) : undefined;
}

export function currentSplit(endpoint: LocalEndpoint): Record<string, number> {
  const split: Record<string, number> = {};
  for (const deployment of endpoint.deployments) {
    split[deployment.deployment] = deployment.traffic ?? 0;
  }
  return split;
}

function deploymentPick(deployment: LocalDeployment): vscode.QuickPickItem {
  return {
    label: `${deployment.endpoint}/${deploymentLabel(deployment)}`,
    description: deploymentPresentation(deployment).description,
  };
}
