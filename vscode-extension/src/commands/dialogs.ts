/** The dialogs commands open when they were not given their files or values (scripts and tests pass them). */

import * as path from "path";
import * as vscode from "vscode";
import { LocalEndpoint } from "../psModel";
import { formatShares, parseShares, splitPresets } from "../trafficModel";
import { PickItem } from "./context";

export const YAML_FILTER = { YAML: ["yml", "yaml"] };

export async function askForFile(openLabel: string, filters: Record<string, string[]>, folder?: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel,
    filters,
    defaultUri: folder ? vscode.Uri.file(folder) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** A quick pick of the JSON files beside the deployment (sample requests usually are), with "Browse..." last. */
export async function askForRequestFile(folder: string | undefined): Promise<string | undefined> {
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
export async function askForRequests(openLabel: string, folder?: string): Promise<string[] | undefined> {
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

export async function askForInput(folder: string): Promise<string | undefined> {
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

export async function askForSplit(endpoint: LocalEndpoint, current: Record<string, number>): Promise<Record<string, number> | undefined> {
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
