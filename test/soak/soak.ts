/**
 * The soak: a stack (`vvcu start` as a child process, loopback only) run for a set time under
 * simulator load, with a steady trickle of every kind of bad input, a subscriber that never
 * reads, a PUBLISH declaring 200 MB (embedded broker) and a broker restart (Mosquitto at MQTT_URL).
 * It accounts for every message: each valid CAM applied once, each bad one dead-lettered with
 * the reason of its kind; and samples the stack's memory and event-loop lag.
 */
import { startSimulator } from "../../cli/sim/runner.ts";
import { DEFAULT_DEADLETTER_TOPIC } from "../../functions/lib/topics.ts";
import { type StackProcess, startStackProcess } from "../e2e/harness.ts";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { type BadKind, badRound, EXPECTED_CODE, matchKey } from "./badInput.ts";
import {
  camsCounted,
  client,
  eventLoopLagMs,
  oversizePublish,
  rssMb,
  sleep,
  stuckSubscriber,
  twinCounts,
} from "./probes.ts";

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
  badSent: Record<BadKind, number>;
  /** Distinct dead letters per code (each MEC's bridge may report a message: counted once). */
  deadLetters: Record<string, number>;
  /** Bad messages without their dead letter, or with another code. */
  badUnaccounted: number;
  samples: Sample[];
  stuckSubscriberCut: boolean;
  oversizeConnectionClosed: boolean | undefined;
  brokerRestarts: number;
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

    const sent = new Map<string, BadKind>();
    const badSent: Record<BadKind, number> = {
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
      if (applied >= published.published.cam && lettersIn >= sent.size) break;
      await sleep(500);
    }
    await sample().catch(() => {});
    // A subscriber the broker cut off sees the end of its stream once it reads again.
    stuck.resume();
    await sleep(1_000);

    const deadLetters: Record<string, number> = {};
    for (const code of letters.values()) deadLetters[code] = (deadLetters[code] ?? 0) + 1;
    let badUnaccounted = 0;
    for (const [key, kind] of sent) {
      const code = letters.get(key);
      if (code !== EXPECTED_CODE[kind]) badUnaccounted++;
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
