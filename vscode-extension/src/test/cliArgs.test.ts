import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  commandTitle,
  downArgs,
  formatInvokeOutput,
  invokeArgs,
  launchConfigArgs,
  logsArgs,
  psArgs,
  upArgs,
} from "../cliArgs";

const endpoint = { endpoint: "my-ep", deployment: null };
const blue = { endpoint: "my-ep", deployment: "blue" };

describe("command lines", () => {
  it("builds each localep invocation as an argument list", () => {
    assert.deepEqual(psArgs(), ["ps", "--json"]);
    assert.deepEqual(upArgs("/w/my dir/blue.yml"), ["up", "/w/my dir/blue.yml", "--detach", "--debug"]);
    assert.deepEqual(downArgs(endpoint), ["down", "my-ep"]);
    assert.deepEqual(downArgs(blue), ["down", "my-ep", "--deployment", "blue"]);
    assert.deepEqual(logsArgs(endpoint), ["logs", "-f", "my-ep"]);
    assert.deepEqual(logsArgs(blue), ["logs", "-f", "my-ep", "--deployment", "blue"]);
    assert.deepEqual(invokeArgs(blue, "/w/req.json"), [
      "invoke", "my-ep", "--deployment", "blue", "--request-file", "/w/req.json", "--json",
    ]);
    assert.deepEqual(launchConfigArgs("/w/blue.yml"), ["vscode", "/w/blue.yml"]);
  });

  it("quotes only the arguments that need it in titles", () => {
    assert.equal(commandTitle(["up", "/w/my dir/blue.yml", "--detach"]), 'localep up "/w/my dir/blue.yml" --detach');
    assert.equal(commandTitle(logsArgs(blue)), "localep logs -f my-ep --deployment blue");
  });
});

describe("formatInvokeOutput", () => {
  it("pretty-prints JSON", () => {
    assert.equal(formatInvokeOutput('{"status":200,"body":[1]}'), '{\n  "status": 200,\n  "body": [\n    1\n  ]\n}');
  });

  it("passes anything else through", () => {
    assert.equal(formatInvokeOutput("plain text answer"), "plain text answer");
  });
});
