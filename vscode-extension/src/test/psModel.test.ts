import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploymentsOf, groupByEndpoint, parsePsOutput, PsOutputError } from "../psModel";
import { deployment, PS_ROW } from "./fixtures";

describe("parsePsOutput", () => {
  it("reads every documented field into camelCase", () => {
    assert.deepEqual(parsePsOutput(JSON.stringify([PS_ROW])), [deployment()]);
  });

  it("reads an empty list as no deployments", () => {
    assert.deepEqual(parsePsOutput("[]\n"), []);
  });

  it("ignores fields it does not know", () => {
    const row = { ...PS_ROW, stats: { requests: 3 }, labels: { a: "b" } };
    assert.deepEqual(parsePsOutput(JSON.stringify([row])), [deployment()]);
  });

  it("treats a null or missing debug port and optional fields as null", () => {
    const { image: _image, code_dir: _code, ...rest } = PS_ROW;
    const parsed = parsePsOutput(JSON.stringify([{ ...rest, debug_port: null, health: null }]));
    assert.deepEqual(parsed, [deployment({ debugPort: null, health: null, image: null, codeDir: null })]);
  });

  it("reads restarts when the CLI reports them and null when an older one does not", () => {
    const { restarts: _restarts, ...older } = PS_ROW;
    assert.equal(parsePsOutput(JSON.stringify([{ ...PS_ROW, restarts: 4 }]))[0].restarts, 4);
    assert.equal(parsePsOutput(JSON.stringify([older]))[0].restarts, null);
  });

  it("reads no traffic (no gateway) as null", () => {
    const [row] = parsePsOutput(JSON.stringify([{ ...PS_ROW, traffic: null, mirror_traffic: null }]));
    assert.deepEqual([row.traffic, row.mirrorTraffic], [null, null]);
  });

  it("defaults a missing status to unknown", () => {
    const parsed = parsePsOutput(JSON.stringify([{ endpoint: "e", deployment: "d" }]));
    assert.equal(parsed[0].status, "unknown");
    assert.equal(parsed[0].port, null);
    assert.equal(parsed[0].instance, null);
  });

  it("rejects output that is not JSON, quoting its start", () => {
    assert.throws(() => parsePsOutput("Traceback (most recent call last):"), (error: Error) => {
      assert.ok(error instanceof PsOutputError);
      assert.match(error.message, /not JSON.*began with: Traceback/);
      return true;
    });
    assert.throws(() => parsePsOutput(""), /began with: \(empty\)/);
  });

  it("rejects a document that is not a list", () => {
    assert.throws(() => parsePsOutput('{"endpoint": "e"}'), /expected a list of deployments, got an object/);
  });

  it("names the item and field that is missing or of the wrong type", () => {
    assert.throws(() => parsePsOutput(JSON.stringify([PS_ROW, { deployment: "d" }])), /item 1 has no "endpoint"/);
    assert.throws(() => parsePsOutput(JSON.stringify([PS_ROW, { endpoint: "e" }])), /item 1 has no "deployment"/);
    assert.throws(() => parsePsOutput(JSON.stringify([{ ...PS_ROW, port: "31234" }])), /item 0 "port" should be a port number, got "31234"/);
    assert.throws(() => parsePsOutput(JSON.stringify([{ ...PS_ROW, debug_port: 70000 }])), /"debug_port" should be a port number/);
    assert.throws(() => parsePsOutput(JSON.stringify([{ ...PS_ROW, status: 1 }])), /"status" should be a string, got 1/);
    assert.throws(() => parsePsOutput(JSON.stringify([{ ...PS_ROW, instance: -1 }])), /"instance" should be a count, got -1/);
    assert.throws(() => parsePsOutput(JSON.stringify([{ ...PS_ROW, traffic: 120 }])), /"traffic" should be a percentage, got 120/);
    assert.throws(() => parsePsOutput("[3]"), /item 0 should be an object, got 3/);
  });

  it("leaves out containers that serve no deployment (a containerised gateway) instead of failing the view", () => {
    const gateway = { endpoint: "gwtest-ep", deployment: "", container: "localep-gateway-gwtest-ep", status: "exited" };
    assert.equal(parsePsOutput(JSON.stringify([gateway, PS_ROW])).length, 1);
    assert.throws(() => parsePsOutput(JSON.stringify([gateway, { endpoint: "e" }])), /item 1 has no "deployment"/);
  });
});

describe("groupByEndpoint", () => {
  it("groups deployments under their endpoint, both sorted by name", () => {
    const rows = [
      deployment({ endpoint: "zeta", deployment: "green" }),
      deployment({ endpoint: "alpha", deployment: "only" }),
      deployment({ endpoint: "zeta", deployment: "blue" }),
    ];
    const grouped = groupByEndpoint(rows);
    assert.deepEqual(
      grouped.map((endpoint) => [endpoint.name, endpoint.deployments.map((d) => d.deployment)]),
      [
        ["alpha", ["only"]],
        ["zeta", ["blue", "green"]],
      ],
    );
  });

  it("orders the replicas of a deployment by instance", () => {
    const [endpoint] = groupByEndpoint([deployment({ instance: 2 }), deployment({ instance: 0 }), deployment({ instance: 1 })]);
    assert.deepEqual(endpoint.deployments.map((d) => d.instance), [0, 1, 2]);
  });

  it("returns nothing for no deployments", () => {
    assert.deepEqual(groupByEndpoint([]), []);
  });
});

describe("deploymentsOf", () => {
  it("finds the rows started from one YAML file by its absolute path", () => {
    const rows = [deployment(), deployment({ deployment: "green", specFile: "/abs/green.yml" })];
    assert.deepEqual(deploymentsOf(rows, "/abs/green.yml").map((d) => d.deployment), ["green"]);
    assert.deepEqual(deploymentsOf(rows, "blue.yml"), []);
  });
});
