/**
 * The `localep` debug type's configurations: `{"type": "localep", "request": "attach", "deployment": "blue.yml"}`
 * in launch.json, or F5 on a deployment YAML. When the deployment is not already running under debugpy, it is
 * started with a foreground `localep up --debug` that the debug session owns (saves hot-reload it; stopping the
 * session removes it). The resolved configuration carries the attach arguments and the adapter's transport;
 * debugAdapter.ts connects VS Code to it, so no other extension is involved.
 */

import { createServer } from "net";
import * as path from "path";
import * as vscode from "vscode";
import {
  buildAttachConfiguration,
  debuggableRow,
  DEBUG_TYPE,
  isChildConfiguration,
  localepConfiguration,
  LocalepAttachConfiguration,
  runsWithoutDebug,
} from "./attachConfig";
import { offerAction, reportError } from "./errors";
import { startFailure } from "./debugStart";
import { ForegroundUp, LocalepCli } from "./localepCli";
import { withProgress } from "./progress";
import { Classifier, isOnlineDeployment } from "./yamlKind";

export { DEBUG_TYPE } from "./attachConfig";

const RESTART = "Restart under --debug";

/** The foreground `up --debug` runs F5 started, by the id their configuration carries (`localepRun`). */
export class OwnedRuns {
  private next = 0;
  private readonly runs = new Map<string, ForegroundUp>();

  add(run: ForegroundUp): string {
    const id = `run-${++this.next}`;
    this.runs.set(id, run);
    void run.exited.then(() => this.runs.delete(id));
    return id;
  }

  get(id: unknown): ForegroundUp | undefined {
    return typeof id === "string" ? this.runs.get(id) : undefined;
  }

  /** When the extension host shuts down: nothing F5 started outlives it. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.stop()));
  }

  async stop(id: unknown): Promise<boolean> {
    const run = this.get(id);
    if (run === undefined) {
      return false;
    }
    await run.stop();
    return true;
  }
}

export class LocalepDebugProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly cli: LocalepCli,
    private readonly classifier: Classifier,
    readonly runs: OwnedRuns,
    private readonly afterStart: () => Promise<void>,
  ) {}

  /** launch.json's "Add Configuration...": one entry per deployment YAML in the folder. */
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const pattern = folder ? new vscode.RelativePattern(folder, "**/*.{yml,yaml}") : "**/*.{yml,yaml}";
    const files = (await vscode.workspace.findFiles(pattern, "**/node_modules/**", 200)).map((uri) => uri.fsPath).sort();
    const kinds = await this.classifier.classify(files);
    return files.filter((file) => isOnlineDeployment(kinds.get(file))).map((file) => {
      const relative = folder ? path.relative(folder.uri.fsPath, file) : file;
      const entry = folder ? `\${workspaceFolder}/${relative.split(path.sep).join("/")}` : file;
      return localepConfiguration(entry, relative);
    });
  }

  /** Before variables are substituted: F5 without launch.json debugs the deployment YAML in the editor. */
  async resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (configuration.type || configuration.request || configuration.name) {
      return configuration;
    }
    const document = vscode.window.activeTextEditor?.document;
    if (document === undefined || !isOnlineDeployment(await this.classifier.describe(document.fileName))) {
      void reportError(new Error("Open a deployment YAML (one with endpoint_name) to debug it, or add a " +
        "\"localep\" configuration to launch.json."));
      return undefined;
    }
    return localepConfiguration(document.fileName, path.basename(document.fileName));
  }

  /** With variables substituted: make sure the deployment runs under debugpy, then attach to it. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (configuration.type !== DEBUG_TYPE || isChildConfiguration(configuration)) {
      return configuration; // a gunicorn worker debugpy announced: attach as it says, through the same adapter
    }
    try {
      return await this.attachConfiguration(folder, configuration);
    } catch (error) {
      void reportError(error, `Cannot debug ${configuration.name ?? "the deployment"}`);
      return undefined;
    }
  }

  async attachConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): Promise<(LocalepAttachConfiguration & { localepRun?: string }) | undefined> {
    if (typeof configuration.deployment !== "string" || configuration.deployment.trim() === "") {
      throw new Error('the configuration needs "deployment": the path of a deployment YAML');
    }
    const specFile = path.resolve(folder?.uri.fsPath ?? process.cwd(), configuration.deployment);
    if (!isOnlineDeployment(await this.classifier.describe(specFile))) {
      throw new Error(`${specFile} is not an online deployment YAML (localep classify finds no endpoint_name)`);
    }
    const options = {
      name: configuration.name,
      justMyCode: typeof configuration.justMyCode === "boolean" ? configuration.justMyCode : undefined,
    };
    const rows = await this.cli.ps();
    const running = debuggableRow(rows, specFile);
    if (running !== undefined) {
      return buildAttachConfiguration(running, options);
    }
    const plain = runsWithoutDebug(rows, specFile);
    if (plain !== undefined && !(await offerAction(`${plain.endpoint}/${plain.deployment} runs without --debug, so ` +
      "the debugger cannot attach. Restart it under --debug (until this debug session stops)?", RESTART))) {
      return undefined;
    }
    const port = typeof configuration.debugPort === "number" ? configuration.debugPort : await freePort();
    const run = await this.startUnderDebug(specFile, port);
    const row = debuggableRow(await this.cli.ps(), specFile);
    if (row === undefined) {
      await run.stop();
      throw new Error(`localep up --debug is ready, but \`localep ps\` lists no debuggable container of ${specFile}`);
    }
    return { ...buildAttachConfiguration(row, options), localepRun: this.runs.add(run) };
  }

  private async startUnderDebug(specFile: string, port: number): Promise<ForegroundUp> {
    return withProgress(`localep up ${path.basename(specFile)} --debug`, async (progress) => {
      const run = await this.cli.upDebugForeground(specFile, port, progress);
      try {
        await run.ready;
      } catch (error) {
        await run.stop();
        throw startFailure(error, port);
      }
      await this.afterStart();
      return run;
    });
  }
}

/** A port nothing listens on now, for a new `up --debug`: each deployment under debug needs its own. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}
