/**
 * The localep.* commands: one handler per contribution in package.json, each a function of the command
 * modules beside this one. Every handler is wrapped by errors.ts's `guarded` (failures become notifications)
 * and refreshes the view afterwards. Arguments after the first let scripts and tests run a command without
 * any dialog.
 */

import * as vscode from "vscode";
import { AnswerView } from "../answerView";
import { EndpointNode, EndpointsTreeProvider } from "../endpointsTree";
import { guarded, showLogs } from "../errors";
import { LocalepCli } from "../localepCli";
import { ResultsPanel } from "../resultsPanel";
import { Classifier } from "../yamlKind";
import { CommandContext } from "./context";
import { attach, debug, writeLaunchConfig } from "./debug";
import { keys, trafficSet } from "./endpointSettings";
import { invoke, replay, smoke } from "./requests";
import { down, up } from "./run";
import { batchRun, logs } from "./terminal";

export { workingFolder } from "./context";

export function registerCommands(cli: LocalepCli, tree: EndpointsTreeProvider, classifier: Classifier): vscode.Disposable[] {
  const answers = new AnswerView();
  const results = new ResultsPanel();
  const context: CommandContext = { cli, tree, classifier, answers, results };
  const refresh = () => tree.refresh();
  const handlers: Record<string, (...args: any[]) => Promise<unknown>> = {
    "localep.refresh": refresh,
    "localep.showLogs": async () => showLogs(),
    "localep.up": (uri?: vscode.Uri) => up(context, uri),
    "localep.debug": (uri?: vscode.Uri) => debug(context, uri),
    "localep.down": (node?: EndpointNode) => down(context, node),
    "localep.logs": (node?: EndpointNode) => logs(context, node),
    "localep.invoke": (node?: EndpointNode, requestFile?: vscode.Uri) => invoke(context, node, requestFile),
    "localep.replay": (node?: EndpointNode, sources?: vscode.Uri[]) => replay(context, node, sources),
    "localep.smoke": (uri?: vscode.Uri, requests?: vscode.Uri[]) => smoke(context, uri, requests),
    "localep.trafficSet": (node?: EndpointNode, shares?: string) => trafficSet(context, node, shares),
    "localep.keys": (node?: EndpointNode, which?: string) => keys(context, node, which),
    "localep.attach": (node?: EndpointNode) => attach(context, node),
    "localep.batchRun": (uri?: vscode.Uri, input?: vscode.Uri, output?: vscode.Uri) => batchRun(context, uri, input, output),
    "localep.writeLaunchConfig": (arg?: vscode.Uri | EndpointNode) => writeLaunchConfig(context, arg),
  };
  return [
    answers,
    results,
    ...Object.entries(handlers).map(([id, handler]) =>
      vscode.commands.registerCommand(id, id === "localep.refresh" ? guarded(handler) : guarded(handler, refresh))),
  ];
}
