import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  batchRunArgs,
  commandTitle,
  downArgs,
  invokeArgs,
  keysArgs,
  launchConfigArgs,
  logsArgs,
  psArgs,
  replayArgs,
  smokeArgs,
  trafficSetArgs,
  upArgs,
  upDebugArgs,
  versionArgs,
} from "../cliArgs";

const endpoint = { endpoint: "my-ep", deployment: null };
const blue = { endpoint: "my-ep", deployment: "blue" };

describe("command lines", () => {
  it("builds each localep invocation as an argument list", () => {
    assert.deepEqual(versionArgs(), ["--version"]);
    assert.deepEqual(psArgs(), ["ps", "--json"]);
    assert.deepEqual(upArgs(["/w/my dir/blue.yml"]), ["up", "/w/my dir/blue.yml", "--detach"]);
    assert.deepEqual(upArgs(["/w/endpoint.yml", "/w/blue.yml"]), ["up", "/w/endpoint.yml", "/w/blue.yml", "--detach"]);
    assert.deepEqual(upDebugArgs("/w/my dir/blue.yml", 41234), ["up", "/w/my dir/blue.yml", "--debug", "--debug-port", "41234"]);
    assert.deepEqual(downArgs(endpoint), ["down", "my-ep"]);
    assert.deepEqual(downArgs(blue), ["down", "my-ep", "--deployment", "blue"]);
    assert.deepEqual(logsArgs(endpoint), ["logs", "-f", "my-ep"]);
    assert.deepEqual(logsArgs(blue), ["logs", "-f", "my-ep", "--deployment", "blue"]);
    assert.deepEqual(invokeArgs(blue, "/w/req.json"), [
      "invoke", "my-ep", "--deployment", "blue", "--request-file", "/w/req.json", "--json",
    ]);
    assert.deepEqual(launchConfigArgs("/w/blue.yml", "/w"), ["vscode", "/w/blue.yml", "--workspace", "/w", "--json"]);
  });

  it("asks replay and smoke for their JSON report on stdout", () => {
    assert.deepEqual(replayArgs(blue, ["/w/t.jsonl", "/w/req"]), [
      "replay", "/w/t.jsonl", "/w/req", "--endpoint", "my-ep", "--deployment", "blue", "--json", "-",
    ]);
    assert.deepEqual(smokeArgs(["/w/blue.yml"], ["/w/a.json", "/w/b.jsonl"]), [
      "smoke", "/w/blue.yml", "--requests", "/w/a.json", "--requests", "/w/b.jsonl", "--json", "-",
    ]);
  });

  it("passes traffic shares, keys and batch runs the way the CLI reads them", () => {
    assert.deepEqual(trafficSetArgs("my-ep", { blue: 90, green: 10 }), ["traffic", "set", "my-ep", "blue=90", "green=10", "--json"]);
    assert.deepEqual(keysArgs("my-ep"), ["keys", "my-ep", "--json"]);
    assert.deepEqual(batchRunArgs("/w/batch.yml", "/w/in", "/w/out"), [
      "batch", "run", "/w/batch.yml", "--input", "/w/in", "--output", "/w/out",
    ]);
  });

  it("quotes only the arguments that need it in titles", () => {
    assert.equal(commandTitle(["up", "/w/my dir/blue.yml", "--detach"]), 'localep up "/w/my dir/blue.yml" --detach');
    assert.equal(commandTitle(logsArgs(blue)), "localep logs -f my-ep --deployment blue");
  });
});
