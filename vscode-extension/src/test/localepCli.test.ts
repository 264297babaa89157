import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { failureMessage, LocalepNotFoundError, runLocalep } from "../localepCli";

/** A stand-in CLI: echoes its arguments as JSON, or fails the way localep does when asked to. */
const FAKE_CLI = `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args[0] === "fail") {
  process.stdout.write('{"status": 500}');
  process.stderr.write("starting\\nerror: blue.yml:3: no such model\\n");
  process.exit(3);
}
process.stdout.write(JSON.stringify({ args, cwd: process.cwd() }));
`;

describe("runLocalep", () => {
  let folder: string;
  let cli: string;

  before(() => {
    folder = mkdtempSync(join(tmpdir(), "localep-cli-"));
    cli = join(folder, "fake-localep");
    writeFileSync(cli, FAKE_CLI);
    chmodSync(cli, 0o755);
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  it("passes arguments through untouched and runs in the given folder", async () => {
    const result = await runLocalep(cli, ["up", "a file with spaces.yml", "--json"], { cwd: folder });
    assert.equal(result.exitCode, 0);
    assert.deepEqual(JSON.parse(result.stdout), { args: ["up", "a file with spaces.yml", "--json"], cwd: folder });
  });

  it("returns a non-zero exit with its output instead of throwing", async () => {
    const result = await runLocalep(cli, ["fail"]);
    assert.deepEqual(result, { exitCode: 3, stdout: '{"status": 500}', stderr: "starting\nerror: blue.yml:3: no such model\n" });
    assert.equal(failureMessage(["fail"], result), "localep fail exited with code 3: error: blue.yml:3: no such model");
  });

  it("throws a hint about localep.path when the program is missing", async () => {
    await assert.rejects(runLocalep(join(folder, "missing"), ["ps"]), (error: Error) => {
      assert.ok(error instanceof LocalepNotFoundError);
      assert.match(error.message, /ENOENT.*"localep\.path" setting/);
      return true;
    });
  });
});

describe("failureMessage", () => {
  it("falls back to the last stderr line, then to the exit code alone", () => {
    assert.equal(failureMessage(["down"], { exitCode: 1, stdout: "", stderr: "one\ntwo\n" }), "localep down exited with code 1: two");
    assert.equal(failureMessage(["down"], { exitCode: 6, stdout: "", stderr: "" }), "localep down exited with code 6");
  });
});
