/**
 * Wires the Local Endpoints view and the localep.* commands to VS Code. The decisions (parsing,
 * labels, argument lists, attach configuration) live in the vscode-free modules next to this one.
 */

import * as path from "path";
import * as vscode from "vscode";
import { buildAttachConfiguration } from "./attachConfig";
import {
  commandTitle,
  downArgs,
  formatInvokeOutput,
  invokeArgs,
  launchConfigArgs,
  logsArgs,
  Target,
  upArgs,
} from "./cliArgs";
import { EndpointNode, EndpointsTreeProvider } from "./endpointsTree";
import { CliResult, failureMessage, runLocalep } from "./localepCli";
import { LocalDeployment } from "./psModel";
import { deploymentLabel, deploymentPresentation } from "./treeModel";

const DEBUGPY_EXTENSION = "ms-python.debugpy";

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("localep");
}

function cliPath(): string {
  return settings().get<string>("path", "localep").trim() || "localep";
}

/** The folder commands run in: the workspace folder holding `file`, else the first one, else the file's. */
function workingFolder(file?: string): string | undefined {
  if (file !== undefined) {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return folder?.uri.fsPath ?? path.dirname(file);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function activate(context: vscode.ExtensionContext): void {
  const tree = new EndpointsTreeProvider(cliPath, () => workingFolder());
  const view = vscode.window.createTreeView("localepEndpoints", { treeDataProvider: tree, showCollapseAll: true });
  const output = vscode.window.createOutputChannel("localep");
  const commands = new Commands(tree, output);
  const timer = new RefreshTimer(tree, view);

  context.subscriptions.push(
    tree,
    view,
    output,
    timer,
    vscode.commands.registerCommand("localep.refresh", () => tree.refresh()),
    vscode.commands.registerCommand("localep.up", (uri?: vscode.Uri) => commands.up(uri)),
    vscode.commands.registerCommand("localep.down", (node?: EndpointNode) => commands.down(node)),
    vscode.commands.registerCommand("localep.logs", (node?: EndpointNode) => commands.logs(node)),
    vscode.commands.registerCommand("localep.invoke", (node?: EndpointNode) => commands.invoke(node)),
    vscode.commands.registerCommand("localep.attach", (node?: EndpointNode) => commands.attach(node)),
    vscode.commands.registerCommand("localep.writeLaunchConfig", (arg?: vscode.Uri | EndpointNode) =>
      commands.writeLaunchConfig(arg),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("localep")) {
        timer.restart();
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
  void tree.refresh();
}

export function deactivate(): void {}

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

class Commands {
  constructor(private readonly tree: EndpointsTreeProvider, private readonly output: vscode.OutputChannel) {}

  async up(uri?: vscode.Uri): Promise<void> {
    const specFile = uri?.fsPath ?? (await askForFile("Start deployment", { YAML: ["yml", "yaml"] }));
    if (specFile === undefined) {
      return;
    }
    this.runInTerminal(upArgs(specFile), workingFolder(specFile));
    void this.tree.refresh();
  }

  async down(node?: EndpointNode): Promise<void> {
    const target = await this.chooseTarget(node, "Stop which endpoint or deployment?");
    if (target === undefined) {
      return;
    }
    const args = downArgs(target);
    const result = await this.runWithProgress(args, workingFolder());
    if (result !== undefined && result.exitCode !== 0) {
      void vscode.window.showErrorMessage(failureMessage(args, result));
    }
    await this.tree.refresh();
  }

  async logs(node?: EndpointNode): Promise<void> {
    const target = await this.chooseTarget(node, "Follow the logs of?");
    if (target !== undefined) {
      this.runInTerminal(logsArgs(target), workingFolder());
    }
  }

  async invoke(node?: EndpointNode): Promise<void> {
    const target = await this.chooseTarget(node, "Invoke which endpoint or deployment?");
    if (target === undefined) {
      return;
    }
    const requestFile = await askForFile("Send request", { JSON: ["json"] });
    if (requestFile === undefined) {
      return;
    }
    const args = invokeArgs(target, requestFile);
    const result = await this.runWithProgress(args, workingFolder(requestFile));
    if (result === undefined) {
      return;
    }
    this.output.appendLine(`$ ${commandTitle(args)}`);
    this.output.appendLine(formatInvokeOutput(result.stdout));
    if (result.exitCode !== 0) {
      this.output.appendLine(result.stderr);
      void vscode.window.showWarningMessage(failureMessage(args, result));
    }
    this.output.show(true);
  }

  async attach(node?: EndpointNode): Promise<void> {
    const deployment = node?.kind === "deployment" ? node.deployment : await this.chooseDeployment("Attach to?");
    if (deployment === undefined) {
      return;
    }
    if (vscode.extensions.getExtension(DEBUGPY_EXTENSION) === undefined) {
      const install = "Install Python Debugger";
      const answer = await vscode.window.showErrorMessage(
        `Attaching needs the Python Debugger extension (${DEBUGPY_EXTENSION}).`,
        install,
      );
      if (answer === install) {
        await vscode.commands.executeCommand("workbench.extensions.installExtension", DEBUGPY_EXTENSION);
      }
      return;
    }
    try {
      const configuration = buildAttachConfiguration(deployment);
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(deployment.codeDir!));
      const started = await vscode.debug.startDebugging(folder, configuration);
      if (!started) {
        void vscode.window.showErrorMessage(`Could not start debugging ${configuration.name}.`);
      }
    } catch (error) {
      void vscode.window.showErrorMessage((error as Error).message);
    }
  }

  async writeLaunchConfig(arg?: vscode.Uri | EndpointNode): Promise<void> {
    const specFile = await this.specFileOf(arg);
    if (specFile === undefined) {
      return;
    }
    const args = launchConfigArgs(specFile);
    const result = await this.runWithProgress(args, workingFolder(specFile));
    if (result === undefined) {
      return;
    }
    if (result.exitCode !== 0) {
      void vscode.window.showErrorMessage(failureMessage(args, result));
      return;
    }
    const message = (result.stdout.trim() || result.stderr.trim()).split("\n").pop() ?? "";
    void vscode.window.showInformationMessage(message || "launch.json updated.");
  }

  private async specFileOf(arg?: vscode.Uri | EndpointNode): Promise<string | undefined> {
    if (arg instanceof vscode.Uri) {
      return arg.fsPath;
    }
    if (arg?.kind === "deployment") {
      if (arg.deployment.specFile === null) {
        void vscode.window.showErrorMessage(`localep does not know the spec file of ${arg.deployment.deployment}.`);
        return undefined;
      }
      return arg.deployment.specFile;
    }
    return askForFile("Write attach configuration", { YAML: ["yml", "yaml"] });
  }

  private runInTerminal(args: string[], cwd: string | undefined): void {
    const terminal = vscode.window.createTerminal({ name: commandTitle(args), shellPath: cliPath(), shellArgs: args, cwd });
    terminal.show();
  }

  /** Run to completion behind a progress notification; undefined when the CLI could not be started. */
  private async runWithProgress(args: string[], cwd: string | undefined): Promise<CliResult | undefined> {
    const title = commandTitle(args);
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
        runLocalep(cliPath(), args, { cwd }),
      );
    } catch (error) {
      void vscode.window.showErrorMessage((error as Error).message);
      return undefined;
    }
  }

  /** The tree item the command was run on, or the user's pick of an endpoint or deployment. */
  private async chooseTarget(node: EndpointNode | undefined, placeHolder: string): Promise<Target | undefined> {
    if (node?.kind === "endpoint") {
      return { endpoint: node.endpoint.name, deployment: null };
    }
    if (node?.kind === "deployment") {
      return { endpoint: node.deployment.endpoint, deployment: node.deployment.deployment };
    }
    await this.tree.refresh();
    const items: (vscode.QuickPickItem & { target: Target })[] = [];
    for (const endpoint of this.tree.endpointList) {
      items.push({ label: endpoint.name, description: "whole endpoint", target: { endpoint: endpoint.name, deployment: null } });
      for (const deployment of endpoint.deployments) {
        items.push({ ...deploymentPick(deployment), target: { endpoint: endpoint.name, deployment: deployment.deployment } });
      }
    }
    return (await pickFrom(items, placeHolder))?.target;
  }

  private async chooseDeployment(placeHolder: string): Promise<LocalDeployment | undefined> {
    await this.tree.refresh();
    const items = this.tree.deployments.map((deployment) => ({ ...deploymentPick(deployment), deployment }));
    return (await pickFrom(items, placeHolder))?.deployment;
  }
}

function deploymentPick(deployment: LocalDeployment): vscode.QuickPickItem {
  return {
    label: `${deployment.endpoint}/${deploymentLabel(deployment)}`,
    description: deploymentPresentation(deployment).description,
  };
}

async function pickFrom<T extends vscode.QuickPickItem>(items: T[], placeHolder: string): Promise<T | undefined> {
  if (items.length === 0) {
    void vscode.window.showInformationMessage("No local endpoints are running. Start one with \"localep: Start Deployment\".");
    return undefined;
  }
  return vscode.window.showQuickPick(items, { placeHolder });
}

async function askForFile(openLabel: string, filters: Record<string, string[]>): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel,
    filters,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}
