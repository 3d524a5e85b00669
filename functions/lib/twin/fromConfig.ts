/**
 * A twin service built from the environment, as the Knative twin function runs it: the MEC from
 * VVCU_MEC_ID, Redis when REDIS_URL is set (else memory), events to K_SINK over HTTP.
 */
import type { Config } from "../config.ts";
import { componentLogger } from "../log.ts";
import { httpSink } from "../runtime/emit/httpSink.ts";
import type { EventSink } from "../runtime/emit/sink.ts";
import { TwinService } from "./service.ts";
import { twinOptionsFromConfig } from "./state/options.ts";
import { MemoryTwinStore } from "./store/memoryStore.ts";
import { RedisTwinStore } from "./store/redisStore.ts";
import type { TwinStore } from "./store/store.ts";

/** A sink for a function run without K_SINK (local trials): events are logged at debug and dropped. */
class DroppingSink implements EventSink {
  private readonly log = componentLogger("twin");
  async emit(event: { type: string; subject?: string | undefined }): Promise<void> {
    this.log.debug({ type: event.type, subject: event.subject }, "no K_SINK: event dropped");
  }
}

export interface ConfiguredTwinService {
  service: TwinService;
  /** Stops sweeping, sends what is pending, closes the store and the sink. */
  close(): Promise<void>;
}

export function twinServiceFromConfig(config: Config): ConfiguredTwinService {
  if (!config.VVCU_MEC_ID) throw new Error("VVCU_MEC_ID is not set: the twin function must know its MEC");
  const mec = config.VVCU_MEC_ID;
  const redis = config.REDIS_URL ? new RedisTwinStore({ url: config.REDIS_URL, mec }) : undefined;
  const store: TwinStore = redis ?? new MemoryTwinStore();
  const options = twinOptionsFromConfig(config);
  const sink: EventSink = config.K_SINK
    ? httpSink({ url: config.K_SINK, ceOverrides: config.K_CE_OVERRIDES })
    : new DroppingSink();
  const service = new TwinService({
    mec,
    store,
    sink,
    options,
    // Kept beyond the twin's expiry by a history's length, then Redis lets it go.
    ...(redis ? { history: redis.historyStore(options.historyMs + options.expireAfterMs) } : {}),
  });
  return {
    service,
    async close() {
      await service.stop();
      await store.close();
      await sink.close?.();
    },
  };
}
