/**
 * Keeps the `localep.deploymentFiles` and `localep.batchDeploymentFiles` context keys (paths of the
 * workspace's Azure ML YAML) current, so the Explorer's localep items appear on those files only. The kinds
 * are the CLI's (`localep classify`), asked once for the whole workspace and again per changed file.
 */

import * as vscode from "vscode";
import { Classifier, YamlKind } from "./yamlKind";

const MAX_FILES = 2000;
const ONLINE: YamlKind[] = ["online-deployment", "online-endpoint"];

export class DeploymentFilesContext implements vscode.Disposable {
  private readonly kinds = new Map<string, YamlKind>();
  private readonly watcher = vscode.workspace.createFileSystemWatcher("**/*.{yml,yaml}");
  private readonly subscriptions: vscode.Disposable[];
  private publishTimer: NodeJS.Timeout | undefined;

  constructor(private readonly classifier: Classifier) {
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
    await this.classify(files);
    this.publish();
  }

  private async update(uri: vscode.Uri): Promise<void> {
    await this.classify([uri]);
    this.schedulePublish();
  }

  private async classify(uris: vscode.Uri[]): Promise<void> {
    let kinds;
    try {
      kinds = await this.classifier.classify(uris.map((uri) => uri.fsPath));
    } catch {
      return; // the CLI is missing or broken: activation already says so, and the menus stay as they were
    }
    for (const [file, found] of kinds) {
      if (found === null) {
        this.kinds.delete(file);
      } else {
        this.kinds.set(file, found.kind);
      }
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
