/** The dead-letter record: what was rejected, why, and enough of the original to look at it. */
import { isUtf8 } from "node:buffer";
import type { RejectionCode } from "../../functions/lib/cits/types.ts";

/** Decoder rejections, plus what the bridge itself rejects. */
export type DeadLetterCode =
  | RejectionCode
  /** A message on MQTT claimed to be a CloudEvent and was not a valid one. */
  | "invalid-cloudevent"
  /** A station's time too far ahead of the receiver's clock (receiverClock.ts). */
  | "time-ahead"
  /** A CloudEvent of a type stations may not send (anything but C-ITS input, events.ts). */
  | "refused-event-type"
  /** The sink answered a 4xx other than 429: retrying cannot help. */
  | "sink-rejected";

export const DEAD_LETTER_PAYLOAD_CAP_BYTES = 4096;

export interface DeadLetter {
  reason: string;
  code: DeadLetterCode;
  topic: string;
  /** The original payload, capped; UTF-8 text as is, anything else base64. */
  payload: string;
  payloadEncoding: "utf8" | "base64";
  payloadBytes: number;
  truncated: boolean;
  receivedAt: string;
  mec: string;
  /** The sink's answer, for sink-rejected. */
  sink?: { status: number; body: string };
}

export interface DeadLetterInput {
  code: DeadLetterCode;
  reason: string;
  topic: string;
  payload: Uint8Array;
  receivedAtMs: number;
  mec: string;
  sink?: { status: number; body: string };
}

function capped(
  payload: Uint8Array,
  capBytes: number,
): Pick<DeadLetter, "payload" | "payloadEncoding" | "truncated"> {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const truncated = bytes.byteLength > capBytes;
  const head = bytes.subarray(0, capBytes);
  if (isUtf8(bytes)) {
    // A cut can split a multi-byte character; drop the partial one rather than emit U+FFFD.
    let text = head.toString("utf8");
    if (truncated && text.endsWith("\uFFFD")) text = text.slice(0, -1);
    return { payload: text, payloadEncoding: "utf8", truncated };
  }
  return { payload: head.toString("base64"), payloadEncoding: "base64", truncated };
}

export function deadLetter(input: DeadLetterInput, capBytes = DEAD_LETTER_PAYLOAD_CAP_BYTES): DeadLetter {
  const record: DeadLetter = {
    reason: input.reason,
    code: input.code,
    topic: input.topic,
    ...capped(input.payload, capBytes),
    payloadBytes: input.payload.byteLength,
    receivedAt: new Date(input.receivedAtMs).toISOString(),
    mec: input.mec,
  };
  if (input.sink !== undefined) record.sink = input.sink;
  return record;
}
