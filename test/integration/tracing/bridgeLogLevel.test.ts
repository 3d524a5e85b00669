/**
 * `vvcu bridge` as a cluster runs it (JSON logs on stdout): `--log-level` wins over LOG_LEVEL,
 * and at debug the line of each forwarded event carries the trace id the event itself carries
 * to the sink, so the sink's side (a function's logs) and the bridge's can be joined.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import { traceIdOf } from "../../../functions/lib/tracing.ts";
import { CLI } from "../../e2e/harness.ts";
import { type RunningServer, startMosquitto } from "../../helpers/servers.ts";
import { vanetzaCam } from "../../unit/bridge/samples.ts";
import { connectClient, startSink, type TestSink, waitFor } from "../bridge/harness.ts";

interface LogLine {
  level: number;
  msg?: string;
  stationId?: string;
  traceId?: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

/** Runs the bridge until `stationId`'s CAM reached the sink; resolves with its JSON log lines. */
async function bridgeLogsFor(
  broker: RunningServer,
  sink: TestSink,
  stationId: number,
  args: string[],
  env: Record<string, string>,
): Promise<LogLine[]> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "bridge", ...args], {
    env: {
      PATH: process.env.PATH,
      MQTT_URL: broker.url,
      K_SINK: sink.url,
      VVCU_MEC_ID: "mec-log",
      VVCU_BRIDGE_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.push(async () => {
    child.kill("SIGKILL");
    await exited;
  });
  const publisher: MqttClient = await connectClient(broker.url);
  cleanups.push(() => publisher.endAsync());
  // The bridge's session may not exist yet: publish until the sink has the station's event.
  const received = () => sink.received.some((r) => r.event.subject === String(stationId));
  for (let sequence = 1; !received(); sequence++) {
    if (sequence > 200) throw new Error(`the bridge forwarded nothing:\n${stdout}`);
    await publisher.publishAsync("vanetza/out/cam", vanetzaCam(stationId, sequence), { qos: 1 });
    await waitFor("the event at the sink", received, 250).catch(() => undefined);
  }
  child.kill("SIGTERM");
  await exited;
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

describe("vvcu bridge logs", () => {
  it("follow --log-level over LOG_LEVEL, and name each forwarded event's station and trace at debug", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const sink = await startSink();
    cleanups.push(() => sink.close());

    const debug = await bridgeLogsFor(broker, sink, 81, ["--log-level", "debug"], { LOG_LEVEL: "warn" });
    const event = sink.received.find((r) => r.event.subject === "81")?.event;
    const traceId = traceIdOf(event?.[EXTENSIONS.traceparent]);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const forwarded = debug.filter((line) => line.msg === "forwarded" && line.traceId === traceId);
    expect(forwarded.map((line) => line.stationId)).toEqual(["81"]);
    expect(debug.some((line) => line.msg === "bridge started")).toBe(true);

    const quiet = await bridgeLogsFor(broker, sink, 82, [], { LOG_LEVEL: "warn" });
    expect(quiet.filter((line) => line.level < 40)).toEqual([]);
  }, 120_000);
});
