import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  attachConfigurationName,
  buildAttachConfiguration,
  configuredTransport,
  debuggableRow,
  isChildConfiguration,
  localepConfiguration,
  runsWithoutDebug,
  whyNotAttachable,
} from "../attachConfig";
import { deployment } from "./fixtures";

describe("buildAttachConfiguration", () => {
  it("attaches through the published debug port and maps the code folder", () => {
    assert.deepEqual(buildAttachConfiguration(deployment()), {
      name: "localep: attach my-ep/blue",
      type: "localep",
      request: "attach",
      deployment: "/abs/blue.yml",
      transport: { host: "127.0.0.1", port: 5678 },
      pathMappings: [{ localRoot: "/abs/path/src", remoteRoot: "/var/azureml-app/src" }],
      subProcess: true,
      justMyCode: false,
    });
  });

  it("prefers the deployment's debug socket when the CLI reports one", () => {
    const config = buildAttachConfiguration(deployment({ debugSocket: "/run/u/blue.sock" }));
    assert.deepEqual(config.transport, { socket: "/run/u/blue.sock" });
    assert.equal(whyNotAttachable(deployment({ debugPort: null, debugSocket: "/run/u/blue.sock" })), null);
  });

  it("uses the same name as the launch.json entry localep writes", () => {
    assert.equal(attachConfigurationName("ep", "green"), "localep: attach ep/green");
  });

  it("refuses a deployment started without --debug", () => {
    const plain = deployment({ debugPort: null });
    assert.match(whyNotAttachable(plain)!, /my-ep\/blue was not started with --debug/);
    assert.throws(() => buildAttachConfiguration(plain), /cannot attach the debugger: .*--debug/);
  });

  it("refuses a deployment that is not running", () => {
    assert.equal(whyNotAttachable(deployment({ status: "exited" })), "my-ep/blue is exited, not running");
  });

  it("refuses a deployment with no code folder to map", () => {
    assert.match(whyNotAttachable(deployment({ remoteCodeDir: null }))!, /no code folder/);
    assert.match(whyNotAttachable(deployment({ codeDir: null }))!, /no code folder/);
  });

  it("accepts a running deployment whose health is still starting", () => {
    assert.equal(whyNotAttachable(deployment({ health: "starting" })), null);
  });
});

describe("buildAttachConfiguration options", () => {
  it("takes the launch.json entry's name and justMyCode", () => {
    const config = buildAttachConfiguration(deployment(), { name: "mine", justMyCode: true });
    assert.deepEqual([config.name, config.justMyCode, config.subProcess], ["mine", true, true]);
  });
});

describe("debuggableRow", () => {
  it("picks the running first replica with a debug port started from the file", () => {
    const rows = [
      deployment({ instance: 1 }),
      deployment({ instance: 0 }),
      deployment({ deployment: "green", specFile: "/abs/green.yml" }),
    ];
    assert.equal(debuggableRow(rows, "/abs/blue.yml")?.instance, 0);
  });

  it("finds nothing when the deployment runs without --debug or is stopped", () => {
    assert.equal(debuggableRow([deployment({ debugPort: null })], "/abs/blue.yml"), undefined);
    assert.equal(debuggableRow([deployment({ status: "exited" })], "/abs/blue.yml"), undefined);
    assert.equal(debuggableRow([deployment()], "/elsewhere/blue.yml"), undefined);
  });
});

describe("child sessions", () => {
  it("reads the transport debugpy copied into a worker's configuration, and knows the worker by subProcessId", () => {
    const parent = buildAttachConfiguration(deployment()) as unknown as Record<string, unknown>;
    const child = { ...parent, name: "Subprocess 42", subProcessId: 42, connect: { host: "127.0.0.1", port: 5678 } };
    assert.deepEqual(configuredTransport(child), { host: "127.0.0.1", port: 5678 });
    assert.equal(isChildConfiguration(child), true);
    assert.equal(isChildConfiguration(parent), false);
    assert.deepEqual(configuredTransport({ transport: { socket: "/s" } }), { socket: "/s" });
    assert.equal(configuredTransport({ connect: { port: 1 } }), null);
  });
});

describe("runsWithoutDebug", () => {
  it("finds the running row of the file that has neither a debug port nor a socket", () => {
    assert.equal(runsWithoutDebug([deployment()], "/abs/blue.yml"), undefined);
    assert.equal(runsWithoutDebug([deployment({ debugPort: null })], "/abs/blue.yml")?.deployment, "blue");
    assert.equal(runsWithoutDebug([deployment({ debugPort: null, status: "exited" })], "/abs/blue.yml"), undefined);
  });
});

describe("localepConfiguration", () => {
  it("is the launch.json entry of the localep debug type", () => {
    assert.deepEqual(localepConfiguration("${workspaceFolder}/blue.yml", "blue.yml"), {
      type: "localep", request: "attach", name: "localep: debug blue.yml", deployment: "${workspaceFolder}/blue.yml",
    });
  });
});
