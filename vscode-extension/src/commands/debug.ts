/**
 * localep.debug, localep.attach and localep.writeLaunchConfig: start a `localep` debug session for a deployment
 * YAML or a running deployment (debugProvider.ts does the rest), or write its launch.json entry.
 */

import * as path from "path";
import * as vscode from "vscode";
import { localepConfiguration } from "../attachConfig";
import { EndpointNode } from "../endpointsTree";
import { chooseDeployment, specFileOf } from "./choose";
import { CommandContext, workingFolder } from "./context";
import { askForFile, YAML_FILTER } from "./dialogs";

export async function debug(_context: CommandContext, uri?: vscode.Uri): Promise<boolean> {
  const specFile = uri?.fsPath ?? (await askForFile("Debug locally", YAML_FILTER));
  if (specFile === undefined) {
    return false;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(specFile));
  return vscode.debug.startDebugging(folder, localepConfiguration(specFile, path.basename(specFile)));
}

export async function attach(context: CommandContext, node?: EndpointNode): Promise<boolean> {
  const deployment = await chooseDeployment(context, node, "Attach to?");
  if (deployment === undefined) {
    return false;
  }
  const specFile = specFileOf(deployment);
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(specFile));
  return vscode.debug.startDebugging(folder, {
    ...localepConfiguration(specFile, `${deployment.endpoint}/${deployment.deployment}`),
    name: `localep: attach ${deployment.endpoint}/${deployment.deployment}`,
  });
}

export async function writeLaunchConfig(context: CommandContext, arg?: vscode.Uri | EndpointNode): Promise<string | undefined> {
  const specFile = arg instanceof vscode.Uri ? arg.fsPath
    : await chooseDeployment(context, arg, "Write the attach configuration of?").then((d) => d && specFileOf(d));
  if (specFile === undefined) {
    return undefined;
  }
  const workspace = workingFolder(specFile) ?? path.dirname(specFile);
  const written = await context.cli.writeLaunchConfig(specFile, workspace);
  const last = written[written.length - 1];
  void vscode.window.showInformationMessage(`"${last.configuration}" is in ${last.launchJson}.`);
  return last.launchJson;
}
