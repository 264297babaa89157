/**
 * Wires the contributions together: the Local Endpoints view, CodeLens on Azure ML YAML, the `localep`
 * debug type, the Explorer menus' file list and the localep.* commands. The decisions live in the
 * vscode-free modules beside them.
 */

import * as vscode from "vscode";
import { AzureMlCodeLensProvider, YAML_FILES } from "./codeLens";
import { registerCommands, workingFolder } from "./commands";
import { DEBUG_TYPE, LocalepDebugProvider } from "./debugProvider";
import { DeploymentFilesContext } from "./deploymentFiles";
import { EndpointNode, EndpointsTreeProvider } from "./endpointsTree";
import { recentErrors, reportError, useLogChannel } from "./errors";
import { LocalepCli } from "./localepCli";

/** What activate() returns: the integration tests drive the real objects through it. */
export interface LocalepApi {
  cli: LocalepCli;
  tree: EndpointsTreeProvider;
  debugProvider: LocalepDebugProvider;
  deploymentFiles: DeploymentFilesContext;
  recentErrors: string[];
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("localep");
}

function cliPath(): string {
  return settings().get<string>("path", "localep").trim() || "localep";
}

export function activate(context: vscode.ExtensionContext): LocalepApi {
  const log = vscode.window.createOutputChannel("localep");
  useLogChannel(log);
  const cli = new LocalepCli(cliPath, log, () => workingFolder());
  const tree = new EndpointsTreeProvider(cli);
  const view = vscode.window.createTreeView("localepEndpoints", { treeDataProvider: tree, showCollapseAll: true });
  const timer = new RefreshTimer(tree, view);
  const debugProvider = new LocalepDebugProvider(cli, () => tree.refresh());
  const deploymentFiles = new DeploymentFilesContext();

  context.subscriptions.push(
    log,
    tree,
    view,
    timer,
    deploymentFiles,
    ...registerCommands(cli, tree),
    vscode.languages.registerCodeLensProvider(YAML_FILES, new AzureMlCodeLensProvider()),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, debugProvider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE,
      { provideDebugConfigurations: (folder) => debugProvider.provideDebugConfigurations(folder) },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("localep")) {
        timer.restart();
        void checkCli(cli);
        void tree.refresh();
      }
    }),
    view.onDidChangeVisibility((event) => {
      if (event.visible) {
        void tree.refresh();
      }
    }),
  );
  timer.restart();
  void deploymentFiles.scan();
  void checkCli(cli);
  void tree.refresh();
  return { cli, tree, debugProvider, deploymentFiles, recentErrors };
}

export function deactivate(): void {}

/** Say at once (not at the first command) when the CLI is missing or too old. */
async function checkCli(cli: LocalepCli): Promise<void> {
  try {
    await cli.version();
  } catch (error) {
    void reportError(error);
  }
}

/** Polls `localep ps` while the view is visible, at the interval the user configured. */
class RefreshTimer implements vscode.Disposable {
  private handle: NodeJS.Timeout | undefined;

  constructor(private readonly tree: EndpointsTreeProvider, private readonly view: vscode.TreeView<EndpointNode>) {}

  restart(): void {
    this.dispose();
    const seconds = settings().get<number>("refreshIntervalSeconds", 5);
    if (seconds > 0) {
      this.handle = setInterval(() => {
        if (this.view.visible) {
          void this.tree.refresh();
        }
      }, seconds * 1000);
    }
  }

  dispose(): void {
    if (this.handle !== undefined) {
      clearInterval(this.handle);
      this.handle = undefined;
    }
  }
}
