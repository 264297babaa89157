/**
 * Wires the contributions together: the Local Endpoints view, CodeLens on Azure ML YAML, the `localep`
 * debug type (its configurations and its adapter), the Explorer menus' file list and the localep.* commands. The decisions live in the
 * vscode-free modules beside them.
 */

import * as vscode from "vscode";
import { AzureMlCodeLensProvider, YAML_FILES } from "./codeLens";
import { registerCommands, workingFolder } from "./commands/index";
import { registerDebugAdapter } from "./debugAdapter";
import { DEBUG_TYPE, LocalepDebugProvider, OwnedRuns } from "./debugProvider";
import { DeploymentFilesContext } from "./deploymentFiles";
import { EndpointNode, EndpointsTreeProvider } from "./endpointsTree";
import { recentErrors, reportError, useLogChannel } from "./errors";
import { LocalepCli } from "./localepCli";
import { Classifier } from "./yamlKind";

/** What activate() returns: the integration tests drive the real objects through it. */
export interface LocalepApi {
  cli: LocalepCli;
  tree: EndpointsTreeProvider;
  debugProvider: LocalepDebugProvider;
  deploymentFiles: DeploymentFilesContext;
  classifier: Classifier;
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
  const classifier = new Classifier((files) => cli.classify(files));
  const runs = new OwnedRuns();
  const debugProvider = new LocalepDebugProvider(cli, classifier, runs, () => tree.refresh());
  const deploymentFiles = new DeploymentFilesContext(classifier);
  const codeLens = new AzureMlCodeLensProvider(classifier);

  context.subscriptions.push(
    log,
    tree,
    view,
    timer,
    deploymentFiles,
    codeLens,
    { dispose: () => void runs.stopAll() },
    ...registerCommands(cli, tree, classifier),
    ...registerDebugAdapter(runs, () => tree.refresh()),
    vscode.languages.registerCodeLensProvider(YAML_FILES, codeLens),
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
  return { cli, tree, debugProvider, deploymentFiles, classifier, recentErrors };
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
