/**
 * The Local Endpoints view: endpoints -> deployments from the last `localep ps --json`.
 * It keeps the last good snapshot so commands can offer a quick pick when run from the palette,
 * and the last error so they can say why there is nothing to pick.
 */

import * as vscode from "vscode";
import { LocalepCli } from "./localepCli";
import { groupByEndpoint, LocalDeployment, LocalEndpoint } from "./psModel";
import { deploymentPresentation, endpointPresentation, errorPresentation, RowPresentation } from "./treeModel";

export type EndpointNode =
  | { kind: "endpoint"; endpoint: LocalEndpoint }
  | { kind: "deployment"; deployment: LocalDeployment }
  | { kind: "error"; message: string };

export class EndpointsTreeProvider implements vscode.TreeDataProvider<EndpointNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private endpoints: LocalEndpoint[] = [];
  private failure: string | null = null;
  private inFlight: Promise<void> | null = null;
  private again = false;

  constructor(private readonly cli: LocalepCli) {}

  get deployments(): LocalDeployment[] {
    return this.endpoints.flatMap((endpoint) => endpoint.deployments);
  }

  get endpointList(): LocalEndpoint[] {
    return this.endpoints;
  }

  /** Why the last `localep ps` failed, or null when it worked. */
  get error(): string | null {
    return this.failure;
  }

  /** Re-read `localep ps --json`. A call during a run waits for one more run, so it sees the newest state. */
  refresh(): Promise<void> {
    if (this.inFlight !== null) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        await this.load();
      } while (this.again);
    })().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    try {
      this.endpoints = groupByEndpoint(await this.cli.ps());
      this.failure = null;
    } catch (error) {
      this.endpoints = [];
      this.failure = (error as Error).message;
    }
    void vscode.commands.executeCommand("setContext", "localep.hasEndpoints", this.endpoints.length > 0);
    this.changed.fire();
  }

  getChildren(node?: EndpointNode): EndpointNode[] {
    if (node === undefined) {
      if (this.failure !== null) {
        return [{ kind: "error", message: this.failure }];
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
