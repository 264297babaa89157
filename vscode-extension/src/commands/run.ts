/** localep.up and localep.down: start a deployment YAML (or an endpoint and the deployments beside it), stop a target. */

import * as path from "path";
import * as vscode from "vscode";
import { Target } from "../cliArgs";
import { EndpointNode } from "../endpointsTree";
import { withProgress } from "../progress";
import { chooseTarget } from "./choose";
import { CommandContext, targetName } from "./context";
import { askForFile, YAML_FILTER } from "./dialogs";

export async function up(context: CommandContext, uri?: vscode.Uri): Promise<string[] | undefined> {
  const specFile = uri?.fsPath ?? (await askForFile("Run locally", YAML_FILTER));
  if (specFile === undefined) {
    return undefined;
  }
  const files = await specFilesFor(context, specFile);
  const title = path.basename(specFile);
  await withProgress(`localep up ${title}`, (progress) => context.cli.up(files, progress));
  void vscode.window.showInformationMessage(`Started ${title} locally.`);
  return files;
}

export async function down(context: CommandContext, node?: EndpointNode): Promise<Target | undefined> {
  const target = await chooseTarget(context, node, "Stop which endpoint or deployment?");
  if (target === undefined) {
    return undefined;
  }
  await withProgress(`localep down ${targetName(target)}`, (progress) => context.cli.down(target, progress));
  return target;
}

/** A deployment stands for itself; an endpoint file for itself and the online deployments beside it
 * (not the folder: batch deployments there are not `up`'s to run). */
export async function specFilesFor(context: CommandContext, file: string): Promise<string[]> {
  if ((await context.classifier.kindOf(file)) !== "online-endpoint") {
    return [file];
  }
  const folder = vscode.Uri.file(path.dirname(file));
  const names = (await vscode.workspace.fs.readDirectory(folder))
    .filter(([name, type]) => type === vscode.FileType.File && /\.ya?ml$/.test(name))
    .map(([name]) => path.join(folder.fsPath, name))
    .sort();
  const kinds = await context.classifier.classify(names);
  return [file, ...names.filter((name) => kinds.get(name)?.kind === "online-deployment")];
}
