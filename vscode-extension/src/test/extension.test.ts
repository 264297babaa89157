import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PS_ROW } from "./fixtures";
import { installVscodeStub, recorded } from "./vscodeStub";

installVscodeStub();
const extension = require("../extension") as typeof import("../extension");

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const contributed: string[] = manifest.contributes.commands.map((command: { command: string }) => command.command);

describe("package.json", () => {
  it("contributes the localep commands", () => {
    assert.deepEqual(contributed.slice().sort(), [
      "localep.attach",
      "localep.down",
      "localep.invoke",
      "localep.logs",
      "localep.refresh",
      "localep.up",
      "localep.writeLaunchConfig",
    ]);
  });

  it("activates on the view and on every contributed command", () => {
    assert.deepEqual(
      manifest.activationEvents.slice().sort(),
      ["onView:localepEndpoints", ...contributed.map((id) => `onCommand:${id}`)].sort(),
    );
  });

  it("refers only to contributed commands and the declared view in its menus", () => {
    const viewIds = Object.values(manifest.contributes.views).flat().map((view: any) => view.id);
    assert.deepEqual(viewIds, ["localepEndpoints"]);
    for (const entries of Object.values(manifest.contributes.menus) as { command: string; when?: string }[][]) {
      for (const entry of entries) {
        assert.ok(contributed.includes(entry.command), `${entry.command} is not contributed`);
        for (const view of entry.when?.match(/view == (\w+)/g) ?? []) {
          assert.ok(viewIds.includes(view.slice("view == ".length)), `${entry.when} names an unknown view`);
        }
      }
    }
  });
});

describe("activate", () => {
  let folder: string;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), "localep-ext-"));
    const cli = join(folder, "fake-localep");
    const rows = [PS_ROW, { ...PS_ROW, deployment: "green", debug_port: null }];
    writeFileSync(cli, `#!/usr/bin/env node\nprocess.stdout.write(${JSON.stringify(JSON.stringify(rows))});\n`);
    chmodSync(cli, 0o755);
    recorded.settings = { path: cli, refreshIntervalSeconds: 0 };
    recorded.installedExtensions.add("ms-python.debugpy");
    extension.activate({ subscriptions: [] } as any);
    await recorded.treeProvider!.refresh();
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  it("registers every contributed command", () => {
    assert.deepEqual([...recorded.commands.keys()].sort(), contributed.slice().sort());
  });

  it("shows endpoints and deployments read from the CLI", () => {
    const tree = recorded.treeProvider!;
    const [endpoint, ...others] = tree.getChildren();
    assert.equal(others.length, 0);
    assert.equal(tree.getTreeItem(endpoint).label, "my-ep");
    const items = tree.getChildren(endpoint).map((node) => tree.getTreeItem(node));
    assert.deepEqual(
      items.map((item) => [item.label, item.description, item.contextValue]),
      [
        ["blue", "running · ready · :31234 · debug :5678", "deployment debuggable"],
        ["green", "running · ready · :31234", "deployment"],
      ],
    );
  });

  it("attaches the debugger to a deployment item with an in-memory configuration", async () => {
    const tree = recorded.treeProvider!;
    const [blue] = tree.getChildren(tree.getChildren()[0]);
    await recorded.commands.get("localep.attach")!(blue);
    assert.equal(recorded.debugSessions.length, 1);
    assert.deepEqual(recorded.debugSessions[0].configuration, {
      name: "localep: attach my-ep/blue",
      type: "debugpy",
      request: "attach",
      connect: { host: "127.0.0.1", port: 5678 },
      pathMappings: [{ localRoot: "/abs/path/src", remoteRoot: "/var/azureml-app/src" }],
      subProcess: true,
      justMyCode: false,
    });
  });

  it("explains instead of attaching when the deployment has no debug port", async () => {
    const tree = recorded.treeProvider!;
    const [, green] = tree.getChildren(tree.getChildren()[0]);
    const before = recorded.debugSessions.length;
    await recorded.commands.get("localep.attach")!(green);
    assert.equal(recorded.debugSessions.length, before);
    assert.match(recorded.messages[recorded.messages.length - 1], /my-ep\/green was not started with --debug/);
  });

  it("starts a deployment from a YAML file in a terminal running the CLI directly", async () => {
    await recorded.commands.get("localep.up")!({ fsPath: "/w/my dir/blue.yml" });
    const terminal = recorded.terminals[recorded.terminals.length - 1];
    assert.deepEqual(terminal.shellArgs, ["up", "/w/my dir/blue.yml", "--detach", "--debug"]);
    assert.equal(terminal.shellPath, recorded.settings.path);
    assert.equal(terminal.cwd, "/w/my dir");
  });

  it("follows the logs of the endpoint item it was run on", async () => {
    await recorded.commands.get("localep.logs")!(recorded.treeProvider!.getChildren()[0]);
    assert.deepEqual(recorded.terminals[recorded.terminals.length - 1].shellArgs, ["logs", "-f", "my-ep"]);
  });
});
