/**
 * The `localep` debug type: `{"type": "localep", "request": "attach", "deployment": "blue.yml"}` in
 * launch.json (or F5 on a deployment YAML) starts `localep up --debug --detach` when the deployment is not
 * already running under debugpy, then hands VS Code the debugpy attach configuration (port, pathMappings,
 * subProcess), so breakpoints in score.py bind. The Python Debugger extension does the attaching.
 */

import * as path from "path";
import * as vscode from "vscode";
import {
  buildAttachConfiguration,
  debuggableRow,
  DebugpyAttachConfiguration,
  localepConfiguration,
} from "./attachConfig";
import { reportError } from "./errors";
import { LocalepCli } from "./localepCli";
import { classifyYaml, isOnlineDeployment } from "./yamlKind";
import { withProgress } from "./progress";

export const DEBUG_TYPE = "localep";
const DEBUGPY_EXTENSION = "ms-python.debugpy";
const INSTALL = "Install Python Debugger";

export class LocalepDebugProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly cli: LocalepCli, private readonly afterStart: () => Promise<void>) {}

  /** launch.json's "Add Configuration...": one entry per deployment YAML in the folder. */
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const pattern = folder ? new vscode.RelativePattern(folder, "**/*.{yml,yaml}") : "**/*.{yml,yaml}";
    const files = await vscode.workspace.findFiles(pattern, "**/node_modules/**", 200);
    const configurations: vscode.DebugConfiguration[] = [];
    for (const uri of files) {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString("utf8");
      if (isOnlineDeployment(classifyYaml(text, uri.fsPath))) {
        const relative = folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
        const file = folder ? `\${workspaceFolder}/${relative.split(path.sep).join("/")}` : uri.fsPath;
        configurations.push(localepConfiguration(file, relative));
      }
    }
    return configurations;
  }

  /** Before variables are substituted: fill in F5 without launch.json, and stop early without debugpy. */
  async resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (!configuration.type && !configuration.request && !configuration.name) {
      const editor = vscode.window.activeTextEditor;
      const document = editor?.document;
      if (document === undefined || !isOnlineDeployment(classifyYaml(document.getText(), document.fileName))) {
        void reportError(new Error("Open a deployment YAML (one with endpoint_name) to debug it, or add a " +
          "\"localep\" configuration to launch.json."));
        return undefined;
      }
      configuration = localepConfiguration(document.fileName, path.basename(document.fileName));
    }
    if (!(await ensureDebugpyExtension())) {
      return undefined;
    }
    return configuration;
  }

  /** With variables substituted: make sure the deployment runs under debugpy, then attach to it. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (configuration.type !== DEBUG_TYPE) {
      return configuration;
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
  ): Promise<DebugpyAttachConfiguration> {
    if (typeof configuration.deployment !== "string" || configuration.deployment.trim() === "") {
      throw new Error('the configuration needs "deployment": the path of a deployment YAML');
    }
    const specFile = path.resolve(folder?.uri.fsPath ?? process.cwd(), configuration.deployment);
    const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(specFile))).toString("utf8");
    if (!isOnlineDeployment(classifyYaml(text, specFile))) {
      throw new Error(`${specFile} is not an online deployment YAML (it has no endpoint_name)`);
    }
    let row = debuggableRow(await this.cli.ps(), specFile);
    if (row === undefined) {
      await withProgress(`localep up ${path.basename(specFile)} --debug`, (progress) =>
        this.cli.up([specFile], true, progress));
      await this.afterStart();
      row = debuggableRow(await this.cli.ps(), specFile);
      if (row === undefined) {
        throw new Error(`localep up --debug finished, but no debuggable container of ${specFile} is running`);
      }
    }
    return buildAttachConfiguration(row, {
      name: configuration.name,
      justMyCode: typeof configuration.justMyCode === "boolean" ? configuration.justMyCode : undefined,
    });
  }
}

/** Whether debugpy's extension is there; offers to install it, and reports (not throws) when that fails. */
export async function ensureDebugpyExtension(): Promise<boolean> {
  if (vscode.extensions.getExtension(DEBUGPY_EXTENSION) !== undefined) {
    return true;
  }
  const answer = await vscode.window.showErrorMessage(
    `Attaching needs the Python Debugger extension (${DEBUGPY_EXTENSION}).`,
    INSTALL,
  );
  if (answer === INSTALL) {
    try {
      await vscode.commands.executeCommand("workbench.extensions.installExtension", DEBUGPY_EXTENSION);
    } catch (error) {
      void reportError(error, `Could not install ${DEBUGPY_EXTENSION}; install it from a .vsix ` +
        `(Extensions view: "Install from VSIX...") and try again`);
      return false;
    }
    return vscode.extensions.getExtension(DEBUGPY_EXTENSION) !== undefined;
  }
  return false;
}
