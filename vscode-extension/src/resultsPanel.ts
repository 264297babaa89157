/** The replay/smoke results panel: one webview reused across runs, one row per request with pass/fail. */

import * as vscode from "vscode";
import { ReplayReport, reportHtml } from "./replayReport";

export class ResultsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  show(title: string, report: ReplayReport): vscode.WebviewPanel {
    if (this.panel === undefined) {
      this.panel = vscode.window.createWebviewPanel("localepResults", title, vscode.ViewColumn.Active, {
        enableScripts: false,
      });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    }
    this.panel.title = title;
    this.panel.webview.html = reportHtml(title, report);
    this.panel.reveal(undefined, true);
    return this.panel;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
