import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lensesFor } from "../lenses";
import { YamlKind } from "../yamlKind";
import { classifyYaml } from "../yamlKind";

const ONLINE = `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
# a comment first
name: blue
endpoint_name: numpy-regression
`;

describe("classifyYaml", () => {
  it("finds an online deployment by endpoint_name and the line of its name", () => {
    assert.deepEqual(classifyYaml(ONLINE, "/w/whatever.yml"), { kind: "online-deployment", name: "blue", line: 2 });
  });

  it("finds batch deployments by type: model, by the schema, or by compute and mini_batch_size", () => {
    const modelType = "name: b\nendpoint_name: e\ntype: model\ncompute: azureml:cpu\nsettings:\n  mini_batch_size: 10\n";
    assert.equal(classifyYaml(modelType, "d.yml")?.kind, "batch-deployment");
    assert.equal(classifyYaml("$schema: https://x/batchDeployment.schema.json\nname: b\nendpoint_name: e\n", "d.yml")?.kind, "batch-deployment");
    assert.equal(classifyYaml("name: b\nendpoint_name: e\ncompute: azureml:c\nmini_batch_size: 5\n", "d.yml")?.kind, "batch-deployment");
    assert.equal(classifyYaml("name: b\nendpoint_name: e\noutput_action: summary_only\n", "d.yml")?.kind, "batch-deployment",
      "a flat (legacy) batch deployment: a batch-only key beside endpoint_name");
  });

  it("finds online endpoints by their keys or an endpoint-like file name, batch endpoints by defaults", () => {
    assert.equal(classifyYaml("name: e\nauth_mode: key\n", "/w/x.yml")?.kind, "online-endpoint");
    assert.equal(classifyYaml("name: e\n", "/w/endpoint.yml")?.kind, "online-endpoint");
    assert.equal(classifyYaml("name: e\ndefaults:\n  deployment_name: b\n", "/w/x.yml")?.kind, "batch-endpoint");
  });

  it("ignores other YAML, lists, and text that does not parse", () => {
    assert.equal(classifyYaml("name: ci\non: push\n", "/w/.github/workflows/ci.yml"), null);
    assert.equal(classifyYaml("dependencies:\n  - python=3.10\n", "/w/conda.yaml"), null);
    assert.equal(classifyYaml("- a\n- b\n", "/w/list.yml"), null);
    assert.equal(classifyYaml("name: [unclosed\n", "/w/endpoint.yml"), null);
  });

  it("puts the lens on the first line when there is no name", () => {
    assert.equal(classifyYaml("endpoint_name: e\n", "/w/d.yml")?.line, 0);
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
