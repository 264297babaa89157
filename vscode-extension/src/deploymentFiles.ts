/**
 * Keeps the `localep.deploymentFiles` and `localep.batchDeploymentFiles` context keys (paths of the
 * workspace's Azure ML YAML) current, so the Explorer's localep items appear on those files only.
 */

import * as vscode from "vscode";
import { classifyYaml, YamlKind } from "./yamlKind";

const MAX_FILES = 2000;
const ONLINE: YamlKind[] = ["online-deployment", "online-endpoint"];

export class DeploymentFilesContext implements vscode.Disposable {
  private readonly kinds = new Map<string, YamlKind>();
  private readonly watcher = vscode.workspace.createFileSystemWatcher("**/*.{yml,yaml}");
  private readonly subscriptions: vscode.Disposable[];
  private publishTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.subscriptions = [
      this.watcher,
      this.watcher.onDidCreate((uri) => this.update(uri)),
      this.watcher.onDidChange((uri) => this.update(uri)),
      this.watcher.onDidDelete((uri) => {
        this.kinds.delete(uri.fsPath);
        this.schedulePublish();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
    ];
  }

  async scan(): Promise<void> {
    this.kinds.clear();
    const files = await vscode.workspace.findFiles("**/*.{yml,yaml}", "**/{node_modules,.git,.venv}/**", MAX_FILES);
    await Promise.all(files.map((uri) => this.classify(uri)));
    this.publish();
  }

  private async update(uri: vscode.Uri): Promise<void> {
    await this.classify(uri);
    this.schedulePublish();
  }

  private async classify(uri: vscode.Uri): Promise<void> {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString("utf8");
      const file = classifyYaml(text, uri.fsPath);
      if (file === null) {
        this.kinds.delete(uri.fsPath);
      } else {
        this.kinds.set(uri.fsPath, file.kind);
      }
    } catch {
      this.kinds.delete(uri.fsPath); // gone or unreadable: no menu items for it
    }
  }

  private schedulePublish(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = setTimeout(() => this.publish(), 200);
  }

  /** The workspace's files of these kinds, sorted: what the context keys hold. */
  filesOf(kinds: YamlKind[]): string[] {
    return [...this.kinds].filter(([, kind]) => kinds.includes(kind)).map(([file]) => file).sort();
  }

  private publish(): void {
    const of = (kinds: YamlKind[]) => this.filesOf(kinds);
    void vscode.commands.executeCommand("setContext", "localep.deploymentFiles", of(ONLINE));
    void vscode.commands.executeCommand("setContext", "localep.onlineDeploymentFiles", of(["online-deployment"]));
    void vscode.commands.executeCommand("setContext", "localep.batchDeploymentFiles", of(["batch-deployment"]));
  }

  dispose(): void {
    clearTimeout(this.publishTimer);
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }
}
