import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/servers.ts";
import { runStartExpectingExit } from "./harness.ts";

describe("vvcu start refuses to start with a clear reason", { timeout: 60_000 }, () => {
  let busy: net.Server;
  let busyPort: number;
  let dir: string;

  beforeAll(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-startup-"));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const journal = () => ({ VVCU_MIGRATION_JOURNAL: path.join(dir, "journal.jsonl") });

  it("names the busy API port and the variable to change", async () => {
    const result = await runStartExpectingExit({
      ...journal(),
      VVCU_API_PORT: String(busyPort),
      MQTT_PORT: String(await freePort()),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${busyPort} is already in use; set VVCU_API_PORT to a free port`);
  });

  it("names the busy broker port and the variable to change", async () => {
    const result = await runStartExpectingExit({
      ...journal(),
      VVCU_API_PORT: String(await freePort()),
      MQTT_PORT: String(busyPort),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `embedded MQTT broker: port ${busyPort} is already in use; set MQTT_PORT`,
    );
  });

  it("says which broker it cannot reach", async () => {
    const nobody = await freePort();
    const result = await runStartExpectingExit({
      ...journal(),
      VVCU_API_PORT: String(await freePort()),
      MQTT_URL: `mqtt://127.0.0.1:${nobody}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `cannot reach the MQTT broker at mqtt://127\\.0\\.0\\.1:${nobody} within \\d+ ms.*check MQTT_URL`,
      ),
    );
  });

  it("names the topology file, the place in it and the problem", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(
      file,
      "mecs:\n  - id: mec-a\n    zone: {type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 1]]]}\n",
    );
    const result = await runStartExpectingExit({
      ...journal(),
      VVCU_API_PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      VVCU_TOPOLOGY: file,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("VVCU_TOPOLOGY: invalid topology");
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/mecs\[0\]\.zone/);
  });
});
