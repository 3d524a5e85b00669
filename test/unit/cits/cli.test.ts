import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FIXTURE_DIR, FIXTURE_TOPICS, fixtureText } from "./fixtures.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin", "vvcu.js");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vvcu(args: string[], stdin?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? "");
  });
}

describe("vvcu decode", () => {
  it("--explain lists what was dropped from a real vanetza-nap CPM, and why", async () => {
    const file = path.join(ROOT, "test/fixtures/conformance/vanetza-nap/out_cpm.json");
    const { code, stdout, stderr } = await vvcu(["decode", "--explain", "--topic", "vanetza/out/cpm", file]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ type: "cpm", stationId: "229" });
    expect(stderr).toContain("dropped 1 part:");
    expect(stderr).toContain("unused at fields.payload.cpmContainers.1.containerData");
    expect(stderr).toContain("sensorInformationContainer (containerId 3): vvcu does not use it");
  });

  it("--explain says so when nothing was dropped", async () => {
    const cam = {
      stationID: 5,
      fields: {
        cam: {
          camParameters: { basicContainer: { referencePosition: { latitude: 40.6, longitude: -8.6 } } },
        },
      },
    };
    const { code, stderr } = await vvcu(
      ["decode", "--explain", "--topic", "vanetza/out/cam"],
      JSON.stringify(cam),
    );
    expect(code).toBe(0);
    expect(stderr).toContain("nothing dropped");
  });

  it("decodes a fixture file (no --topic: the payload decides) and exits 0", async () => {
    const { code, stdout, stderr } = await vvcu(["decode", path.join(FIXTURE_DIR, "vanetza-out-cam.json")]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const message = JSON.parse(stdout);
    expect(message).toMatchObject({
      type: "cam",
      stationId: "1042",
      timeMs: 1764316800120,
      origin: { topic: "", dialect: "vanetza-out", units: "transformed" },
      position: { lat: 40.6405123, lon: -8.6537891, alt: 12.35 },
      speed: 13.89,
      heading: 87.4,
    });
  });

  it("decodes stdin with --topic", async () => {
    const topic = FIXTURE_TOPICS["its-center-cam.json"] as string;
    const { code, stdout } = await vvcu(["decode", "--topic", topic], fixtureText("its-center-cam.json"));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      type: "cam",
      stationId: "33",
      origin: { dialect: "its-center", quadkey: "033102120312301223", units: "raw" },
      position: { lat: 40.638, lon: -8.657, alt: 15 },
      speed: 8.33,
    });
  });

  it("prints the rejection reason on stderr and exits 1", async () => {
    const { code, stdout, stderr } = await vvcu(["decode", "--topic", "vanetza/out/cam"], '{"fields": ');
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^vvcu decode: rejected \(not-json\): payload is not JSON: /);
  });

  it("names an unreadable file and exits 1", async () => {
    const { code, stderr } = await vvcu(["decode", path.join(FIXTURE_DIR, "no-such-file.json")]);
    expect(code).toBe(1);
    expect(stderr).toContain("no-such-file.json");
  });
});
