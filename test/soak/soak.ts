/**
 * The soak: a stack (`vvcu start` as a child process, loopback only) run for a set time under
 * simulator load, with a steady trickle of every kind of bad input, a subscriber that never
 * reads, a PUBLISH declaring 200 MB (embedded broker) and a broker restart (Mosquitto at MQTT_URL).
 * It accounts for every message: each valid CAM applied once, each bad one dead-lettered with
 * the reason of its kind; and samples the stack's memory and event-loop lag.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { startSimulator } from "../../cli/sim/runner.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { DEFAULT_DEADLETTER_TOPIC } from "../../functions/lib/topics.ts";
import { getJson, type StackProcess, startStackProcess } from "../e2e/harness.ts";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { type BadKind, badRound, EXPECTED_CODE, matchKey } from "./badInput.ts";

export interface SoakOptions {
  durationS: number;
  vehicles: number;
  rateHz: number;
  /** "mosquitto": the stack at MQTT_URL, and the broker restarted halfway. */
  broker: "embedded" | "mosquitto";
  /** Rounds of bad input (one message of each kind) per second. */
  badRoundsPerSecond: number;
  sampleEveryS: number;
  progress?: (line: string) => void;
}

export interface Sample {
  atS: number;
  rssMb: number;
  /** The stack's event-loop lag since the previous sample (prom-client's histogram). */
  lagP99Ms: number;
  lagMaxMs: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, "progress">;
  camsPublished: number;
  /** Taken by their twins once each: applied, or counted as late (older than the twin's state). */
  camsApplied: number;
  /** CAM applications counted per MEC by the twins' metrics (a migration's overlap counts twice). */
  camApplications: number;
  camsLate: number;
  /** Redeliveries the twins recognised and ignored. */
  duplicatesIgnored: number;
  simDropped: number;
  simFailed: number;
  badSent: Record<BadKind | "forged", number>;
  /** Distinct dead letters per code (each MEC's bridge may report a message: counted once). */
  deadLetters: Record<string, number>;
  /** Bad messages without their dead letter, or with another code. */
  badUnaccounted: number;
  forgedDeadLettered: number;
  samples: Sample[];
  stuckSubscriberCut: boolean;
  oversizeConnectionClosed: boolean | undefined;
  brokerRestarts: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN) / 1024;
}

/** The event-loop lag since the last scrape: one scrape, as each resets prom-client's histogram. */
async function eventLoopLagMs(apiUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const value = (name: string) => {
    const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1)) * 1000;
  };
  return {
    p99: value("vvcu_process_nodejs_eventloop_lag_p99_seconds"),
    max: value("vvcu_process_nodejs_eventloop_lag_max_seconds"),
  };
}

/**
 * Distinct CAMs counted by the twins (`messages.cam`, applied or late; a migration hands the
 * count on with the twin). The stack runs with twins kept for an hour without messages, so
 * none expires while the soak waits for the backlog.
 */
async function camsCounted(apiUrl: string): Promise<number> {
  const { body } = await getJson<Twin[]>(`${apiUrl}/api/v1/twins`);
  return body.reduce((sum, twin) => sum + twin.messages.cam, 0);
}

/**
 * The twins' counters from /metrics, summed over MECs: CAMs applied, events that came late and
 * duplicates (a redelivery) ignored. During a migration both the source and the target apply
 * the events between the snapshot's cut and the switch, so these count a little more than
 * `camsCounted`.
 */
async function twinCounts(apiUrl: string): Promise<{ cams: number; late: number; duplicates: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const counts = { cams: 0, late: 0, duplicates: 0 };
  for (const line of text.split("\n")) {
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("vvcu_twin_events_applied_total{") && line.includes('type="cam"'))
      counts.cams += value;
    else if (line.startsWith("vvcu_twin_events_ignored_total{") && line.includes('reason="late"'))
      counts.late += value;
    else if (line.startsWith("vvcu_twin_events_ignored_total{") && line.includes('reason="duplicate"'))
      counts.duplicates += value;
  }
  return counts;
}

function client(url: string, clientId: string): Promise<MqttClient> {
  // A persistent session: what the broker holds for it survives the broker's restart.
  return mqtt.connectAsync(url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 500 });
}

/** A raw client that subscribes to everything and never reads again; resolves once subscribed. */
async function stuckSubscriber(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "soak-stuck",
      clean: true,
      keepalive: 0,
    }),
  );
  socket.write(
    mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] }),
  );
  await sleep(200);
  socket.pause();
  return socket;
}

/** A PUBLISH declaring 200 MB, trickled; resolves whether the broker closed it within `ms`. */
async function oversizePublish(url: string, ms: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => {});
  let closed = false;
  socket.once("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "soak-oversize",
      clean: true,
      keepalive: 0,
    }),
  );
  socket.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f]));
  const until = Date.now() + ms;
  const chunk = Buffer.alloc(64 * 1024, 65);
  while (!closed && Date.now() < until) {
    socket.write(chunk);
    await sleep(20);
  }
  socket.destroy();
  return closed;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.progress ?? (() => {});
  let mosquitto: RunningServer | undefined;
  let stack: StackProcess | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    if (options.broker === "mosquitto") mosquitto = await startMosquitto();
    stack = await startStackProcess({
      VVCU_SIM: "0",
      LOG_LEVEL: "warn",
      VVCU_TWIN_EXPIRE_AFTER_S: "3600",
      ...(mosquitto ? { MQTT_URL: mosquitto.url } : {}),
    });
    const running = stack;
    const pid = running.pid as number;
    const brokerUrl = running.brokerUrl;
    log(`stack up: ${running.apiUrl}, broker ${brokerUrl}`);

    const sent = new Map<string, BadKind | "forged">();
    const badSent: Record<BadKind | "forged", number> = {
      garbage: 0,
      oversize: 0,
      future: 0,
      unknownTopic: 0,
      forged: 0,
    };
    const letters = new Map<string, string>();
    const listener = await client(brokerUrl, `soak-deadletters-${process.pid}`);
    closers.push(() => listener.endAsync(true));
    listener.on("message", (_topic, payload) => {
      const letter = JSON.parse(payload.toString()) as { code: string; topic: string; payload: string };
      letters.set(matchKey(letter.topic, letter.payload), letter.code);
    });
    await listener.subscribeAsync(DEFAULT_DEADLETTER_TOPIC, { qos: 1 });

    const stuck = await stuckSubscriber(brokerUrl);
    let stuckCut = false;
    stuck.once("end", () => {
      stuckCut = true;
    });
    stuck.once("close", () => {
      stuckCut = true;
    });
    closers.push(async () => stuck.destroy());

    const publisher = await client(brokerUrl, `soak-sim-${process.pid}`);
    closers.push(() => publisher.endAsync(true));
    const simulator = startSimulator({
      client: publisher,
      vehicles: options.vehicles,
      rateHz: options.rateHz,
      qos: 1,
      seed: 7,
    });

    const bad = await client(brokerUrl, `soak-bad-${process.pid}`);
    closers.push(() => bad.endAsync(true));
    let round = 0;
    const badTimer = setInterval(() => {
      for (const message of badRound(round++, Date.now())) {
        bad.publishAsync(message.topic, message.payload, { qos: 1 }).then(
          () => {
            sent.set(matchKey(message.topic, message.payload.toString("utf8")), message.kind);
            badSent[message.kind]++;
          },
          () => {},
        );
      }
    }, 1_000 / options.badRoundsPerSecond);

    const samples: Sample[] = [];
    const startedAt = Date.now();
    const sample = async () => {
      const lag = await eventLoopLagMs(running.apiUrl);
      samples.push({
        atS: Math.round((Date.now() - startedAt) / 1000),
        rssMb: rssMb(pid),
        lagP99Ms: lag.p99,
        lagMaxMs: lag.max,
      });
      const last = samples.at(-1) as Sample;
      log(
        `${last.atS} s: rss ${last.rssMb.toFixed(0)} MB, lag p99 ${last.lagP99Ms.toFixed(1)} ms, max ${last.lagMaxMs.toFixed(1)} ms, sim ${JSON.stringify(simulator.stats().published)}`,
      );
    };
    await eventLoopLagMs(running.apiUrl);
    let oversizeClosed: boolean | undefined;
    let brokerRestarts = 0;
    const endAt = startedAt + options.durationS * 1000;
    const halfway = startedAt + (options.durationS * 1000) / 2;
    let nextSample = startedAt + options.sampleEveryS * 1000;
    while (Date.now() < endAt) {
      await sleep(250);
      if (oversizeClosed === undefined && options.broker === "embedded" && Date.now() > startedAt + 2_000) {
        oversizeClosed = await oversizePublish(brokerUrl, 5_000);
        log(`200 MB PUBLISH: ${oversizeClosed ? "closed by the broker" : "NOT closed"}`);
      }
      if (mosquitto && brokerRestarts === 0 && Date.now() > halfway) {
        log("restarting Mosquitto");
        await mosquitto.restart();
        brokerRestarts++;
      }
      if (Date.now() >= nextSample) {
        nextSample += options.sampleEveryS * 1000;
        await sample().catch((error: unknown) => log(`sample failed: ${String(error)}`));
      }
    }
    clearInterval(badTimer);
    await simulator.stop();
    const published = simulator.stats();
    log(`load stopped: ${published.published.cam} CAMs published, ${round} bad rounds`);

    // Drained: every CAM applied and every bad message's letter in, or 60 s without progress.
    let applied = 0;
    let counts = { cams: 0, late: 0, duplicates: 0 };
    let lastChange = Date.now();
    let previous = -1;
    while (Date.now() - lastChange < 60_000) {
      counts = await twinCounts(running.apiUrl).catch(() => counts);
      applied = await camsCounted(running.apiUrl).catch(() => applied);
      const lettersIn = [...sent.keys()].filter((key) => letters.has(key)).length;
      const progress = applied + lettersIn;
      if (progress !== previous) {
        previous = progress;
        lastChange = Date.now();
      }
      if (applied >= published.published.cam && lettersIn >= sent.size - badSent.forged) break;
      await sleep(500);
    }
    await sample().catch(() => {});
    // A subscriber the broker cut off sees the end of its stream once it reads again.
    stuck.resume();
    await sleep(1_000);

    const deadLetters: Record<string, number> = {};
    for (const code of letters.values()) deadLetters[code] = (deadLetters[code] ?? 0) + 1;
    let badUnaccounted = 0;
    let forgedDeadLettered = 0;
    for (const [key, kind] of sent) {
      const code = letters.get(key);
      if (kind === "forged") forgedDeadLettered += code === undefined ? 0 : 1;
      else if (code !== EXPECTED_CODE[kind]) badUnaccounted++;
    }
    const { progress: _progress, ...reported } = options;
    return {
      options: reported,
      camsPublished: published.published.cam,
      camsApplied: applied,
      camApplications: counts.cams + counts.late,
      camsLate: counts.late,
      duplicatesIgnored: counts.duplicates,
      simDropped: published.dropped,
      simFailed: published.failed,
      badSent,
      deadLetters,
      badUnaccounted,
      forgedDeadLettered,
      samples,
      stuckSubscriberCut: stuckCut,
      oversizeConnectionClosed: oversizeClosed,
      brokerRestarts,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await stack?.stop();
    await mosquitto?.dispose();
  }
}

/** Percentile `p` (0 to 1) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}
