/**
 * Integration tests in a real VS Code extension host (code-server), against the real localep CLI and
 * Docker. tests/e2e/test_vscode_extension.py opens code-server with this module as extensionTestsPath;
 * VS Code calls run(), and the results go to the JSON file named by LOCALEP_VSCODE_RESULTS (the host
 * exits when run() returns, so a file is the only way out). Nothing here stands in for VS Code or localep.
 */

import { execFile } from "child_process";
import { existsSync, mkdirSync, writeFileSync } from "fs";
import { readFile } from "fs/promises";
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

/** The test endpoint's row, re-reading `ps` until it is there: a `ps` that failed once (parallel tests removing
 * containers) empties the tree, and a command given no row would wait on a quick pick nobody answers. */
function runningNode(api: LocalepApi): Promise<EndpointNode> {
  return waitFor("the test endpoint in the tree", async () => endpointNode(api) ?? (await api.tree.refresh(), endpointNode(api)), 30);
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

const SCORE = "onlinescoring/score.py";
/** Where the test stops: a line of run() where the request body (`raw_data`) is a local. */
let breakLine = 0;

interface StopEvent {
  session: vscode.DebugSession;
  threadId: number;
}

/** What the debug sessions of the `localep` type said, seen through VS Code's own tracker API. */
class DebugWatch {
  readonly stops: StopEvent[] = [];
  private readonly configured: vscode.DebugSession[] = [];
  private readonly sessions: vscode.DebugSession[] = [];

  register(): vscode.Disposable[] {
    return [
      vscode.debug.onDidStartDebugSession((session) => this.sessions.push(session)),
      vscode.debug.registerDebugAdapterTrackerFactory("localep", {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; command?: string; success?: boolean; body?: any }) => {
            if (message.type === "event" && message.event === "stopped") {
              this.stops.push({ session, threadId: message.body.threadId });
            }
            if (message.type === "response" && message.command === "configurationDone" && message.success &&
              typeof session.configuration.subProcessId === "number") {
              this.configured.push(session);
            }
          },
        }),
      }),
    ];
  }

  /** The newest worker session whose breakpoints are set. */
  configuredWorker(): vscode.DebugSession | undefined {
    return this.configured[this.configured.length - 1];
  }

  parent(): vscode.DebugSession | undefined {
    return this.sessions.find((session) => session.type === "localep" && session.parentSession === undefined);
  }
}

const debug = new DebugWatch();

interface Frame {
  id: number;
  name: string;
  line: number;
  source?: { path?: string };
}

/** The top frame, its source as a host path (code-server hands remote paths over as vscode-remote URIs). */
async function topFrame(stop: StopEvent): Promise<Frame> {
  const trace = await stop.session.customRequest("stackTrace", { threadId: stop.threadId, startFrame: 0, levels: 1 });
  const frame: Frame = trace.stackFrames[0];
  const source = frame.source?.path;
  return source?.startsWith("vscode-remote:") ? { ...frame, source: { path: vscode.Uri.parse(source).path } } : frame;
}

/** The Locals scope of a frame, name to value as the Variables view shows them. */
async function localVariables(session: vscode.DebugSession, frameId: number): Promise<Map<string, string>> {
  const { scopes } = await session.customRequest("scopes", { frameId });
  const locals = scopes.find((scope: { name: string }) => scope.name === "Locals") ?? scopes[0];
  const { variables } = await session.customRequest("variables", { variablesReference: locals.variablesReference });
  return new Map(variables.map((variable: { name: string; value: string }) => [variable.name, variable.value]));
}

/** A Python str repr as the Variables view shows it ('...'), back to its text (enough for JSON bodies). */
function pythonString(repr: string): string {
  check(/^'.*'$/s.test(repr), `not a Python str: ${repr}`);
  return repr.slice(1, -1).replace(/\\n/g, "\n").replace(/\\'/g, "'").replace(/\\\\/g, "\\");
}

/** Asks the test driver (which drives the browser) for a screenshot into vscode-extension/media, and waits for it. */
async function screenshot(name: string): Promise<void> {
  pendingScreenshot = name;
  flush();
  await waitFor(`the screenshot ${name}`, () => takenScreenshots.includes(name) || undefined, 60);
  pendingScreenshot = null;
}

let pendingScreenshot: string | null = null;
let flush: () => void = () => undefined;
const takenScreenshots: string[] = [];
const acknowledgements = process.env.LOCALEP_VSCODE_SCREENSHOTS ?? "";

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
  flush = () => writeFileSync(resultsFile, JSON.stringify({ done: false, outcomes, screenshot: pendingScreenshot }, null, 2));
  const acknowledged = setInterval(() => {
    if (pendingScreenshot !== null && existsSync(path.join(acknowledgements, pendingScreenshot))) {
      takenScreenshots.push(pendingScreenshot);
    }
  }, 250);
  const watching = debug.register();
  const step = async (name: string, body: () => Promise<void>) => {
    const started = Date.now();
    try {
      await body();
      outcomes.push({ name, passed: true, error: null, seconds: (Date.now() - started) / 1000 });
    } catch (error) {
      const message = error instanceof AssertionFailed ? error.message : String((error as Error)?.stack ?? error);
      outcomes.push({ name, passed: false, error: message, seconds: (Date.now() - started) / 1000 });
    }
    flush();
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
    const scoreLines = (await readFile(file(SCORE).fsPath, "utf8")).split("\n");
    breakLine = scoreLines.findIndex((line) => line.trim().startsWith("rows = numpy.array(")) + 1;
    check(breakLine > 0, "score.py has no `rows = numpy.array(` line to stop at");

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

    await step("the localep debug type's snippet and initial configurations are offered; F5 with no launch.json " +
      "debugs the open deployment YAML", async () => {
      const configurations = await localep.debugProvider.provideDebugConfigurations(workspaceFolder());
      equal(configurations.map((c) => c.deployment), ["${workspaceFolder}/blue-deployment.yml"], "initial configurations");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file("blue-deployment.yml")));
      const f5 = await localep.debugProvider.resolveDebugConfiguration(workspaceFolder(), { type: "", request: "", name: "" });
      equal(f5, { type: "localep", request: "attach", name: "localep: debug blue-deployment.yml",
        deployment: file("blue-deployment.yml").fsPath }, "F5 with no launch.json on the open deployment YAML");
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
      const node = await runningNode(localep);
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
      const report = await command<ReplayReport>(localep, "localep.replay", await runningNode(localep), [file("sample-request.json")]);
      equal([report.total, report.failed, report.cases[0].status], [1, 0, 200], "replay report");
      await waitFor("the results panel", () => webviewTab(`Replay against ${endpointName}`), 10);
    });

    // Reading the clipboard back would wait on a permission prompt headless Chromium never answers, so this
    // checks that the write went through (a refused or hanging write is an error notification, failing the step).
    await step("Copy Key writes the endpoint's primary key to the clipboard", async () => {
      const copied = await command<string>(localep, "localep.keys", await runningNode(localep), "primary");
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
      const split = await command<Record<string, number>>(localep, "localep.trafficSet", await runningNode(localep), "blue=100");
      equal(split, { blue: 100 }, "split");
      check(/100%/.test(String(deploymentRow(localep, await runningNode(localep)).description)), "tree lacks the share");
    });

    await step("Stop stops the endpoint, and the tree drops it", async () => {
      await command(localep, "localep.down", await runningNode(localep));
      check(endpointNode(localep) === undefined, "the endpoint is still in the tree after Stop");
    });

    await step("F5 on the localep configuration starts blue under --debug and stops at a breakpoint in run(), " +
      "with no Python extension", async () => {
      check(vscode.extensions.all.every((e) => !e.id.startsWith("ms-python.")),
        `a Python extension is installed: ${vscode.extensions.all.map((e) => e.id).filter((id) => id.startsWith("ms-python."))}`);
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await vscode.commands.executeCommand("workbench.action.closePanel");
      vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(file(SCORE), new vscode.Position(breakLine - 1, 0)))]);
      const started = await vscode.debug.startDebugging(workspaceFolder(), "localep: debug blue");
      check(started, `startDebugging returned false${lastErrors(localep)}`);
      const worker = await waitFor("the worker's child session to finish its configuration", () => debug.configuredWorker(), 60);
      const row = deploymentRow(localep, await waitFor("the endpoint in the tree", async () => {
        await localep.tree.refresh();
        return endpointNode(localep);
      }, 10));
      check(String(row.description).startsWith("debug"), `deployment row says "${row.description}"`);
      const blue = localep.tree.deployments.find((d) => d.endpoint === endpointName && d.deployment === "blue");
      equal(debug.parent()?.configuration.transport,
        blue?.debugSocket ? { socket: blue.debugSocket } : { host: "127.0.0.1", port: blue?.debugPort },
        "the adapter transport (the owner-only debug socket whenever `ps` reports one)");

      const mark = debug.stops.length;
      const answer = cliInvoke(localep);
      const stop = await waitFor("a stop at the breakpoint", () => debug.stops[mark], 60);
      equal(stop.session.id, worker.id, "the session that stopped is the worker's");
      await waitFor("VS Code to focus the stopped worker's session", () =>
        vscode.debug.activeDebugSession?.id === stop.session.id || undefined, 15);
      const frame = await topFrame(stop);
      equal([frame.source?.path, frame.line, frame.name], [file(SCORE).fsPath, breakLine, "run"], "top stack frame");
      const locals = await localVariables(stop.session, frame.id);
      const body = JSON.parse(await readFile(file("sample-request.json").fsPath, "utf8"));
      equal(JSON.parse(pythonString(locals.get("raw_data") ?? "")), body, "the local raw_data (the request body)");

      await vscode.commands.executeCommand("workbench.view.debug");
      await vscode.commands.executeCommand("notifications.clearAll");
      await screenshot("breakpoint-stop.png");

      const stepped = debug.stops.length;
      await stop.session.customRequest("next", { threadId: stop.threadId });
      const afterStep = await topFrame(await waitFor("the stop after a step", () => debug.stops[stepped], 30));
      equal(afterStep.line, breakLine + 1, "line after stepping over");
      check((await localVariables(stop.session, afterStep.id)).has("rows"), "no local rows after the step");
      await stop.session.customRequest("continue", { threadId: stop.threadId });
      const answered = await answer;
      equal([answered.status, JSON.parse(answered.body_text)], [200, [58.0, 41.75]], "the request's answer after continue");
    });

    await step("after a saved edit of score.py, the reloaded worker is attached again and stops at the breakpoint", async () => {
      const before = debug.configuredWorker();
      const document = await vscode.workspace.openTextDocument(file(SCORE));
      const edit = new vscode.WorkspaceEdit();
      const text = document.getText();
      const at = text.indexOf("intercept).tolist()");
      check(at >= 0, "score.py has no `intercept).tolist()` to edit");
      edit.replace(file(SCORE), new vscode.Range(document.positionAt(at), document.positionAt(at + "intercept)".length)),
        "intercept + 100)");
      check(await vscode.workspace.applyEdit(edit), "the edit of score.py was not applied");
      // On a loaded machine a save can be refused once (the file watcher still settling); the user would retry.
      await waitFor("score.py to be saved", async () => (await document.save()) || !document.isDirty || undefined, 20);
      check((await readFile(file(SCORE).fsPath, "utf8")).includes("intercept + 100)"), "score.py on disk lacks the edit");
      const worker = await waitFor("a new worker session after the reload", () => {
        const latest = debug.configuredWorker();
        return latest !== undefined && latest.id !== before?.id ? latest : undefined;
      }, 90);
      const mark = debug.stops.length;
      const answer = cliInvoke(localep);
      const stop = await waitFor("a stop in the reloaded worker", () => debug.stops[mark], 60);
      equal(stop.session.id, worker.id, "the session that stopped is the new worker's");
      const frame = await topFrame(stop);
      equal([frame.source?.path, frame.line], [file(SCORE).fsPath, breakLine], "top stack frame after the reload");
      await stop.session.customRequest("continue", { threadId: stop.threadId });
      const answered = await answer;
      equal([answered.status, JSON.parse(answered.body_text)], [200, [158.0, 141.75]], "the reloaded code's answer");
    });

    await step("stopping the debug session removes the deployment F5 started", async () => {
      const parent = debug.parent();
      check(parent !== undefined, "no localep debug session is running");
      await vscode.debug.stopDebugging(parent);
      await waitFor("the endpoint to leave `localep ps`", async () => {
        await localep.tree.refresh();
        return endpointNode(localep) === undefined;
      }, 90);
    });

    await step("F5 on a deployment (two folders down) whose init() raises shows the CLI's error with the " +
      "exception line, and leaves nothing running", async () => {
      const folder = path.join(workspaceFolder().uri.fsPath, "nested", "deeper");
      mkdirSync(path.join(folder, "code"), { recursive: true });
      writeFileSync(path.join(folder, "code", "score.py"),
        "def init():\n    raise RuntimeError('the model file is missing')\n\n\ndef run(raw_data):\n    return raw_data\n");
      const blue = await readFile(file("blue-deployment.yml").fsPath, "utf8");
      writeFileSync(path.join(folder, "broken-deployment.yml"), blue.replace("name: blue", "name: broken")
        .replace("code: onlinescoring", "code: code").replace("path: model/regression", "path: ../../model/regression")
        .replace("conda_file: environment/conda.yaml", "conda_file: ../../environment/conda.yaml"));
      const before = localep.recentErrors.length;
      const resolved = await localep.debugProvider.resolveDebugConfigurationWithSubstitutedVariables(workspaceFolder(), {
        type: "localep", request: "attach", name: "localep: debug broken", deployment: "nested/deeper/broken-deployment.yml",
      });
      equal(resolved, undefined, "the configuration of a deployment that cannot start");
      const shown = localep.recentErrors.slice(before).join(" | ");
      check(/^Cannot debug localep: debug broken: .*failed to start.* — RuntimeError: the model file is missing$/.test(shown),
        `notifications: ${shown}`);
      await localep.tree.refresh();
      check(endpointNode(localep) === undefined, "the failed deployment was left running");
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
  } finally {
    clearInterval(acknowledged);
    watching.forEach((watch) => watch.dispose());
    writeFileSync(resultsFile, JSON.stringify({ done: true, outcomes }, null, 2));
  }
}
