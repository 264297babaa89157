/** localep.invoke, localep.replay and localep.smoke: send requests and show the answer or the pass/fail report. */

import * as path from "path";
import * as vscode from "vscode";
import { EndpointNode } from "../endpointsTree";
import { reportWarning } from "../errors";
import { InvokeAnswer } from "../localepCli";
import { withProgress } from "../progress";
import { ReplayReport, reportSummary } from "../replayReport";
import { chooseTarget, specFolder } from "./choose";
import { CommandContext, targetName } from "./context";
import { askForFile, askForRequestFile, askForRequests, YAML_FILTER } from "./dialogs";
import { specFilesFor } from "./run";

export async function invoke(context: CommandContext, node?: EndpointNode,
  requestFileUri?: vscode.Uri): Promise<InvokeAnswer | undefined> {
  const target = await chooseTarget(context, node, "Invoke which endpoint or deployment?");
  if (target === undefined) {
    return undefined;
  }
  const requestFile = requestFileUri?.fsPath ?? (await askForRequestFile(specFolder(context, target)));
  if (requestFile === undefined) {
    return undefined;
  }
  const answer = await context.cli.invoke(target, requestFile);
  await context.answers.show(targetName(target), answer);
  return answer;
}

export async function replay(context: CommandContext, node?: EndpointNode,
  sourceUris?: vscode.Uri[]): Promise<ReplayReport | undefined> {
  const target = await chooseTarget(context, node, "Replay requests against?");
  if (target === undefined) {
    return undefined;
  }
  const sources = sourceUris?.map((uri) => uri.fsPath) ?? (await askForRequests("Replay", specFolder(context, target)));
  if (sources === undefined) {
    return undefined;
  }
  const report = await withProgress(`localep replay against ${targetName(target)}`, (progress) =>
    context.cli.replay(target, sources, progress));
  showReport(context, `Replay against ${targetName(target)}`, report);
  return report;
}

export async function smoke(context: CommandContext, uri?: vscode.Uri,
  requestUris?: vscode.Uri[]): Promise<ReplayReport | undefined> {
  const specFile = uri?.fsPath ?? (await askForFile("Smoke test", YAML_FILTER));
  if (specFile === undefined) {
    return undefined;
  }
  const files = await specFilesFor(context, specFile);
  const requests = requestUris?.map((request) => request.fsPath) ?? (await askForRequests("Smoke test", path.dirname(specFile)));
  if (requests === undefined) {
    return undefined;
  }
  const report = await withProgress(`localep smoke ${path.basename(specFile)}`, (progress) =>
    context.cli.smoke(files, requests, progress));
  showReport(context, `Smoke test of ${path.basename(specFile)}`, report);
  return report;
}

function showReport(context: CommandContext, title: string, report: ReplayReport): void {
  context.results.show(title, report);
  const summary = `${title}: ${reportSummary(report)}`;
  if (report.failed > 0) {
    void reportWarning(summary);
  } else {
    void vscode.window.showInformationMessage(summary);
  }
}
