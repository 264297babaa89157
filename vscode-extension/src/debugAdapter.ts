/**
 * Connects VS Code straight to the deployment's own debugpy adapter (the one `debugpy --listen` starts in the
 * container): a Unix socket when `localep ps` reports one, else the published debug port. debugpy announces
 * each gunicorn worker as a child session that asks for the same adapter; VS Code starts it from debugpy's
 * `startDebugging` request, and older debugpy's `debugpyAttach` event is turned into one here. When the
 * session F5 started a deployment for ends, that deployment is stopped and removed.
 */

import * as vscode from "vscode";
import { configuredTransport, DEBUG_TYPE, isChildConfiguration } from "./attachConfig";
import { OwnedRuns } from "./debugProvider";

export class LocalepAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const transport = configuredTransport(session.configuration) ??
      (session.parentSession ? configuredTransport(session.parentSession.configuration) : null);
    if (transport === null) {
      throw new Error(`${session.name}: no debugpy adapter to connect to (the configuration was not resolved by localep)`);
    }
    return "socket" in transport
      ? new vscode.DebugAdapterNamedPipeServer(transport.socket)
      : new vscode.DebugAdapterServer(transport.port, transport.host);
  }
}

export function registerDebugAdapter(runs: OwnedRuns, afterStop: () => Promise<void>): vscode.Disposable[] {
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new LocalepAdapterFactory()),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.session.type === DEBUG_TYPE && event.event === "debugpyAttach") {
        void vscode.debug.startDebugging(event.session.workspaceFolder,
          { ...event.body, type: DEBUG_TYPE, request: "attach" }, { parentSession: event.session, compact: true });
      }
    }),
    vscode.debug.onDidTerminateDebugSession(async (session) => {
      if (session.type === DEBUG_TYPE && !isChildConfiguration(session.configuration) &&
        (await runs.stop(session.configuration.localepRun))) {
        await afterStop();
      }
    }),
  ];
}
