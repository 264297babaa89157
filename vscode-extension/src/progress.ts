/** A cancellable notification showing a long CLI run's latest progress line (what it prints on stderr). */

import * as vscode from "vscode";
import { Progress } from "./localepCli";

export function withProgress<T>(title: string, task: (progress: Progress) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (report, token) => {
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      return task({
        signal: abort.signal,
        onProgress: (line) => report.report({ message: line.length > 160 ? `${line.slice(0, 157)}...` : line }),
      }).finally(() => cancelled.dispose());
    },
  );
}
