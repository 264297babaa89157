/**
 * Shows an `invoke` answer as read-only editor tabs: the body exactly as the endpoint sent it, and beside
 * it the status line and headers. A content provider (not untitled documents) keeps them read-only and
 * closing them never asks to save.
 */

import * as vscode from "vscode";
import { InvokeAnswer } from "./localepCli";
import { answerDetails, answerFileExtension } from "./answerModel";

export const ANSWER_SCHEME = "localep-answer";

export class AnswerView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private count = 0;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(ANSWER_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "";
  }

  /** Opens both tabs; returns the body's document so callers (and tests) can read what is shown. */
  async show(title: string, answer: InvokeAnswer): Promise<vscode.TextDocument> {
    this.count += 1;
    const base = `/${title.replace(/[^\w.-]+/g, "-")}/answer-${this.count}`;
    const bodyUri = vscode.Uri.from({ scheme: ANSWER_SCHEME, path: `${base}${answerFileExtension(answer)}` });
    const detailsUri = vscode.Uri.from({ scheme: ANSWER_SCHEME, path: `${base}.status.http` });
    this.texts.set(bodyUri.toString(), answer.bodyText);
    this.texts.set(detailsUri.toString(), answerDetails(title, answer));
    const body = await vscode.workspace.openTextDocument(bodyUri);
    await vscode.window.showTextDocument(body, { viewColumn: vscode.ViewColumn.One, preview: false });
    const details = await vscode.workspace.openTextDocument(detailsUri);
    await vscode.window.showTextDocument(details, { viewColumn: vscode.ViewColumn.Two, preview: false, preserveFocus: true });
    return body;
  }

  dispose(): void {
    this.registration.dispose();
    this.texts.clear();
  }
}
