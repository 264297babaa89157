import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupByEndpoint } from "../psModel";
import { deploymentPresentation, endpointPresentation, errorPresentation } from "../treeModel";
import { deployment } from "./fixtures";

describe("deploymentPresentation", () => {
  it("shows status, health, port and debug port of a debuggable deployment", () => {
    const row = deploymentPresentation(deployment());
    assert.equal(row.id, "deployment:my-ep/blue");
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
    assert.equal(row.icon, "circle-outline");
    assert.doesNotMatch(row.tooltip, /Debug port|Image|Health/);
  });

  it("marks starting, unhealthy and stopped deployments differently", () => {
    assert.equal(deploymentPresentation(deployment({ health: "starting" })).icon, "loading~spin");
    assert.equal(deploymentPresentation(deployment({ health: "unhealthy" })).icon, "warning");
    const exited = deploymentPresentation(deployment({ status: "exited", health: null, port: null }));
    assert.deepEqual([exited.icon, exited.description, exited.contextValue], ["error", "exited · debug :5678", "deployment"]);
  });
});

describe("endpointPresentation", () => {
  it("counts ready deployments", () => {
    const [endpoint] = groupByEndpoint([deployment(), deployment({ deployment: "green", health: "starting" })]);
    const row = endpointPresentation(endpoint);
    assert.deepEqual(
      [row.id, row.label, row.description, row.contextValue, row.tooltip],
      ["endpoint:my-ep", "my-ep", "1/2 deployments ready", "endpoint", "Endpoint my-ep: blue, green"],
    );
  });

  it("uses the singular for one deployment", () => {
    const [endpoint] = groupByEndpoint([deployment()]);
    assert.equal(endpointPresentation(endpoint).description, "1/1 deployment ready");
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
