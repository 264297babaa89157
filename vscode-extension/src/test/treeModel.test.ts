import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupByEndpoint } from "../psModel";
import { deploymentPresentation, endpointPresentation, errorPresentation } from "../treeModel";
import { deployment } from "./fixtures";

describe("deploymentPresentation", () => {
  it("shows status, health, port and debug port of a debuggable deployment", () => {
    const row = deploymentPresentation(deployment());
    assert.equal(row.id, "deployment:my-ep/blue#0");
    assert.equal(row.label, "blue");
    assert.equal(row.description, "running · ready · :31234 · debug :5678");
    assert.equal(row.contextValue, "deployment debuggable");
    assert.deepEqual([row.icon, row.iconColor], ["pass-filled", "testing.iconPassed"]);
    assert.match(row.tooltip, /^Deployment: my-ep\/blue\nStatus: running\nHealth: ready\nScoring URL: http:\/\/127\.0\.0\.1:31234\/score\n/);
  });

  it("leaves out what is unknown and is not debuggable without a debug port", () => {
    const row = deploymentPresentation(deployment({ debugPort: null, health: null, image: null }));
    assert.equal(row.description, "running · :31234");
    assert.equal(row.contextValue, "deployment");
    assert.equal(row.icon, "vm-running");
    assert.doesNotMatch(row.tooltip, /Debug port|Image|Health/);
  });

  it("tells replicas apart in label, id and tooltip", () => {
    const first = deploymentPresentation(deployment({ instance: 0 }));
    const third = deploymentPresentation(deployment({ instance: 2 }));
    assert.deepEqual([first.label, third.label], ["blue", "blue #2"]);
    assert.notEqual(first.id, third.id);
    assert.match(third.tooltip, /^Deployment: my-ep\/blue #2\n/);
  });

  it("marks starting, unhealthy, stopped and unknown deployments differently", () => {
    assert.equal(deploymentPresentation(deployment({ status: "unknown", health: null })).icon, "circle-outline");
    assert.equal(deploymentPresentation(deployment({ health: "starting" })).icon, "loading~spin");
    assert.equal(deploymentPresentation(deployment({ health: "unhealthy" })).icon, "warning");
    const exited = deploymentPresentation(deployment({ status: "exited", health: null, port: null }));
    assert.deepEqual([exited.icon, exited.description, exited.contextValue], ["error", "exited · debug :5678", "deployment"]);
  });
});

describe("endpointPresentation", () => {
  it("counts running containers and those not ready yet", () => {
    const [endpoint] = groupByEndpoint([
      deployment(),
      deployment({ instance: 1 }),
      deployment({ deployment: "green", health: "starting" }),
      deployment({ deployment: "red", status: "exited", health: null }),
    ]);
    const row = endpointPresentation(endpoint);
    assert.deepEqual(
      [row.id, row.label, row.description, row.contextValue, row.tooltip],
      ["endpoint:my-ep", "my-ep", "3/4 containers running, 1 not ready", "endpoint", "Endpoint my-ep: blue, blue #1, green, red"],
    );
  });

  it("uses the singular for one container", () => {
    const [endpoint] = groupByEndpoint([deployment()]);
    assert.equal(endpointPresentation(endpoint).description, "1/1 container running");
  });
});

describe("errorPresentation", () => {
  it("puts the first line in the row and the whole message in the tooltip", () => {
    const row = errorPresentation("could not run localep\nmore detail");
    assert.deepEqual([row.label, row.description, row.tooltip, row.contextValue], [
      "localep ps failed",
      "could not run localep",
      "could not run localep\nmore detail",
      "error",
    ]);
  });
});
