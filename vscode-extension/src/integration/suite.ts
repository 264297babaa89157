/**
 * Integration tests in a real VS Code extension host (code-server), against the real localep CLI and
 * Docker. tests/e2e/test_vscode_extension.py opens code-server with this module as extensionTestsPath;
 * VS Code calls run(), and the results go to the JSON file named by LOCALEP_VSCODE_RESULTS (the host
 * exits when run() returns, so a file is the only way out). Nothing here stands in for VS Code or localep.
 */

import { execFile } from "child_process";
import { writeFileSync } from "fs";
import * as net from "net";
import * as path from "path";
import * as vscode from "vscode";
import type { LocalepApi } from "../extension";
import type { EndpointNode } from "../endpointsTree";
import type { InvokeAnswer } from "../localepCli";
import type { ReplayReport } from "../replayReport";
import { ANSWER_SCHEME } from "../answerView";

interface Outcome {
  name: string;
  passed: boolean;
  error: string | null;
  seconds: number;
}

const resultsFile = process.env.LOCALEP_VSCODE_RESULTS ?? "";
const endpointName = process.env.LOCALEP_VSCODE_ENDPOINT ?? "";

class AssertionFailed extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new AssertionFailed(message);
  }
}

function equal<T>(actual: T, expected: T, what: string): void {
  check(JSON.stringify(actual) === JSON.stringify(expected),
    `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && (value as unknown) !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new AssertionFailed(`timed out after ${seconds} s waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  check(folder !== undefined, "code-server opened no workspace folder");
  return folder;
}

function file(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceFolder().uri.fsPath, name));
}

async function lensTitles(name: string): Promise<string[]> {
  const uri = file(name);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri);
  return (lenses ?? []).map((lens) => lens.command?.title ?? "").sort();
}

function endpointNode(api: LocalepApi): EndpointNode | undefined {
  return api.tree.getChildren().find((node) => node.kind === "endpoint" && node.endpoint.name === endpointName);
}

function deploymentRow(api: LocalepApi, endpoint: EndpointNode): vscode.TreeItem {
  const [deployment] = api.tree.getChildren(endpoint);
  check(deployment?.kind === "deployment", "the endpoint row has no deployment row under it");
  return api.tree.getTreeItem(deployment);
}

/** The CLI's own `localep invoke --json`, run beside the extension, to compare the tab with. */
function cliInvoke(api: LocalepApi): Promise<{ body_text: string; status: number }> {
  return new Promise((resolve, reject) => {
    execFile(api.cli.path(), ["invoke", endpointName, "--request-file", file("sample-request.json").fsPath, "--json"],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))));
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

function webviewTab(label: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs)
    .find((tab) => tab.label === label && tab.input instanceof vscode.TabInputWebview);
}

function lastErrors(api: LocalepApi): string {
  return api.recentErrors.length ? ` (notifications: ${api.recentErrors.slice(-3).join(" | ")})` : "";
}

async function command<T>(api: LocalepApi, id: string, ...args: unknown[]): Promise<T> {
  const before = api.recentErrors.length;
  const result = await vscode.commands.executeCommand<T>(id, ...args);
  check(api.recentErrors.length === before, `${id} reported an error: ${api.recentErrors.slice(before).join(" | ")}`);
  check(result !== undefined, `${id} returned nothing${lastErrors(api)}`);
  return result;
}

export async function run(): Promise<void> {
  const outcomes: Outcome[] = [];
  let api: LocalepApi | undefined;
  const step = async (name: string, body: () => Promise<void>) => {
    const started = Date.now();
    try {
      await body();
      outcomes.push({ name, passed: true, error: null, seconds: (Date.now() - started) / 1000 });
    } catch (error) {
      const message = error instanceof AssertionFailed ? error.message : String((error as Error)?.stack ?? error);
      outcomes.push({ name, passed: false, error: message, seconds: (Date.now() - started) / 1000 });
    }
    writeFileSync(resultsFile, JSON.stringify({ done: false, outcomes }, null, 2));
  };

  try {
    await step("activates by itself on a workspace holding Azure ML deployment YAML", async () => {
      const extension = vscode.extensions.getExtension<LocalepApi>("localep.localep");
      check(extension !== undefined, "the extension under development is not loaded");
      // Nothing here activates it: workspaceContains must have done so at startup.
      await waitFor("activation", () => extension.isActive, 60);
      api = extension.exports;
      check(/^\d+\.\d+/.test(await api.cli.version()), "localep --version gave no version");
    });
    if (api === undefined) {
      return;
    }
    const localep = api;

    await step("CodeLens: run, debug and smoke on a deployment YAML, batch on a batch deployment", async () => {
      equal(await lensTitles("blue-deployment.yml"), ["Debug locally", "Run locally", "Smoke test"], "deployment lenses");
      equal(await lensTitles("batch-deployment.yml"), ["Run batch locally"], "batch deployment lenses");
      equal(await lensTitles("endpoint.yml"), ["Run locally", "Smoke test"], "endpoint lenses");
      equal(await lensTitles("environment/conda.yaml"), [], "lenses on a conda file");
    });

    await step("the Explorer's localep items are for Azure ML YAML only", async () => {
      await localep.deploymentFiles.scan();
      equal(localep.deploymentFiles.filesOf(["online-deployment", "online-endpoint"]),
        [file("blue-deployment.yml").fsPath, file("endpoint.yml").fsPath], "files with Run Locally in the Explorer");
      equal(localep.deploymentFiles.filesOf(["batch-deployment"]), [file("batch-deployment.yml").fsPath],
        "files with Run Batch Locally in the Explorer");
    });

    await step("the localep debug type's snippet and initial configurations are offered", async () => {
      const configurations = await localep.debugProvider.provideDebugConfigurations(workspaceFolder());
      equal(configurations.map((c) => c.deployment), ["${workspaceFolder}/blue-deployment.yml"], "initial configurations");
    });

    await step("Run Locally on endpoint.yml starts it (not the batch deployment beside it); the tree lists it", async () => {
      const started = await command<string[]>(localep, "localep.up", file("endpoint.yml"));
      equal(started, [file("endpoint.yml").fsPath, file("blue-deployment.yml").fsPath], "files given to localep up");
      const node = await waitFor("the endpoint in the tree", () => endpointNode(localep), 10);
      const row = deploymentRow(localep, node);
      equal(row.label, "blue", "deployment row label");
      check(/healthy · 100%/.test(String(row.description)), `deployment row says "${row.description}"`);
      check(String(row.tooltip).includes(`Spec: ${file("blue-deployment.yml").fsPath}`), `tooltip: ${row.tooltip}`);
    });

    await step("Invoke shows the answer body unchanged in a tab, status and headers beside it", async () => {
      const node = endpointNode(localep)!;
      const answer = await command<InvokeAnswer>(localep, "localep.invoke", node, file("sample-request.json"));
      const expected = await cliInvoke(localep);
      equal(answer.status, 200, "status");
      const shown = vscode.window.visibleTextEditors.map((editor) => editor.document)
        .filter((document) => document.uri.scheme === ANSWER_SCHEME);
      const body = shown.find((document) => document.uri.path.endsWith(".json"));
      const details = shown.find((document) => document.uri.path.endsWith(".status.http"));
      check(body !== undefined && details !== undefined, `answer tabs shown: ${shown.map((d) => d.uri.path)}`);
      equal(body.getText(), expected.body_text, "the body tab (against the CLI's raw answer)");
      check(details.getText().includes("HTTP 200 OK"), `details tab: ${details.getText()}`);
      check(/content-type: application\/json/i.test(details.getText()), "details tab lacks the headers");
    });

    await step("Replay shows pass/fail per request", async () => {
      const report = await command<ReplayReport>(localep, "localep.replay", endpointNode(localep)!, [file("sample-request.json")]);
      equal([report.total, report.failed, report.cases[0].status], [1, 0, 200], "replay report");
      await waitFor("the results panel", () => webviewTab(`Replay against ${endpointName}`), 10);
    });

    // Reading the clipboard back would wait on a permission prompt headless Chromium never answers, so this
    // checks that the write went through (a refused or hanging write is an error notification, failing the step).
    await step("Copy Key writes the endpoint's primary key to the clipboard", async () => {
      const copied = await command<string>(localep, "localep.keys", endpointNode(localep)!, "primary");
      equal(copied, "Primary key", "copied credential");
    });

    await step("Run Batch Locally runs `localep batch run` with the chosen input in a terminal", async () => {
      const args = await command<string[]>(localep, "localep.batchRun", file("batch-deployment.yml"),
        file("sample-request.json"), file("batch-output"));
      equal(args, ["batch", "run", file("batch-deployment.yml").fsPath, "--input", file("sample-request.json").fsPath,
        "--output", file("batch-output").fsPath], "batch command line");
      const terminal = await waitFor("the batch terminal", () =>
        vscode.window.terminals.find((t) => t.name.startsWith("localep batch run")), 10);
      terminal.dispose();
    });

    await step("Set Traffic Split changes the split and the tree shows it", async () => {
      const split = await command<Record<string, number>>(localep, "localep.trafficSet", endpointNode(localep)!, "blue=100");
      equal(split, { blue: 100 }, "split");
      check(/100%/.test(String(deploymentRow(localep, endpointNode(localep)!).description)), "tree lacks the share");
    });

    await step("Stop stops the endpoint, and the tree drops it", async () => {
      await command(localep, "localep.down", endpointNode(localep)!);
      check(endpointNode(localep) === undefined, "the endpoint is still in the tree after Stop");
    });

    await step("the debug provider starts the deployment with --debug and resolves the debugpy attach", async () => {
      const resolved = await localep.debugProvider.resolveDebugConfigurationWithSubstitutedVariables(workspaceFolder(), {
        type: "localep", request: "attach", name: "localep: debug blue", deployment: "blue-deployment.yml",
      });
      check(resolved !== undefined, `the provider resolved nothing${lastErrors(localep)}`);
      equal([resolved.type, resolved.request, resolved.name, resolved.subProcess], ["debugpy", "attach", "localep: debug blue", true],
        "attach configuration");
      equal(resolved.pathMappings, [{ localRoot: file("onlinescoring").fsPath, remoteRoot: "/var/azureml-app/onlinescoring" }],
        "pathMappings");
      const port = resolved.connect.port as number;
      check(await canConnect(port), `nothing listens on the debug port ${port}`);
      const row = deploymentRow(localep, await waitFor("the endpoint in the tree", () => endpointNode(localep), 10));
      check(String(row.description).startsWith(`debug :${port}`), `deployment row says "${row.description}"`);
      const again = await localep.debugProvider.resolveDebugConfigurationWithSubstitutedVariables(workspaceFolder(), {
        type: "localep", request: "attach", name: "again", deployment: file("blue-deployment.yml").fsPath,
      });
      equal(again?.connect, resolved.connect, "a second resolve reuses the running debug container");
    });

    await step("Smoke Test starts a private copy, replays, removes it, and shows pass/fail per request", async () => {
      const report = await command<ReplayReport>(localep, "localep.smoke", file("blue-deployment.yml"),
        [file("sample-request.json")]);
      equal([report.total, report.failed, report.cases[0].status], [1, 0, 200], "smoke report");
      await waitFor("the results panel", () => webviewTab("Smoke test of blue-deployment.yml"), 10);
    });

    await step("a wrong localep.path is reported as such, not as 'no endpoints running'", async () => {
      const settings = vscode.workspace.getConfiguration("localep");
      const good = settings.get<string>("path");
      await settings.update("path", "/nonexistent/localep", vscode.ConfigurationTarget.Workspace);
      try {
        const before = localep.recentErrors.length;
        await vscode.commands.executeCommand("localep.invoke");
        const shown = localep.recentErrors.slice(before).join(" | ");
        check(/could not be run as "\/nonexistent\/localep"/.test(shown), `notifications: ${shown}`);
      } finally {
        await settings.update("path", good, vscode.ConfigurationTarget.Workspace);
      }
    });

    await step("Stop from the tree stops the debug deployment too", async () => {
      await localep.tree.refresh();
      await command(localep, "localep.down", endpointNode(localep)!);
      check(endpointNode(localep) === undefined, "the endpoint is still in the tree after Stop");
    });
  } finally {
    writeFileSync(resultsFile, JSON.stringify({ done: true, outcomes }, null, 2));
  }
}
