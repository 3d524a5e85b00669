/**
 * `bridge`: CAMs per second from MQTT publish to acknowledged at a local CloudEvents HTTP sink,
 * and the latency at the aimed rate, next to a naive bridge (one request at a time, no keep-alive,
 * no concurrency) measured in the same run, and the floors of this machine in the same run: direct
 * keep-alive POSTs to the same sink (no MQTT, no bridge) and the CPU time each party spends per CAM.
 * Broker (Mosquitto; Aedes where it is missing), publisher and sink run in their own processes, so
 * the bench process holds only the bridge and its CPU time per CAM is its own.
 */
import type { MqttClient } from "mqtt";
import { startBridge } from "../../bridges/mqtt/bridge.ts";
import { eventId } from "../../bridges/mqtt/event.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { httpTransport } from "../../functions/lib/runtime/emit/httpTransport.ts";
import {
  CONCURRENCY,
  cam,
  directPostMs,
  directPostRate,
  NAIVE_TOPIC,
  STATIONS,
  startNaiveBridge,
  TOPIC,
} from "./bridgeBaselines.ts";
import { type Broker, type Sink, startBroker, startSink } from "./bridgeThreads.ts";
import { type BenchFigure, type Benchmark, percentile } from "./types.ts";

const AIM_RATE = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  /** CAMs per second from the first publish to the last arrival. */
  rate: number;
  /** Publish to arrival at the sink, sorted (ms). */
  latencies: number[];
  /** CPU time of this process (the bridge) per CAM, in microseconds. */
  cpuMicros: number;
  brokerMicros: number;
  publisherMicros: number;
  sinkMicros: number;
}

/**
 * Publishes CAMs and waits until every one arrived at the sink. The ids are computed before the
 * clock starts, and arrivals are matched in O(1), so the bench's own work stays small.
 */
class Measurer {
  private expected = new Map<string, number>();
  private arrivedAt = new Float64Array(0);
  private done: () => void = () => {};

  constructor(
    private readonly broker: Broker,
    private readonly sink: Sink,
  ) {
    sink.onArrival((id, atMs) => {
      const index = this.expected.get(id);
      if (index === undefined) return;
      this.expected.delete(id);
      this.arrivedAt[index] = atMs;
      if (this.expected.size === 0) this.done();
    });
  }

  async run(topic: string, from: number, count: number, rate?: number): Promise<Run> {
    const payloads = Array.from({ length: count }, (_, index) => cam(from + index));
    this.expected = new Map(payloads.map((payload, index) => [eventId(topic, Buffer.from(payload)), index]));
    this.arrivedAt = new Float64Array(count);
    const allArrived = new Promise<void>((resolve) => {
      this.done = resolve;
    });
    const before = await this.clocks();
    const times = await this.broker.publish(payloads, topic, rate);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allArrived,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.expected.size} events never arrived`)), 120_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const after = await this.clocks();
    const micros = (key: keyof typeof before) => ((after[key] - before[key]) * 1e6) / count;
    const first = Math.min(...times);
    const last = Math.max(...this.arrivedAt);
    return {
      rate: (count / (last - first)) * 1000,
      latencies: Array.from(this.arrivedAt, (at, index) => at - (times[index] as number)).sort(
        (a, b) => a - b,
      ),
      cpuMicros: micros("bridge"),
      brokerMicros: micros("broker"),
      publisherMicros: micros("publisher"),
      sinkMicros: micros("sink"),
    };
  }

  private async clocks() {
    const usage = process.cpuUsage();
    return {
      bridge: (usage.user + usage.system) / 1e6,
      broker: await this.broker.brokerCpuSeconds(),
      publisher: await this.broker.publisherCpuSeconds(),
      sink: await this.sink.cpuSeconds(),
    };
  }
}

const micros = (value: number) => `${Math.round(value)} µs`;

export const benchmark: Benchmark = {
  id: "bridge",
  title: "MQTT to CloudEvents bridge",
  async run({ quick }): Promise<BenchFigure[]> {
    const floodCount = quick ? 3_000 : 30_000;
    const pacedSeconds = quick ? 1 : 4;
    const naiveCount = quick ? 300 : 2_000;

    const broker = await startBroker();
    const sink = await startSink();
    const measurer = new Measurer(broker, sink);
    const bridge = await startBridge({
      mec: "bench",
      mqtt: {
        url: broker.url,
        protocolVersion: broker.mqtt5 ? 5 : 4,
        topics: [TOPIC],
        clientId: "bench-bridge",
      },
      // The same settings as `vvcu bridge` (fromConfig.ts): 64 deliveries in flight, 2,000 held.
      sink: httpTransport({ url: sink.url, maxSockets: CONCURRENCY }),
      concurrency: CONCURRENCY,
      logger: componentLogger("bridge", { mec: "bench" }).child({}, { level: "warn" }),
    });
    let naive: MqttClient | undefined;
    try {
      while (!bridge.isReady()) await sleep(10);
      // Warm up: JIT, connections to the sink.
      await measurer.run(TOPIC, -1_000_000, quick ? 500 : 3_000);

      // Bridge and naive take turns, twice, and each keeps its better round: the machine's load
      // drifts (other processes), and alternating keeps that drift from favouring either.
      naive = await startNaiveBridge(broker.url, sink.url);
      const bridgeRuns: Run[] = [];
      const naiveRuns: Run[] = [];
      for (let round = 0; round < 2; round++) {
        const base = 10_000_000 * (round + 1);
        bridgeRuns.push(await measurer.run(TOPIC, base, floodCount));
        naiveRuns.push(await measurer.run(NAIVE_TOPIC, base + 5_000_000, naiveCount));
      }
      await naive.endAsync();
      naive = undefined;
      const bestOf = (runs: Run[]) => runs.reduce((best, run) => (run.rate > best.rate ? run : best));
      const flood = bestOf(bridgeRuns);
      const naiveRun = bestOf(naiveRuns);
      // CPU time is what load from other processes disturbs least: the lower of the two rounds.
      const bridgeCpu = Math.min(...bridgeRuns.map((run) => run.cpuMicros));
      const naiveCpu = Math.min(...naiveRuns.map((run) => run.cpuMicros));

      const paced = await measurer.run(TOPIC, 1_000_000, AIM_RATE * pacedSeconds, AIM_RATE);
      const p50 = percentile(paced.latencies, 0.5);
      const p99 = percentile(paced.latencies, 0.99);
      // Above its capacity any pipeline's latency is its queue; at half of what it sustained it
      // shows what the bridge itself adds.
      const halfRate = Math.max(100, Math.round(flood.rate / 2 / 100) * 100);
      const underLoad = await measurer.run(TOPIC, 3_000_000, halfRate * pacedSeconds, halfRate);
      await bridge.close();

      const floorRate = await directPostRate(sink.url, quick ? 2_000 : 20_000);
      const floorMs = await directPostMs(sink.url, quick ? 200 : 1_000);

      const speedup = flood.rate / naiveRun.rate;
      const pipelineMicros = flood.cpuMicros + flood.brokerMicros + flood.publisherMicros + flood.sinkMicros;
      const ceiling = (2 * 1e6) / pipelineMicros;
      return [
        {
          name: "CAMs from MQTT publish to acknowledged at the sink (flood, QoS 1)",
          value: flood.rate,
          unit: "msg/s",
          baseline: { name: "naive bridge (serial, no keep-alive)", value: naiveRun.rate, unit: "msg/s" },
          aim: ">= 5,000 CAMs/s and >= 5x naive",
          met: flood.rate >= AIM_RATE && speedup >= 5,
          notes:
            `${speedup.toFixed(1)}x naive; better of 2 alternating rounds each; ${floodCount} CAMs of ` +
            `${STATIONS} stations per round; broker ${broker.name}, bridge on MQTT ${broker.mqtt5 ? 5 : "3.1.1"}`,
        },
        {
          name: `latency p50 at ${AIM_RATE.toLocaleString("en-US")} CAMs/s`,
          value: p50,
          unit: "ms",
          baseline: { name: "one direct keep-alive POST to the sink (p50)", value: floorMs, unit: "ms" },
        },
        {
          name: `latency p99 at ${AIM_RATE.toLocaleString("en-US")} CAMs/s`,
          value: p99,
          unit: "ms",
          baseline: { name: "one direct keep-alive POST to the sink (p50)", value: floorMs, unit: "ms" },
          aim: "< 50 ms",
          met: p99 < 50,
          notes: `${paced.latencies.length} CAMs paced over ${pacedSeconds} s; reached ${Math.round(paced.rate)} CAMs/s`,
        },
        {
          name: `latency p99 at half the rate sustained (${halfRate.toLocaleString("en-US")} CAMs/s)`,
          value: percentile(underLoad.latencies, 0.99),
          unit: "ms",
          baseline: { name: "one direct keep-alive POST to the sink (p50)", value: floorMs, unit: "ms" },
          notes: `p50 ${percentile(underLoad.latencies, 0.5).toFixed(2)} ms; ${underLoad.latencies.length} CAMs`,
        },
        {
          name: "bridge CPU time per CAM (flood)",
          value: bridgeCpu,
          unit: "µs",
          baseline: { name: "naive bridge CPU time per CAM", value: naiveCpu, unit: "µs" },
          notes: `${Math.round(1e6 / bridgeCpu)} CAMs/s per core for the bridge alone; lower of 2 rounds`,
        },
        {
          name:
            `the other parties' CPU time per CAM (sink ${micros(flood.sinkMicros)}, broker ` +
            `${micros(flood.brokerMicros)}, publisher ${micros(flood.publisherMicros)})`,
          value: flood.sinkMicros + flood.brokerMicros + flood.publisherMicros,
          unit: "µs",
          notes: `broker ${broker.name}; sink: node http + the SDK's HTTP.toEvent`,
        },
        {
          name: "floor: what 2 cores carry with all four parties on them (2 s / whole pipeline's CPU per CAM)",
          value: ceiling,
          unit: "msg/s",
          notes: `whole pipeline ${micros(pipelineMicros)} per CAM in the better flood round`,
        },
        {
          name: `floor: direct keep-alive POSTs to the same sink (${CONCURRENCY} connections, no MQTT, no bridge)`,
          value: floorRate,
          unit: "msg/s",
          notes: "events serialised beforehand; the most any bridge can deliver to this sink on this machine",
        },
      ];
    } finally {
      await naive?.endAsync();
      await bridge.close();
      await sink.close();
      await broker.close();
    }
  },
};
