import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startFailure } from "../debugStart";
import { CliFailure } from "../localepCli";

const args = ["up", "/w/blue.yml", "--debug", "--debug-port", "41234"];

function failure(exitCode: number, stderr: string): CliFailure {
  return new CliFailure(args, { exitCode, stdout: "", stderr });
}

describe("startFailure", () => {
  it("adds the exception line of init()'s traceback to the CLI's error line", () => {
    const stderr = "building...\nerror: /w/src/score.py:7: deployment blue failed to start: the server exited with code 3\n" +
      "Traceback (most recent call last):\n  File \"/w/src/score.py\", line 7, in init\n    1 / 0\nZeroDivisionError: division by zero\n";
    assert.equal((startFailure(failure(5, stderr), 41234) as Error).message,
      "localep up /w/blue.yml failed (exit code 5): /w/src/score.py:7: deployment blue failed to start: the server exited with code 3" +
      " — ZeroDivisionError: division by zero");
  });

  it("takes the script's own exception from a chain, not the server's wrapper or log lines before the error", () => {
    const stderr = "blue | ValueError: logged earlier, not the failure\n" +
      "error: /w/src/score.py:2: deployment blue failed to start: the server exited with code 3\n" +
      "Traceback (most recent call last):\n  File \"/w/src/score.py\", line 2, in init\nRuntimeError: the model file is missing\n\n" +
      "The above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n" +
      "azureml_inference_server_http.server.user_script.UserScriptException: Caught an unhandled exception from the user script\n";
    assert.match((startFailure(failure(5, stderr), 41234) as Error).message, / — RuntimeError: the model file is missing$/);
  });

  it("names a taken debug port as such, with what to do", () => {
    const stderr = "error: localep-ep-blue cannot publish port 41234 on 127.0.0.1: it is in use by process 77 (nc)\n";
    assert.match((startFailure(failure(7, stderr), 41234) as Error).message,
      /^the debug port 41234 is taken \(.*in use by process 77 \(nc\)\)\. Leave "debugPort" out/);
  });

  it("keeps any other failure as the CLI said it", () => {
    const other = failure(7, "error: endpoint port 8080 is already in use\n");
    assert.equal(startFailure(other, 41234), other, "a taken endpoint port is not the debug port");
    const plain = new Error("spawn failed");
    assert.equal(startFailure(plain, 41234), plain);
  });
});
