import assert from "node:assert/strict";
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lensesFor } from "../lenses";
import { AzureMlFile, Classifier, parseClassifyOutput, YamlKind } from "../yamlKind";

const OUTPUT = JSON.stringify([
  { file: "/w/blue.yml", kind: "online-deployment", name: "blue", line: 3, error: null },
  { file: "/w/conda.yaml", kind: null, name: "env", line: 1, error: null },
  { file: "/w/broken.yml", kind: null, name: null, line: null, error: "invalid YAML" },
  { file: "/w/nameless.yml", kind: "batch-endpoint", name: null, line: null, error: null },
  { file: "/w/future.yml", kind: "some-new-kind", name: "x", line: 1, error: null },
]);

describe("parseClassifyOutput (localep classify --json)", () => {
  it("keeps the CLI's kind and turns its 1-based name line into the editor's 0-based one", () => {
    const kinds = parseClassifyOutput(OUTPUT);
    assert.deepEqual(kinds.get("/w/blue.yml"), { kind: "online-deployment", name: "blue", line: 2 });
    assert.deepEqual(kinds.get("/w/nameless.yml"), { kind: "batch-endpoint", name: null, line: 0 });
  });

  it("reads other YAML, unreadable files and kinds this extension does not know as no Azure ML file", () => {
    const kinds = parseClassifyOutput(OUTPUT);
    assert.equal(kinds.get("/w/conda.yaml"), null);
    assert.equal(kinds.get("/w/broken.yml"), null);
    assert.equal(kinds.get("/w/future.yml"), null);
  });

  it("says what it got when the output is no list", () => {
    assert.throws(() => parseClassifyOutput("{}"), /printed no list/);
  });
});

describe("Classifier", () => {
  it("asks the CLI once per changed file, in one run for many files", async () => {
    const folder = mkdtempSync(join(tmpdir(), "classify-"));
    const [a, b] = [join(folder, "a.yml"), join(folder, "b.yml")];
    writeFileSync(a, "x");
    writeFileSync(b, "y");
    const runs: string[][] = [];
    const classifier = new Classifier(async (files) => {
      runs.push(files);
      return new Map<string, AzureMlFile | null>(files.map((file) => [file, { kind: "online-deployment", name: null, line: 0 }]));
    });
    assert.equal((await classifier.classify([a, b])).get(b)?.kind, "online-deployment");
    assert.equal(await classifier.kindOf(a), "online-deployment");
    utimesSync(b, new Date(), new Date(Date.now() + 5000));
    await classifier.classify([a, b]);
    assert.deepEqual(runs, [[a, b], [b]]);
  });
});

const lensesForKind = (kind: YamlKind) => lensesFor(kind).map((lens) => lens.title);

describe("lenses", () => {
  it("offers run, debug and smoke on online deployments and batch runs on batch deployments", () => {
    assert.deepEqual(lensesForKind("online-deployment"), ["Run locally", "Debug locally", "Smoke test"]);
    assert.deepEqual(lensesForKind("online-endpoint"), ["Run locally", "Smoke test"]);
    assert.deepEqual(lensesForKind("batch-deployment"), ["Run batch locally"]);
    assert.deepEqual(lensesForKind("batch-endpoint"), []);
  });
});
