import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CliFailure,
  existingFolder,
  failureMessage,
  isAtLeast,
  LocalepCli,
  LocalepNotFoundError,
  LocalepTooOldError,
  parseVersion,
  runLocalep,
} from "../localepCli";
import { PS_ROW } from "./fixtures";

/** A stand-in CLI for the process plumbing: answers like localep does, per subcommand. */
const FAKE_CLI = `#!/usr/bin/env node
const args = process.argv.slice(2);
const version = process.env.FAKE_VERSION || "0.1.0";
if (args[0] === "--version") { process.stdout.write("localep, version " + version + "\\n"); process.exit(0); }
if (args[0] === "fail") {
  process.stdout.write('{"status": 500}');
  process.stderr.write("starting\\nerror: blue.yml:3: no such model\\n");
  process.exit(3);
}
if (args[0] === "ps") { process.stdout.write(JSON.stringify([${JSON.stringify(PS_ROW)}])); process.exit(0); }
if (args[0] === "invoke") {
  process.stdout.write(JSON.stringify({ status: 503, body: [58], body_text: "[58.0, 41.75]", headers: { "content-type": "application/json" },
    deployment: "blue", latency_ms: 3.5, url: "http://127.0.0.1:1/score" }));
  process.exit(8);
}
if (args[0] === "replay") {
  process.stderr.write("a table\\n");
  process.stdout.write(JSON.stringify({ summary: { total: 1, passed: 0, failed: 1, unchecked: 0 }, latency_ms: {},
    cases: [{ name: "r1", passed: false, checked: true, status: 200, differences: [{ path: "$[0]", reason: "1 != 2" }] }] }));
  process.exit(9);
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

  it("runs in the nearest existing folder when the one given is gone", async () => {
    const result = await runLocalep(cli, ["x"], { cwd: join(folder, "gone", "deeper") });
    assert.equal(JSON.parse(result.stdout).cwd, folder);
    assert.equal(existingFolder(join(folder, "gone")), folder);
  });

  it("returns a non-zero exit with its output instead of throwing, and streams progress lines", async () => {
    const lines: string[] = [];
    const result = await runLocalep(cli, ["fail"], { onProgress: (line) => lines.push(line) });
    assert.deepEqual(result, { exitCode: 3, stdout: '{"status": 500}', stderr: "starting\nerror: blue.yml:3: no such model\n" });
    assert.deepEqual(lines, ["starting", "error: blue.yml:3: no such model"]);
    assert.equal(failureMessage(["fail"], result), "localep fail failed (exit code 3): blue.yml:3: no such model");
  });

  it("throws a hint about localep.path when the program is missing", async () => {
    await assert.rejects(runLocalep(join(folder, "missing"), ["ps"]), (error: Error) => {
      assert.ok(error instanceof LocalepNotFoundError);
      assert.match(error.message, /ENOENT.*"localep\.path" setting/);
      return true;
    });
  });
});

describe("LocalepCli", () => {
  let folder: string;
  let cli: string;
  const log: string[] = [];
  const client = () => new LocalepCli(() => cli, { appendLine: (line) => log.push(line) }, () => folder);

  before(() => {
    folder = mkdtempSync(join(tmpdir(), "localep-client-"));
    cli = join(folder, "fake-localep");
    writeFileSync(cli, FAKE_CLI);
    chmodSync(cli, 0o755);
  });

  after(() => {
    delete process.env.FAKE_VERSION;
    rmSync(folder, { recursive: true, force: true });
  });

  it("reads ps rows and logs nothing for a quiet, successful poll", async () => {
    log.length = 0;
    const rows = await client().ps();
    assert.equal(rows[0].debugPort, 5678);
    assert.deepEqual(log.filter((line) => line.includes(" ps ")), []);
  });

  it("shows an invoke answer's body exactly as sent, also for an HTTP error", async () => {
    const answer = await client().invoke({ endpoint: "e", deployment: null }, join(folder, "req.json"));
    assert.deepEqual([answer.status, answer.bodyText, answer.deployment], [503, "[58.0, 41.75]", "blue"]);
  });

  it("reads a replay report from a mismatching run (exit 9)", async () => {
    const report = await client().replay({ endpoint: "e", deployment: null }, [join(folder, "t.jsonl")]);
    assert.deepEqual([report.failed, report.cases[0].differences[0].reason], [1, "1 != 2"]);
  });

  it("turns other failures into a CliFailure carrying the CLI's message, and logs them", async () => {
    log.length = 0;
    await assert.rejects(client().run(["fail"]).then((result) => {
      throw new CliFailure(["fail"], result);
    }), /no such model/);
    assert.ok(log.some((line) => line.startsWith("$ localep fail")));
    assert.ok(log.includes("exit code 3"));
  });

  it("refuses a CLI older than the extension needs, saying which version it found", async () => {
    process.env.FAKE_VERSION = "0.0.9";
    await assert.rejects(client().ps(), (error: Error) => {
      assert.ok(error instanceof LocalepTooOldError);
      assert.match(error.message, /is localep 0\.0\.9; this extension needs localep 0\.1\.0 or newer/);
      return true;
    });
    delete process.env.FAKE_VERSION;
  });

  it("reports a missing CLI before running any command", async () => {
    const missing = new LocalepCli(() => join(folder, "nope"), { appendLine: () => undefined }, () => folder);
    await assert.rejects(missing.ps(), LocalepNotFoundError);
  });
});

describe("versions", () => {
  it("reads click's --version line and compares dotted versions", () => {
    assert.equal(parseVersion("localep, version 0.12.3\n"), "0.12.3");
    assert.equal(parseVersion("Traceback"), null);
    assert.ok(isAtLeast("0.1.0", "0.1.0"));
    assert.ok(isAtLeast("0.10.0", "0.9.1"));
    assert.ok(!isAtLeast("0.0.9", "0.1"));
  });
});

describe("failureMessage", () => {
  it("falls back to the last stderr line, then to the exit code alone", () => {
    assert.equal(failureMessage(["down"], { exitCode: 1, stdout: "", stderr: "one\ntwo\n" }), "localep down failed (exit code 1): two");
    assert.equal(failureMessage(["down"], { exitCode: 6, stdout: "", stderr: "" }), "localep down failed (exit code 6)");
    assert.equal(failureMessage(["traffic", "set", "e"], { exitCode: 1, stdout: "", stderr: "" }), "localep traffic set failed (exit code 1)");
  });
});
