import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupByEndpoint } from "../psModel";
import { deploymentPresentation, endpointPresentation, errorPresentation } from "../treeModel";
import { deployment } from "./fixtures";

describe("deploymentPresentation", () => {
  it("shows the debug port first, then health, traffic share and restarts", () => {
    const row = deploymentPresentation(deployment({ restarts: 2, traffic: 90, mirrorTraffic: 10 }));
    assert.equal(row.id, "deployment:my-ep/blue#0");
    assert.equal(row.label, "blue");
    assert.equal(row.description, "debug :5678 · ready · 90% +10% mirror · 2 restarts");
    assert.equal(row.contextValue, "deployment debuggable hasSpec");
    assert.deepEqual([row.icon, row.iconColor], ["pass-filled", "testing.iconPassed"]);
    assert.match(row.tooltip, /^Deployment: my-ep\/blue\nStatus: running\nHealth: ready\nTraffic: 90% \(\+10% mirrored\)\nRestarts: 2\nScoring URL: http:\/\/127\.0\.0\.1:31234\/score\n/);
  });

  it("says nothing of restarts while there were none, nor of traffic without a gateway", () => {
    assert.equal(deploymentPresentation(deployment({ restarts: 0 })).description, "debug :5678 · ready · 100%");
    assert.equal(deploymentPresentation(deployment({ restarts: 1 })).description, "debug :5678 · ready · 100% · 1 restart");
    assert.equal(deploymentPresentation(deployment({ traffic: null, restarts: null })).description, "debug :5678 · ready");
  });

  it("leaves out what is unknown and is not debuggable without a debug port", () => {
    const row = deploymentPresentation(deployment({ debugPort: null, health: null, image: null, specFile: null }));
    assert.equal(row.description, "100%");
    assert.equal(row.contextValue, "deployment");
    assert.equal(row.icon, "vm-running");
    assert.doesNotMatch(row.tooltip, /Debug port|Image|Health/);
  });

  it("tells replicas apart in label, id and tooltip", () => {
    const first = deploymentPresentation(deployment({ instance: 0 }));
    const third = deploymentPresentation(deployment({ instance: 2 }));
    assert.deepEqual([first.label, third.label], ["blue", "blue #3"], "numbered like `localep ps` and the containers");
    assert.notEqual(first.id, third.id);
    assert.match(third.tooltip, /^Deployment: my-ep\/blue #3\n/);
  });

  it("marks starting, unhealthy, stopped and unknown deployments differently", () => {
    assert.equal(deploymentPresentation(deployment({ status: "unknown", health: null })).icon, "circle-outline");
    assert.equal(deploymentPresentation(deployment({ health: "starting" })).icon, "loading~spin");
    assert.equal(deploymentPresentation(deployment({ health: "unhealthy" })).icon, "warning");
    const exited = deploymentPresentation(deployment({ status: "exited", health: null, port: null, traffic: null }));
    assert.deepEqual([exited.icon, exited.description, exited.contextValue], ["error", "debug :5678 · exited", "deployment hasSpec"]);
  });

  it("shows the gateway's restarting and crash-looping statuses", () => {
    const restarting = deploymentPresentation(deployment({ status: "restarting", restarts: 3 }));
    assert.deepEqual([restarting.icon, restarting.description], ["loading~spin", "debug :5678 · restarting · 100% · 3 restarts"]);
    const crashing = deploymentPresentation(deployment({ status: "crash-looping", restarts: 5, debugPort: null }));
    assert.deepEqual([crashing.icon, crashing.iconColor, crashing.description],
      ["error", "list.errorForeground", "crash-looping · 100% · 5 restarts"]);
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
      ["endpoint:my-ep", "my-ep", ":31234 · 3/4 containers running, 1 not ready", "endpoint",
        "Endpoint my-ep at http://127.0.0.1:31234/score: blue, blue #2, green, red"],
    );
  });

  it("uses the singular for one container", () => {
    const [endpoint] = groupByEndpoint([deployment()]);
    assert.equal(endpointPresentation(endpoint).description, ":31234 · 1/1 container running");
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
