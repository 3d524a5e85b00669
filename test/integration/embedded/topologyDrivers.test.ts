/**
 * `vvcu start` with the topology's drivers: a topology whose MECs use osm migrates through the
 * OSM NBI (the stand-in of test/integration/drivers, real paths and shapes) and the API shows its
 * operation ids; what cannot be built is refused with one sentence, never run as local.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type RunningStack, type StackOptions, startStack } from "../../../cli/embedded/stack.ts";
import { loadConfig } from "../../../functions/lib/config.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import { loadTopology } from "../../../functions/lib/topology.ts";
import { connect, eventually, getJson, postJson, publishCam } from "../../e2e/harness.ts";
import { freePort } from "../../helpers/servers.ts";
import { snapshotOf } from "../../unit/twin/remote/fixtures.ts";
import { FakeOsmNbi } from "../migration/drivers/fakeOsmNbi.ts";
import { startTwinCnf, type TwinCnf } from "../migration/drivers/twinCnf.ts";

const IN_MEC_A = { lat: 40.645, lon: -8.646 };
const STATION = 4711;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

/** The bundled Aveiro MECs with these extra settings per MEC, written to a file. */
async function topologyFile(defaults: object, extra: Record<string, object>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-topology-drivers-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const mecs = loadTopology().mecs.map((mec) => ({ ...mec, ...extra[mec.id] }));
  const file = path.join(dir, "topology.yaml");
  await writeFile(file, stringify({ defaults, mecs }));
  return file;
}

async function start(env: Record<string, string>, extra: Partial<StackOptions> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-journal-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = loadConfig({
    MQTT_PORT: String(await freePort()),
    VVCU_API_PORT: String(await freePort()),
    LOG_LEVEL: "silent",
    ...env,
  });
  const stack = await startStack({
    config,
    listenHost: "127.0.0.1",
    simVehicles: 0,
    simRateHz: 1,
    journalFile: path.join(dir, "migrations.jsonl"),
    ...extra,
  });
  cleanups.push(() => stack.close());
  return stack;
}

describe("vvcu start with the osm driver", { timeout: 60_000 }, () => {
  it("places the migrated twin through the OSM NBI and shows the NBI's operation ids", async () => {
    const nbi = new FakeOsmNbi();
    await nbi.start();
    cleanups.push(() => nbi.stop());
    const cnf: TwinCnf = await startTwinCnf("mec-b", String(STATION));
    cleanups.push(() => cnf.close());
    const file = await topologyFile(
      { driver: "osm" },
      {
        "mec-a": { osm: { vimAccount: "mec-a-vim" }, twinUrl: `http://127.0.0.1:${await freePort()}` },
        "mec-b": { osm: { vimAccount: "mec-b-vim" }, twinUrl: cnf.url },
      },
    );
    const stack: RunningStack = await start({
      VVCU_TOPOLOGY: file,
      OSM_NBI_URL: nbi.url,
      OSM_USERNAME: "vvcu",
      OSM_PASSWORD: "pw",
      OSM_PROJECT: "vvcu-project",
    });
    const client = await connect(stack.brokerUrl);
    await publishCam(client, STATION, { ...IN_MEC_A, speed: 0, heading: 0, timeMs: Date.now() });
    await client.endAsync();
    await eventually("the twin at mec-a", async () =>
      stack.homes.homeOf(String(STATION)) === "mec-a" ? true : undefined,
    );
    // The twin CNF stand-in serves the hydrated twin once OSM reports the NS READY.
    await cnf.host.hydrate(snapshotOf(String(STATION), "mec-a"));

    const asked = await postJson<Migration>(`${stack.apiUrl}/api/v1/twins/${STATION}/migrations`, {
      target: "mec-b",
    });
    expect(asked.status).toBe(202);
    expect(asked.body.driver).toBe("osm");
    const done = await eventually("the migration's end", async () => {
      const { body } = await getJson<Migration[]>(`${stack.apiUrl}/api/v1/migrations?twin=${STATION}`);
      return body[0]?.status === "running" ? undefined : body[0];
    });
    expect(done.status).toBe("completed");
    const created = [...nbi.instances.values()];
    expect(created.map((ns) => ns.name)).toEqual([`vvcu-twin-${STATION}-mec-b`]);
    const instantiate = [...nbi.operations.entries()].find(([, op]) => op.nsInstanceId === created[0]?._id);
    expect(done.operations).toEqual([
      { action: "place", mec: "mec-b", ref: `ns:${created[0]?._id}/op:${instantiate?.[0]}` },
      {
        action: "release",
        mec: "mec-a",
        ref: `name:vvcu-twin-${STATION}-mec-a (no NS instance recorded: none terminated)`,
      },
    ]);
    // The twin CNF subscribes to this stack's broker, and hydrates from mec-a's declared address.
    type Create = { additionalParamsForVnf: { additionalParamsForKdu: { additionalParams: object }[] }[] };
    const body = nbi.requests.find((request) => request.path === "/osm/nslcm/v1/ns_instances_content")
      ?.body as Create;
    expect(body.additionalParamsForVnf[0]?.additionalParamsForKdu[0]?.additionalParams).toMatchObject({
      mqttUrl: stack.brokerUrl,
      mecId: "mec-b",
      hydrateFrom: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/twins\/4711\/snapshot$/),
    });
  });
});

describe("vvcu start refuses a driver it cannot build, in one sentence", { timeout: 30_000 }, () => {
  it("osm without the OSM_* settings", async () => {
    const file = await topologyFile(
      { driver: "osm" },
      { "mec-a": { osm: { vimAccount: "a" } }, "mec-b": { osm: { vimAccount: "b" } } },
    );
    await expect(start({ VVCU_TOPOLOGY: file })).rejects.toThrow(
      "MECs mec-a, mec-b use the osm driver, which needs OSM_NBI_URL, OSM_USERNAME, OSM_PASSWORD or OSM_PASSWORD_FILE",
    );
  });

  it("kubernetes with a context the kubeconfig does not have", async () => {
    const file = await topologyFile(
      { driver: "local" },
      { "mec-b": { driver: "kubernetes", kubernetes: { context: "kind-mec-b" } } },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "a", server: "https://127.0.0.1:6443" }],
      users: [{ name: "a" }],
      contexts: [{ name: "kind-mec-a", cluster: "a", user: "a" }],
      currentContext: "kind-mec-a",
    });
    await expect(start({ VVCU_TOPOLOGY: file }, { kubeConfig })).rejects.toThrow(
      'MEC mec-b uses the kubernetes driver with context "kind-mec-b", which the kubeconfig (KUBECONFIG, else ~/.kube/config) does not have',
    );
  });
});
