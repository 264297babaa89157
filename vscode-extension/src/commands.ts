/**
 * The localep.* commands. Each works on the tree item or file it was run from (or asks), runs the CLI
 * through LocalepCli, shows failures through errors.ts, and refreshes the view afterwards. Arguments
 * after the first let scripts and tests run a command without any dialog.
 */

import * as path from "path";
import * as vscode from "vscode";
import { localepConfiguration } from "./attachConfig";
import { AnswerView } from "./answerView";
import { commandTitle, logsArgs, Target } from "./cliArgs";
import { EndpointNode, EndpointsTreeProvider } from "./endpointsTree";
import { guarded, showLogs } from "./errors";
import { InvokeAnswer, LocalepCli } from "./localepCli";
import { withProgress } from "./progress";
import { LocalDeployment, LocalEndpoint } from "./psModel";
import { ReplayReport, reportSummary } from "./replayReport";
import { ResultsPanel } from "./resultsPanel";
import { TITLES } from "./titles";
import { deploymentLabel, deploymentPresentation } from "./treeModel";
import { formatShares, parseShares, splitPresets } from "./trafficModel";
import { classifyYaml, YamlKind } from "./yamlKind";

type PickItem<T> = vscode.QuickPickItem & { value: T };

const CLIPBOARD_TIMEOUT_MS = 10_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** The folder a command runs in: the workspace folder holding `file`, else the file's, else the first one. */
export function workingFolder(file?: string): string | undefined {
  if (file !== undefined) {
    return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? path.dirname(file);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function registerCommands(
  cli: LocalepCli,
  tree: EndpointsTreeProvider,
): vscode.Disposable[] {
  const commands = new Commands(cli, tree);
  const refresh = () => tree.refresh();
  const handlers: Record<string, (...args: any[]) => Promise<unknown>> = {
    "localep.refresh": refresh,
    "localep.showLogs": async () => showLogs(),
    "localep.up": (uri?: vscode.Uri) => commands.up(uri),
    "localep.debug": (uri?: vscode.Uri) => commands.debug(uri),
    "localep.down": (node?: EndpointNode) => commands.down(node),
    "localep.logs": (node?: EndpointNode) => commands.logs(node),
    "localep.invoke": (node?: EndpointNode, requestFile?: vscode.Uri) => commands.invoke(node, requestFile),
    "localep.replay": (node?: EndpointNode, sources?: vscode.Uri[]) => commands.replay(node, sources),
    "localep.smoke": (uri?: vscode.Uri, requests?: vscode.Uri[]) => commands.smoke(uri, requests),
    "localep.trafficSet": (node?: EndpointNode, shares?: string) => commands.trafficSet(node, shares),
    "localep.keys": (node?: EndpointNode, which?: string) => commands.keys(node, which),
    "localep.attach": (node?: EndpointNode) => commands.attach(node),
    "localep.batchRun": (uri?: vscode.Uri, input?: vscode.Uri, output?: vscode.Uri) => commands.batchRun(uri, input, output),
    "localep.writeLaunchConfig": (arg?: vscode.Uri | EndpointNode) => commands.writeLaunchConfig(arg),
  };
  return [
    commands,
    ...Object.entries(handlers).map(([id, handler]) =>
      vscode.commands.registerCommand(id, id === "localep.refresh" ? guarded(handler) : guarded(handler, refresh))),
  ];
}

class Commands implements vscode.Disposable {
  private readonly answers = new AnswerView();
  private readonly results = new ResultsPanel();

  constructor(private readonly cli: LocalepCli, private readonly tree: EndpointsTreeProvider) {}

  dispose(): void {
    this.answers.dispose();
    this.results.dispose();
  }

  async up(uri?: vscode.Uri): Promise<string[] | undefined> {
    const specFile = uri?.fsPath ?? (await askForFile("Run locally", { YAML: ["yml", "yaml"] }));
    if (specFile === undefined) {
      return undefined;
    }
    const files = await specFilesFor(specFile);
    const title = path.basename(specFile);
    await withProgress(`localep up ${title}`, (progress) => this.cli.up(files, false, progress));
    void vscode.window.showInformationMessage(`Started ${title} locally.`);
    return files;
  }

  async debug(uri?: vscode.Uri): Promise<boolean> {
    const specFile = uri?.fsPath ?? (await askForFile("Debug locally", { YAML: ["yml", "yaml"] }));
    if (specFile === undefined) {
      return false;
    }
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(specFile));
    return vscode.debug.startDebugging(folder, localepConfiguration(specFile, path.basename(specFile)));
  }

  async down(node?: EndpointNode): Promise<Target | undefined> {
    const target = await this.chooseTarget(node, "Stop which endpoint or deployment?");
    if (target === undefined) {
      return undefined;
    }
    await withProgress(`localep down ${targetName(target)}`, (progress) => this.cli.down(target, progress));
    return target;
  }

  async logs(node?: EndpointNode): Promise<void> {
    const target = await this.chooseTarget(node, "Follow the logs of?");
    if (target !== undefined) {
      await this.runInTerminal(logsArgs(target), workingFolder());
    }
  }

  async invoke(node?: EndpointNode, requestFileUri?: vscode.Uri): Promise<InvokeAnswer | undefined> {
    const target = await this.chooseTarget(node, "Invoke which endpoint or deployment?");
    if (target === undefined) {
      return undefined;
    }
    const requestFile = requestFileUri?.fsPath ?? (await askForRequestFile(this.specFolder(target)));
    if (requestFile === undefined) {
      return undefined;
    }
    const answer = await this.cli.invoke(target, requestFile);
    await this.answers.show(targetName(target), answer);
    return answer;
  }

  async replay(node?: EndpointNode, sourceUris?: vscode.Uri[]): Promise<ReplayReport | undefined> {
    const target = await this.chooseTarget(node, "Replay requests against?");
    if (target === undefined) {
      return undefined;
    }
    const sources = sourceUris?.map((uri) => uri.fsPath) ?? (await askForRequests("Replay", this.specFolder(target)));
    if (sources === undefined) {
      return undefined;
    }
    const report = await withProgress(`localep replay against ${targetName(target)}`, (progress) =>
      this.cli.replay(target, sources, progress));
    this.showReport(`Replay against ${targetName(target)}`, report);
    return report;
  }

  async smoke(uri?: vscode.Uri, requestUris?: vscode.Uri[]): Promise<ReplayReport | undefined> {
    const specFile = uri?.fsPath ?? (await askForFile("Smoke test", { YAML: ["yml", "yaml"] }));
    if (specFile === undefined) {
      return undefined;
    }
    const files = await specFilesFor(specFile);
    const requests = requestUris?.map((request) => request.fsPath) ?? (await askForRequests("Smoke test", path.dirname(specFile)));
    if (requests === undefined) {
      return undefined;
    }
    const report = await withProgress(`localep smoke ${path.basename(specFile)}`, (progress) =>
      this.cli.smoke(files, requests, progress));
    this.showReport(`Smoke test of ${path.basename(specFile)}`, report);
    return report;
  }

  private showReport(title: string, report: ReplayReport): void {
    this.results.show(title, report);
    const summary = `${title}: ${reportSummary(report)}`;
    if (report.failed > 0) {
      void vscode.window.showWarningMessage(summary);
    } else {
      void vscode.window.showInformationMessage(summary);
    }
  }

  async trafficSet(node?: EndpointNode, sharesText?: string): Promise<Record<string, number> | undefined> {
    const endpoint = await this.chooseEndpoint(node, "Set the traffic split of?");
    if (endpoint === undefined) {
      return undefined;
    }
    const current = currentSplit(endpoint);
    const shares = sharesText !== undefined ? parseShares(sharesText) : await askForSplit(endpoint, current);
    if (shares === undefined) {
      return undefined;
    }
    const split = await this.cli.trafficSet(endpoint.name, shares);
    void vscode.window.showInformationMessage(`${endpoint.name}: traffic ${formatShares(split.traffic)}`);
    return split.traffic;
  }

  async keys(node?: EndpointNode, which?: string): Promise<string | undefined> {
    const endpoint = await this.chooseEndpoint(node, "Copy a key of?");
    if (endpoint === undefined) {
      return undefined;
    }
    const credentials = await this.cli.keys(endpoint.name);
    const choices: PickItem<string>[] = [
      { label: "Primary key", value: credentials.primary },
      { label: "Secondary key", value: credentials.secondary },
      ...(credentials.token ? [{ label: "Token", description: "aml_token", value: credentials.token }] : []),
    ];
    const picked = which === undefined
      ? await vscode.window.showQuickPick(choices, { placeHolder: `Copy which credential of ${endpoint.name}?` })
      : choices.find((choice) => choice.label.toLowerCase().startsWith(which.toLowerCase()));
    if (picked === undefined) {
      return undefined;
    }
    await withTimeout(Promise.resolve(vscode.env.clipboard.writeText(picked.value)), CLIPBOARD_TIMEOUT_MS,
      "the clipboard did not take the key (a browser may refuse without focus); try again");
    void vscode.window.showInformationMessage(`Copied the ${picked.label.toLowerCase()} of ${endpoint.name} to the clipboard.`);
    return picked.label;
  }

  async attach(node?: EndpointNode): Promise<boolean> {
    const deployment = node?.kind === "deployment" ? node.deployment : await this.chooseDeployment("Attach to?");
    if (deployment === undefined) {
      return false;
    }
    if (deployment.specFile === null) {
      throw new Error(`${deployment.endpoint}/${deployment.deployment} does not say which YAML it was started from`);
    }
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(deployment.specFile));
    return vscode.debug.startDebugging(folder, {
      ...localepConfiguration(deployment.specFile, `${deployment.endpoint}/${deployment.deployment}`),
      name: `localep: attach ${deployment.endpoint}/${deployment.deployment}`,
    });
  }

  async batchRun(uri?: vscode.Uri, inputUri?: vscode.Uri, outputUri?: vscode.Uri): Promise<string[] | undefined> {
    const specFile = uri?.fsPath ?? (await askForFile("Run batch locally", { YAML: ["yml", "yaml"] }));
    if (specFile === undefined) {
      return undefined;
    }
    const input = inputUri?.fsPath ?? (await askForInput(path.dirname(specFile)));
    if (input === undefined) {
      return undefined;
    }
    const suggested = path.join(path.dirname(specFile), "batch-output", path.basename(specFile).replace(/\.ya?ml$/, ""));
    const output = outputUri?.fsPath ?? (await vscode.window.showInputBox({
      prompt: "Folder for the batch job's output (created if missing)",
      value: suggested,
      ignoreFocusOut: true,
    }));
    if (output === undefined || output.trim() === "") {
      return undefined;
    }
    const args = this.cli.batchRunCommand(specFile, input, output.trim());
    await this.runInTerminal(args, workingFolder(specFile));
    return args;
  }

  async writeLaunchConfig(arg?: vscode.Uri | EndpointNode): Promise<string | undefined> {
    const specFile = await this.specFileOf(arg);
    if (specFile === undefined) {
      return undefined;
    }
    const workspace = workingFolder(specFile) ?? path.dirname(specFile);
    const written = await this.cli.writeLaunchConfig(specFile, workspace);
    const last = written[written.length - 1];
    void vscode.window.showInformationMessage(`"${last.configuration}" is in ${last.launchJson}.`);
    return last.launchJson;
  }

  private specFolder(target: Target): string | undefined {
    const row = this.tree.deployments.find((d) => d.endpoint === target.endpoint && d.specFile !== null &&
      (target.deployment === null || d.deployment === target.deployment));
    return row?.specFile ? path.dirname(row.specFile) : undefined;
  }

  private async specFileOf(arg?: vscode.Uri | EndpointNode): Promise<string | undefined> {
    if (arg instanceof vscode.Uri) {
      return arg.fsPath;
    }
    const deployment = arg?.kind === "deployment" ? arg.deployment : await this.chooseDeployment("Write the attach configuration of?");
    if (deployment === undefined) {
      return undefined;
    }
    if (deployment.specFile === null) {
      throw new Error(`${deployment.endpoint}/${deployment.deployment} does not say which YAML it was started from`);
    }
    return deployment.specFile;
  }

  /** Long-running commands whose output is the point (logs -f, batch runs), after the CLI check. */
  private async runInTerminal(args: string[], cwd: string | undefined): Promise<void> {
    await this.cli.version();
    const terminal = vscode.window.createTerminal({
      name: commandTitle(args),
      shellPath: this.cli.path(),
      shellArgs: args,
      cwd,
    });
    terminal.show();
  }

  /** The endpoints after a fresh `ps`; a failing `ps` is the error to show, not "nothing is running". */
  private async runningEndpoints(): Promise<LocalEndpoint[]> {
    await this.tree.refresh();
    if (this.tree.error !== null) {
      throw new Error(this.tree.error);
    }
    if (this.tree.endpointList.length === 0) {
      void vscode.window.showInformationMessage(
        `No local endpoints are running. Start one with "${TITLES.up}" on a deployment YAML.`);
    }
    return this.tree.endpointList;
  }

  /** The tree item the command was run on, or the user's pick of an endpoint or deployment. */
  private async chooseTarget(node: EndpointNode | undefined, placeHolder: string): Promise<Target | undefined> {
    if (node?.kind === "endpoint") {
      return { endpoint: node.endpoint.name, deployment: null };
    }
    if (node?.kind === "deployment") {
      return { endpoint: node.deployment.endpoint, deployment: node.deployment.deployment };
    }
    const items: PickItem<Target>[] = [];
    for (const endpoint of await this.runningEndpoints()) {
      items.push({ label: endpoint.name, description: "whole endpoint", value: { endpoint: endpoint.name, deployment: null } });
      for (const deployment of endpoint.deployments.filter((d) => !d.instance)) {
        items.push({ ...deploymentPick(deployment), value: { endpoint: endpoint.name, deployment: deployment.deployment } });
      }
    }
    return pick(items, placeHolder);
  }

  private async chooseEndpoint(node: EndpointNode | undefined, placeHolder: string): Promise<LocalEndpoint | undefined> {
    const name = node?.kind === "endpoint" ? node.endpoint.name : node?.kind === "deployment" ? node.deployment.endpoint : undefined;
    const endpoints = await this.runningEndpoints();
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

  private async chooseDeployment(placeHolder: string): Promise<LocalDeployment | undefined> {
    const endpoints = await this.runningEndpoints();
    const items = endpoints.flatMap((endpoint) => endpoint.deployments).map((deployment) => ({ ...deploymentPick(deployment), value: deployment }));
    return pick(items, placeHolder);
  }
}

function targetName(target: Target): string {
  return target.deployment === null ? target.endpoint : `${target.endpoint}/${target.deployment}`;
}

function currentSplit(endpoint: LocalEndpoint): Record<string, number> {
  const split: Record<string, number> = {};
  for (const deployment of endpoint.deployments) {
    split[deployment.deployment] = deployment.traffic ?? 0;
  }
  return split;
}

async function askForSplit(endpoint: LocalEndpoint, current: Record<string, number>): Promise<Record<string, number> | undefined> {
  const custom = "Custom split...";
  const presets = splitPresets(Object.keys(current)).map((shares) => {
    const text = formatShares(shares);
    const isCurrent = text === formatShares(current);
    return { label: text, description: isCurrent ? "current" : undefined, value: shares as Record<string, number> | null };
  });
  const picked = await vscode.window.showQuickPick<PickItem<Record<string, number> | null>>(
    [...presets, { label: custom, description: "type the percentages", value: null }],
    { placeHolder: `${endpoint.name} now sends ${formatShares(current)}. Pick the new split.` },
  );
  if (picked === undefined) {
    return undefined;
  }
  if (picked.value !== null) {
    return picked.value;
  }
  const typed = await vscode.window.showInputBox({
    prompt: `Traffic of ${endpoint.name} as DEPLOYMENT=PERCENT pairs (they must add up to 100)`,
    value: Object.entries(current).map(([name, share]) => `${name}=${share}`).join(" "),
    validateInput: (text) => {
      try {
        parseShares(text);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  return typed === undefined ? undefined : parseShares(typed);
}

function deploymentPick(deployment: LocalDeployment): vscode.QuickPickItem {
  return {
    label: `${deployment.endpoint}/${deploymentLabel(deployment)}`,
    description: deploymentPresentation(deployment).description,
  };
}

async function pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined> {
  if (items.length === 0) {
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.value;
}

async function kindOf(file: string): Promise<YamlKind | undefined> {
  const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString("utf8");
  return classifyYaml(text, file)?.kind;
}

/** A deployment stands for itself; an endpoint file for itself and the online deployments beside it
 * (not the folder: batch deployments there are not `up`'s to run). */
async function specFilesFor(file: string): Promise<string[]> {
  if ((await kindOf(file)) !== "online-endpoint") {
    return [file];
  }
  const folder = vscode.Uri.file(path.dirname(file));
  const names = (await vscode.workspace.fs.readDirectory(folder))
    .filter(([name, type]) => type === vscode.FileType.File && /\.ya?ml$/.test(name))
    .map(([name]) => path.join(folder.fsPath, name))
    .sort();
  const deployments: string[] = [];
  for (const candidate of names) {
    if ((await kindOf(candidate)) === "online-deployment") {
      deployments.push(candidate);
    }
  }
  return [file, ...deployments];
}

async function askForFile(openLabel: string, filters: Record<string, string[]>, folder?: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel,
    filters,
    defaultUri: folder ? vscode.Uri.file(folder) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** A quick pick of the JSON files beside the deployment (sample requests usually are), with "Browse..." last. */
async function askForRequestFile(folder: string | undefined): Promise<string | undefined> {
  const base = folder ? vscode.Uri.file(folder) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const found = base === undefined ? []
    : await vscode.workspace.findFiles(new vscode.RelativePattern(base, "**/*.json"), "**/{node_modules,.vscode}/**", 50);
  const browse = "Browse...";
  const items: PickItem<string | null>[] = [
    ...found.map((uri) => ({ label: path.relative(base!.fsPath, uri.fsPath), value: uri.fsPath as string | null })),
    { label: browse, description: "choose a file anywhere", value: null },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: "Send which request file?" });
  if (picked === undefined) {
    return undefined;
  }
  return picked.value ?? (await askForFile("Send request", { JSON: ["json"] }, folder));
}

/** Recordings (*.jsonl), request files or folders of request bodies. */
async function askForRequests(openLabel: string, folder?: string): Promise<string[] | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: true,
    openLabel,
    title: `${openLabel}: recordings (*.jsonl), request files (*.json) or folders of request bodies`,
    defaultUri: folder ? vscode.Uri.file(folder) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked === undefined || picked.length === 0 ? undefined : picked.map((uri) => uri.fsPath);
}

async function askForInput(folder: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    canSelectFiles: true,
    canSelectFolders: true,
    openLabel: "Use as batch input",
    title: "Batch input: a file or a folder of files",
    defaultUri: vscode.Uri.file(folder),
  });
  return picked?.[0]?.fsPath;
}
