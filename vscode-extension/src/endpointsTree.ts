/**
 * The Local Endpoints view: endpoints -> deployments from the last `localep ps --json`.
 * It keeps the last good snapshot so commands can offer a quick pick when run from the palette.
 */

import * as vscode from "vscode";
import { psArgs } from "./cliArgs";
import { failureMessage, runLocalep } from "./localepCli";
import { groupByEndpoint, LocalDeployment, LocalEndpoint, parsePsOutput } from "./psModel";
import { deploymentPresentation, endpointPresentation, errorPresentation, RowPresentation } from "./treeModel";

export type EndpointNode =
  | { kind: "endpoint"; endpoint: LocalEndpoint }
  | { kind: "deployment"; deployment: LocalDeployment }
  | { kind: "error"; message: string };

const PS_TIMEOUT_MS = 30_000;

export class EndpointsTreeProvider implements vscode.TreeDataProvider<EndpointNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private endpoints: LocalEndpoint[] = [];
  private error: string | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly cliPath: () => string, private readonly cwd: () => string | undefined) {}

  get deployments(): LocalDeployment[] {
    return this.endpoints.flatMap((endpoint) => endpoint.deployments);
  }

  get endpointList(): LocalEndpoint[] {
    return this.endpoints;
  }

  /** Re-read `localep ps --json`; overlapping calls (timer plus a command) share one run. */
  refresh(): Promise<void> {
    if (this.inFlight === null) {
      this.inFlight = this.load().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async load(): Promise<void> {
    try {
      const result = await runLocalep(this.cliPath(), psArgs(), { cwd: this.cwd(), timeoutMs: PS_TIMEOUT_MS });
      if (result.exitCode !== 0) {
        throw new Error(failureMessage(psArgs(), result));
      }
      this.endpoints = groupByEndpoint(parsePsOutput(result.stdout));
      this.error = null;
    } catch (error) {
      this.endpoints = [];
      this.error = (error as Error).message;
    }
    this.changed.fire();
  }

  getChildren(node?: EndpointNode): EndpointNode[] {
    if (node === undefined) {
      if (this.error !== null) {
        return [{ kind: "error", message: this.error }];
      }
      return this.endpoints.map((endpoint) => ({ kind: "endpoint", endpoint }));
    }
    if (node.kind === "endpoint") {
      return node.endpoint.deployments.map((deployment) => ({ kind: "deployment", deployment }));
    }
    return [];
  }

  getTreeItem(node: EndpointNode): vscode.TreeItem {
    switch (node.kind) {
      case "endpoint":
        return toTreeItem(endpointPresentation(node.endpoint), vscode.TreeItemCollapsibleState.Expanded);
      case "deployment":
        return toTreeItem(deploymentPresentation(node.deployment), vscode.TreeItemCollapsibleState.None);
      case "error":
        return toTreeItem(errorPresentation(node.message), vscode.TreeItemCollapsibleState.None);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function toTreeItem(row: RowPresentation, state: vscode.TreeItemCollapsibleState): vscode.TreeItem {
  const item = new vscode.TreeItem(row.label, state);
  item.id = row.id;
  item.description = row.description;
  item.tooltip = row.tooltip;
  item.contextValue = row.contextValue;
  item.iconPath =
    row.iconColor === null
      ? new vscode.ThemeIcon(row.icon)
      : new vscode.ThemeIcon(row.icon, new vscode.ThemeColor(row.iconColor));
  return item;
}
