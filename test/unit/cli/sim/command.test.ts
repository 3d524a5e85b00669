import { spawn } from "node:child_process";
import net from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import { CLI } from "../../../e2e/harness.ts";

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("vvcu sim", { timeout: 60_000 }, () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  it("publishes CAMs the decoder accepts, at the asked rate, and stops after --duration", async () => {
    const listener = await mqtt.connectAsync(url, { protocolVersion: 4 });
    const perStation = new Map<string, number>();
    listener.on("message", (topic, payload) => {
      const result = decode(topic, payload);
      if (!result.ok) throw new Error(result.rejection.reason);
      if (result.message.type === "cam") {
        perStation.set(result.message.stationId, (perStation.get(result.message.stationId) ?? 0) + 1);
      }
    });
    await listener.subscribeAsync("vanetza/out/cam", { qos: 0 });
    const result = await runCli(["sim", "--url", url, "--vehicles", "2", "--rate", "5", "--duration", "3"]);
    await listener.endAsync();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`connected to ${url}`);
    expect([...perStation.keys()].sort()).toEqual(["1001", "1002"]);
    // 3 s at 5 Hz, give or take the start-up and the last tick.
    for (const count of perStation.values()) {
      expect(count).toBeGreaterThanOrEqual(10);
      expect(count).toBeLessThanOrEqual(16);
    }
  });

  it("refuses a rate above 10 Hz with the reason", async () => {
    const result = await runCli(["sim", "--url", url, "--rate", "20", "--duration", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rate must be between 1 and 10 Hz, got 20");
  });
});
