import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerDetails, answerFileExtension, statusLine } from "../answerModel";
import { InvokeAnswer } from "../localepCli";
import { parseReplayReport, reportHtml, reportSummary } from "../replayReport";
import { formatShares, parseShares, splitPresets } from "../trafficModel";

const answer: InvokeAnswer = {
  status: 200, bodyText: "[58.0, 41.75]", headers: { "Content-Type": "application/json", "x-request-id": "r1" },
  deployment: "blue", latencyMs: 12.4, url: "http://127.0.0.1:31234/score",
};

describe("invoke answer tabs", () => {
  it("gives a JSON answer a .json tab and anything else .txt", () => {
    assert.equal(answerFileExtension(answer), ".json");
    assert.equal(answerFileExtension({ ...answer, headers: { "content-type": "text/plain" } }), ".txt");
  });

  it("puts status, latency, deployment and every header beside the body", () => {
    assert.equal(statusLine(answer), "HTTP 200 OK (12 ms, deployment blue)");
    assert.equal(answerDetails("my-ep", answer),
      "# my-ep\nPOST http://127.0.0.1:31234/score\n\nHTTP 200 OK (12 ms, deployment blue)\nContent-Type: application/json\nx-request-id: r1\n");
  });
});

describe("traffic splits", () => {
  it("reads DEPLOYMENT=PERCENT pairs that add up to 100", () => {
    assert.deepEqual(parseShares("blue=90 green=10"), { blue: 90, green: 10 });
    assert.deepEqual(parseShares("blue=50%, green=50%"), { blue: 50, green: 50 });
    assert.throws(() => parseShares("blue=90 green=20"), /add up to 110, not 100/);
    assert.throws(() => parseShares("blue"), /not DEPLOYMENT=PERCENT/);
    assert.throws(() => parseShares(" "), /at least one deployment/);
  });

  it("offers all-to-one and canary steps", () => {
    assert.deepEqual(splitPresets(["blue"]), [{ blue: 100 }]);
    assert.deepEqual(splitPresets(["blue", "green"]).map(formatShares), [
      "blue 100% · green 0%", "blue 0% · green 100%", "blue 90% · green 10%", "blue 50% · green 50%", "blue 10% · green 90%",
    ]);
    assert.deepEqual(splitPresets(["a", "b", "c"])[3], { a: 34, b: 33, c: 33 });
  });
});

describe("replay report", () => {
  const report = parseReplayReport({
    summary: { total: 3, passed: 2, failed: 1, unchecked: 1 },
    latency_ms: { p50: 4.2 },
    cases: [
      { name: "ok", passed: true, checked: true, status: 200, latency_ms: 3.2, deployment: "blue", differences: [] },
      { name: "<b>bad</b>", passed: false, checked: true, status: 200, differences: [{ path: "$[0]", reason: "58.0 != 57.0" }] },
      { name: "loose", passed: true, checked: false, status: 200, differences: [] },
    ],
  });

  it("summarises passes and failures", () => {
    assert.equal(reportSummary(report), "2 passed, 1 failed, 1 unchecked of 3");
  });

  it("renders one escaped row per request with its verdict", () => {
    const html = reportHtml("Smoke test of blue.yml", report);
    assert.equal((html.match(/<tr class="(pass|fail|unchecked)">/g) ?? []).length, 3);
    assert.match(html, /<tr class="fail"><td class="verdict">FAIL<\/td><td>&#60;b&#62;bad&#60;\/b&#62;<\/td>/);
    assert.match(html, /\$\[0\]: 58\.0 != 57\.0/);
    assert.match(html, /default-src 'none'/);
  });

  it("rejects a document that is not a report", () => {
    assert.throws(() => parseReplayReport({}), /no "cases" list/);
  });
});
