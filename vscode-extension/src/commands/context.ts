/**
 * What every localep.* command works with: the CLI, the view's rows, the answer and results tabs, and the
 * file classifier. Commands are plain functions over this context, one module per contribution.
 */

import * as path from "path";
import * as vscode from "vscode";
import { AnswerView } from "../answerView";
import { Target } from "../cliArgs";
import { EndpointsTreeProvider } from "../endpointsTree";
import { LocalepCli } from "../localepCli";
import { ResultsPanel } from "../resultsPanel";
import { Classifier } from "../yamlKind";

export interface CommandContext {
  cli: LocalepCli;
  tree: EndpointsTreeProvider;
  classifier: Classifier;
  answers: AnswerView;
  results: ResultsPanel;
}

export type PickItem<T> = vscode.QuickPickItem & { value: T };

/** The folder a command runs in: the workspace folder holding `file`, else the file's, else the first one. */
export function workingFolder(file?: string): string | undefined {
  if (file !== undefined) {
    return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? path.dirname(file);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function targetName(target: Target): string {
  return target.deployment === null ? target.endpoint : `${target.endpoint}/${target.deployment}`;
}

export async function pick<T>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined> {
  if (items.length === 0) {
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.value;
}
