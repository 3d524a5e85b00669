/** What the broker and subscriber threads' tests share: a CAM to send, and a way to wait for the answers. */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { InboundMessage } from "../../../../bridges/mqtt/classify.ts";
import { componentLogger } from "../../../../functions/lib/log.ts";

export const logger = componentLogger("test");
export const CAM = readFileSync(
  path.join(import.meta.dirname, "../../../fixtures/cits/vanetza-out-cam.json"),
);

/** The CAM fixture from another station. */
export const camOf = (station: number): Buffer =>
  Buffer.from(CAM.toString().replace(/"stationID":\s*\d+/, `"stationID": ${station}`));

/** The station a decoded message is from ("-" when it was not decoded ahead). */
export const stationOf = (message: InboundMessage): string =>
  message.decoded?.ok ? message.decoded.message.stationId : "-";

export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}
