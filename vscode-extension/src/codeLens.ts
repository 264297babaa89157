/**
 * CodeLens on Azure ML YAML: "Run locally", "Debug locally" and "Smoke test" above an online deployment
 * (and an endpoint file: its whole folder), "Run batch locally" above a batch deployment.
 */

import * as vscode from "vscode";
import { lensesFor } from "./lenses";
import { classifyYaml } from "./yamlKind";

export const YAML_FILES: vscode.DocumentSelector = [
  { scheme: "file", pattern: "**/*.yml" },
  { scheme: "file", pattern: "**/*.yaml" },
];

export class AzureMlCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const file = classifyYaml(document.getText(), document.fileName);
    if (file === null) {
      return [];
    }
    const range = new vscode.Range(file.line, 0, file.line, 0);
    return lensesFor(file.kind).map((lens) => new vscode.CodeLens(range, {
      title: lens.title,
      command: lens.command,
      tooltip: lens.tooltip,
      arguments: [document.uri],
    }));
  }
}
