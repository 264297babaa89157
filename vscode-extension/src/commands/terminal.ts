/** localep.logs and localep.batchRun: long runs whose output is the point, in a terminal. */

import * as path from "path";
import * as vscode from "vscode";
import { commandTitle, logsArgs } from "../cliArgs";
import { EndpointNode } from "../endpointsTree";
import { chooseTarget } from "./choose";
import { CommandContext, workingFolder } from "./context";
import { askForFile, askForInput, YAML_FILTER } from "./dialogs";

export async function logs(context: CommandContext, node?: EndpointNode): Promise<void> {
  const target = await chooseTarget(context, node, "Follow the logs of?");
  if (target !== undefined) {
    await runInTerminal(context, logsArgs(target), workingFolder());
  }
}

export async function batchRun(context: CommandContext, uri?: vscode.Uri, inputUri?: vscode.Uri,
  outputUri?: vscode.Uri): Promise<string[] | undefined> {
  const specFile = uri?.fsPath ?? (await askForFile("Run batch locally", YAML_FILTER));
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
  const args = context.cli.batchRunCommand(specFile, input, output.trim());
  await runInTerminal(context, args, workingFolder(specFile));
  return args;
}

/** Runs after the CLI check, so a missing CLI is a notification rather than a terminal that dies at once. */
async function runInTerminal(context: CommandContext, args: string[], cwd: string | undefined): Promise<void> {
  await context.cli.version();
  const terminal = vscode.window.createTerminal({
    name: commandTitle(args),
    shellPath: context.cli.path(),
    shellArgs: args,
    cwd,
  });
  terminal.show();
}
