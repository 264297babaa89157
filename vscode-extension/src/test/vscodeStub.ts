/**
 * Just enough of the `vscode` module to activate the extension under Node's test runner: it records
 * what the extension registers and starts, so tests can check the wiring without downloading VS Code.
 */

import Module from "node:module";

type Handler = (...args: unknown[]) => unknown;

export interface Recorded {
  commands: Map<string, Handler>;
  treeProvider: { getChildren(node?: unknown): unknown[]; getTreeItem(node: unknown): any; refresh(): Promise<void> } | null;
  debugSessions: { folder: unknown; configuration: unknown }[];
  terminals: { name: string; shellPath: string; shellArgs: string[]; cwd?: string }[];
  messages: string[];
  installedExtensions: Set<string>;
  settings: Record<string, unknown>;
}

export const recorded: Recorded = {
  commands: new Map(),
  treeProvider: null,
  debugSessions: [],
  terminals: [],
  messages: [],
  installedExtensions: new Set(),
  settings: {},
};

const disposable = { dispose() {} };

class EventEmitter {
  private listeners: Handler[] = [];
  event = (listener: Handler) => {
    this.listeners.push(listener);
    return disposable;
  };
  fire(value?: unknown) {
    this.listeners.forEach((listener) => listener(value));
  }
  dispose() {}
}

class Uri {
  constructor(readonly fsPath: string) {}
  static file(fsPath: string) {
    return new Uri(fsPath);
  }
}

class TreeItem {
  [key: string]: unknown;
  constructor(readonly label: string, readonly collapsibleState: number) {}
}

class ThemeIcon {
  constructor(readonly id: string, readonly color?: unknown) {}
}

class ThemeColor {
  constructor(readonly id: string) {}
}

const message = (text: string) => {
  recorded.messages.push(text);
  return Promise.resolve(undefined);
};

const stub = {
  EventEmitter,
  Uri,
  TreeItem,
  ThemeIcon,
  ThemeColor,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ProgressLocation: { Notification: 15 },
  commands: {
    registerCommand(id: string, handler: Handler) {
      recorded.commands.set(id, handler);
      return disposable;
    },
    executeCommand: () => Promise.resolve(undefined),
  },
  window: {
    createTreeView(_id: string, options: { treeDataProvider: Recorded["treeProvider"] }) {
      recorded.treeProvider = options.treeDataProvider;
      return { visible: true, onDidChangeVisibility: () => disposable, dispose() {} };
    },
    createOutputChannel: () => ({ appendLine() {}, show() {}, dispose() {} }),
    createTerminal(options: Recorded["terminals"][number]) {
      recorded.terminals.push(options);
      return { show() {} };
    },
    withProgress: (_options: unknown, task: () => Promise<unknown>) => task(),
    showErrorMessage: message,
    showWarningMessage: message,
    showInformationMessage: message,
    showQuickPick: () => Promise.resolve(undefined),
    showOpenDialog: () => Promise.resolve(undefined),
  },
  workspace: {
    workspaceFolders: undefined,
    getWorkspaceFolder: () => undefined,
    getConfiguration: () => ({
      get: (key: string, fallback: unknown) => (key in recorded.settings ? recorded.settings[key] : fallback),
    }),
    onDidChangeConfiguration: () => disposable,
  },
  extensions: {
    getExtension: (id: string) => (recorded.installedExtensions.has(id) ? { id } : undefined),
  },
  debug: {
    startDebugging(folder: unknown, configuration: unknown) {
      recorded.debugSessions.push({ folder, configuration });
      return Promise.resolve(true);
    },
  },
};

/** Make `require("vscode")` return the stub; call before loading the extension. */
export function installVscodeStub(): void {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === "vscode" ? stub : original.call(this, request, ...rest);
  };
}
