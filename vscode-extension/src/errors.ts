/**
 * The one way the extension shows a problem to the user: a notification with the message and a
 * "Show Logs" action that opens the localep output channel (every CLI run's command line, progress and
 * exit code). Commands are wrapped with `guarded`, so no error escapes as VS Code's bare
 * "Error running command ..." and a cancelled run stays silent.
 */

import * as vscode from "vscode";
import { CancelledError } from "./localepCli";

export const SHOW_LOGS = "Show Logs";

let logChannel: vscode.OutputChannel | undefined;

/** The last messages shown, newest last: what the integration tests and bug reports look at. */
export const recentErrors: string[] = [];

export function useLogChannel(channel: vscode.OutputChannel): void {
  logChannel = channel;
}

export function showLogs(): void {
  logChannel?.show(true);
}

/** Shows the notification and returns once it is dismissed; callers that must not wait use `void`. */
export async function reportError(error: unknown, context?: string): Promise<void> {
  if (error instanceof CancelledError) {
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const text = context === undefined ? message : `${context}: ${message}`;
  logChannel?.appendLine(`error: ${text}`);
  recentErrors.push(text);
  recentErrors.splice(0, Math.max(0, recentErrors.length - 20));
  const answer = await vscode.window.showErrorMessage(text, SHOW_LOGS);
  if (answer === SHOW_LOGS) {
    showLogs();
  }
}

/** A result that needs attention but is no failure (a replay with mismatches), with the same "Show Logs". */
export async function reportWarning(text: string): Promise<void> {
  logChannel?.appendLine(`warning: ${text}`);
  const answer = await vscode.window.showWarningMessage(text, SHOW_LOGS);
  if (answer === SHOW_LOGS) {
    showLogs();
  }
}

/** A question with one way forward (restart under --debug); true when the user takes it. */
export async function offerAction(text: string, action: string): Promise<boolean> {
  logChannel?.appendLine(`question: ${text}`);
  const answer = await vscode.window.showWarningMessage(text, { modal: true }, action);
  return answer === action;
}

/** Wrap a command handler: errors become notifications, and `after` (the tree refresh) always runs. */
export function guarded<A extends unknown[], R>(
  handler: (...args: A) => Promise<R>,
  after?: () => Promise<void>,
): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (error) {
      void reportError(error);
      return undefined;
    } finally {
      await after?.().catch(() => undefined);
    }
  };
}
