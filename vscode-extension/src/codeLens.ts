/**
 * CodeLens on Azure ML YAML: "Run locally", "Debug locally" and "Smoke test" above an online deployment
 * (and an endpoint file: its whole folder), "Run batch locally" above a batch deployment. The kind is the
 * CLI's (`localep classify`) for the file as saved; saving refreshes the lenses.
 */

import * as vscode from "vscode";
import { lensesFor } from "./lenses";
import { Classifier } from "./yamlKind";

export const YAML_FILES: vscode.DocumentSelector = [
  { scheme: "file", pattern: "**/*.yml" },
  { scheme: "file", pattern: "**/*.yaml" },
];

export class AzureMlCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly saved = vscode.workspace.onDidSaveTextDocument(() => this.changed.fire());

  constructor(private readonly classifier: Classifier) {}

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    let file;
    try {
      file = await this.classifier.describe(document.uri.fsPath);
    } catch {
      return []; // the CLI is missing or broken: activation already says so
    }
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

  dispose(): void {
    this.saved.dispose();
    this.changed.dispose();
  }
}
