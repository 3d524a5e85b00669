/**
 * Done-when 1: the broker restarts in the middle of a QoS 1 stream; every message published before,
 * during and after reaches the sink, per station in order (duplicates allowed, counted).
 */
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../../bridges/mqtt/bridge.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { httpTransport } from "../../../functions/lib/runtime/emit/httpTransport.ts";
import { startMosquitto } from "../../helpers/servers.ts";
import { vanetzaCam } from "../../unit/bridge/samples.ts";
import {
  connectClient,
  firstDeliveries,
  startAedes,
  startSink,
  type TestBroker,
  waitFor,
} from "./harness.ts";

const STATIONS = [101, 102, 103, 104, 105];
const PER_PHASE = 40;

/**
 * Aedes resumes a session by replaying its stored queue while already delivering live messages,
 * so a publisher that reconnects at the same moment can overtake the replay (broker behaviour; the
 * bridge receives them in that order). Against Aedes the publisher therefore comes back only after
 * the replay: its "during" messages are still published while the broker is down.
 */
const brokers: {
  name: string;
  protocolVersion: 4 | 5;
  start: () => Promise<TestBroker>;
  replayRaces: boolean;
}[] = [
  {
    name: "Mosquitto",
    protocolVersion: 5,
    start: async () => {
      const server = await startMosquitto();
      return { url: server.url, restart: () => server.restart(), stop: () => server.dispose() };
    },
    replayRaces: false,
  },
  { name: "Aedes", protocolVersion: 4, start: startAedes, replayRaces: true },
];

describe.each(brokers)("bridge across a $name restart", ({ name, protocolVersion, start, replayRaces }) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  });

  it("delivers everything published before, during and after, in order per station", async () => {
    const broker = await start();
    cleanups.push(() => broker.stop());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const mec = `restart-${name.toLowerCase()}`;
    const bridge: RunningBridge = await startBridge({
      mec,
      mqtt: { url: broker.url, protocolVersion, topics: ["vanetza/out/+"] },
      sink: httpTransport({ url: sink.url }),
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());

    const publisher: MqttClient = await connectClient(broker.url, {
      clientId: `publisher-${mec}`,
      protocolVersion,
      ...(replayRaces ? { reconnectPeriod: 0 } : {}),
    });
    cleanups.push(() => publisher.endAsync());
    let next = 0;
    const publishPhase = () => {
      const sent: Promise<unknown>[] = [];
      for (let i = 0; i < PER_PHASE; i++, next++) {
        for (const station of STATIONS) {
          // While the broker is down mqtt.js keeps these and sends them when it is back.
          sent.push(publisher.publishAsync("vanetza/out/cam", vanetzaCam(station, next), { qos: 1 }));
        }
      }
      return sent;
    };

    const distinct = () => new Set(sink.received.map((r) => r.event.id)).size;
    await Promise.all(publishPhase()); // before
    const during = broker.restart();
    const duringSent = publishPhase(); // while it goes down and comes back
    await during;
    if (replayRaces) {
      await waitFor("the replay of the resumed session", () => distinct() === STATIONS.length * PER_PHASE);
      // mqtt.js keeps the messages published while offline in its outgoing store; keep that store.
      publisher.reconnect({ incomingStore: publisher.incomingStore, outgoingStore: publisher.outgoingStore });
    }
    await Promise.all(duringSent);
    await Promise.all(publishPhase()); // after

    const total = STATIONS.length * next;
    await waitFor(`${total} distinct events at the sink`, () => distinct() === total, 25_000);

    const { perStation, duplicates } = firstDeliveries(sink.received, (event) => {
      const data = event.data as CitsMessage;
      return Math.round(data.sequence - 1_700_000_000_000);
    });
    for (const station of STATIONS) {
      expect(perStation.get(String(station))).toEqual([...Array(next).keys()]);
    }
    expect(duplicates).toBe(sink.received.length - total);
    // The sink records an event before its answer reaches the bridge: wait for the counts to meet.
    await waitFor(
      "the bridge to count every delivery",
      () => bridge.stats().forwarded === sink.received.length,
    );
    console.info(
      `${name}: ${total} messages, ${duplicates} duplicates, ${bridge.stats().redelivered} redelivered by the broker`,
    );
  });
});
