import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TITLES } from "../titles";

const root = join(__dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const commands: { command: string; title: string }[] = manifest.contributes.commands;
const contributed = commands.map((command) => command.command);
const commandsSource = readFileSync(join(root, "src", "commands", "index.ts"), "utf8");

describe("package.json", () => {
  it("contributes the localep commands, each handled in commands/index.ts", () => {
    assert.deepEqual(contributed.slice().sort(), [
      "localep.attach", "localep.batchRun", "localep.debug", "localep.down", "localep.invoke", "localep.keys",
      "localep.logs", "localep.refresh", "localep.replay", "localep.showLogs", "localep.smoke", "localep.trafficSet",
      "localep.up", "localep.writeLaunchConfig",
    ]);
    for (const id of contributed) {
      assert.ok(commandsSource.includes(`"${id}":`), `${id} has no handler in src/commands/index.ts`);
    }
  });

  it("titles every command with the localep: prefix the welcome text and menus use", () => {
    for (const command of commands) {
      assert.match(command.title, /^localep: [A-Z]/, command.command);
    }
    assert.equal(manifest.contributes.commands.some((command: { category?: string }) => command.category), false,
      "a category would print the prefix twice in the Command Palette");
  });

  it("names only command titles that exist in its messages and welcome text", () => {
    const titles = commands.map((command) => command.title);
    for (const title of Object.values(TITLES)) {
      assert.ok(titles.includes(title), `"${title}" is not a command title`);
    }
    for (const welcome of manifest.contributes.viewsWelcome) {
      for (const [, quoted] of welcome.contents.matchAll(/"(localep: [^"]+)"/g)) {
        assert.ok(titles.includes(quoted), `the welcome text names "${quoted}", which is not a command title`);
      }
    }
  });

  it("activates on workspaces holding Azure ML YAML, not only on first use", () => {
    const events: string[] = manifest.activationEvents;
    assert.ok(events.includes("workspaceContains:**/*deployment*.yml"));
    assert.ok(events.includes("workspaceContains:**/*endpoint*.yaml"));
    assert.ok(events.includes("onDebugResolve:localep"));
  });

  it("shows its Explorer items on Azure ML YAML only, never on every .yml", () => {
    for (const entry of manifest.contributes.menus["explorer/context"]) {
      assert.match(entry.when, /^resourcePath in localep\.\w+Files$/, entry.command);
    }
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

  it("declares the localep debug type with a snippet whose deployment is required", () => {
    const [debuggerEntry] = manifest.contributes.debuggers;
    assert.equal(debuggerEntry.type, "localep");
    assert.deepEqual(debuggerEntry.configurationAttributes.attach.required, ["deployment"]);
    const [snippet] = debuggerEntry.configurationSnippets;
    assert.deepEqual([snippet.body.type, snippet.body.request], ["localep", "attach"]);
    assert.match(snippet.body.deployment, /workspaceFolder/);
  });

  it("has no runtime dependency (the CLI classifies YAML) and leaves tests and sources out", () => {
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), []);
    const ignored = readFileSync(join(root, ".vscodeignore"), "utf8").split("\n");
    assert.ok(ignored.includes("src/**") && ignored.includes("out/test/**") && ignored.includes("out/integration/**"));
  });
});
