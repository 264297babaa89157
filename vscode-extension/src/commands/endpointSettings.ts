/** localep.trafficSet and localep.keys: an endpoint's traffic split and its credentials. */

import * as vscode from "vscode";
import { EndpointNode } from "../endpointsTree";
import { formatShares, parseShares } from "../trafficModel";
import { chooseEndpoint, currentSplit } from "./choose";
import { CommandContext, PickItem } from "./context";
import { askForSplit } from "./dialogs";

const CLIPBOARD_TIMEOUT_MS = 10_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export async function trafficSet(context: CommandContext, node?: EndpointNode,
  sharesText?: string): Promise<Record<string, number> | undefined> {
  const endpoint = await chooseEndpoint(context, node, "Set the traffic split of?");
  if (endpoint === undefined) {
    return undefined;
  }
  const current = currentSplit(endpoint);
  const shares = sharesText !== undefined ? parseShares(sharesText) : await askForSplit(endpoint, current);
  if (shares === undefined) {
    return undefined;
  }
  const split = await context.cli.trafficSet(endpoint.name, shares);
  void vscode.window.showInformationMessage(`${endpoint.name}: traffic ${formatShares(split.traffic)}`);
  return split.traffic;
}

export async function keys(context: CommandContext, node?: EndpointNode, which?: string): Promise<string | undefined> {
  const endpoint = await chooseEndpoint(context, node, "Copy a key of?");
  if (endpoint === undefined) {
    return undefined;
  }
  const credentials = await context.cli.keys(endpoint.name);
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
