/**
 * The station and type of a C-ITS message, read without decoding it: from the topic, or from the
 * payload's top-level `stationID` by a byte scan. A bridge that drops most stations (each MEC
 * hosts only its own) skips the full decode of those; whatever this cannot tell for certain
 * (CloudEvents, a type only the payload names, a non-integer id) is left to the decoder.
 */
import { routeTopic } from "../../functions/lib/cits/dialect.ts";
import { MAX_PAYLOAD_BYTES, type MessageType } from "../../functions/lib/cits/types.ts";
import { type InboundMessage, mightBeCloudEvent } from "./classify.ts";

export interface StationHint {
  stationId: string;
  messageType: MessageType;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KEY = Buffer.from('stationID"');
const MAX_SAFE_DIGITS = 15;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The integer value of the root object's last `stationID` key (as JSON.parse keeps the last), if any. */
export function rootStationId(payload: Buffer): string | undefined {
  let i = 0;
  while (isSpace(payload[i])) i++;
  if (payload[i] !== 0x7b) return undefined;
  let depth = 0;
  let found: string | undefined;
  const end = payload.length;
  while (i < end) {
    const byte = payload[i] as number;
    if (byte === QUOTE) {
      const start = i + 1;
      i = start;
      let escaped = false;
      while (i < end && payload[i] !== QUOTE) {
        if (payload[i] === BACKSLASH) {
          escaped = true;
          i += 2;
        } else i++;
      }
      // An escaped key at the root might spell stationID: the decoder decides.
      if (depth === 1 && escaped) {
        let j = i + 1;
        while (isSpace(payload[j])) j++;
        if (payload[j] === 0x3a) return undefined;
      }
      if (
        depth === 1 &&
        i - start === KEY.length - 1 &&
        payload.compare(KEY, 0, KEY.length, start, i + 1) === 0
      ) {
        let j = i + 1;
        while (isSpace(payload[j])) j++;
        if (payload[j] === 0x3a) {
          j++;
          while (isSpace(payload[j])) j++;
          const digitsFrom = j;
          while (j < end && (payload[j] as number) >= 0x30 && (payload[j] as number) <= 0x39) j++;
          const digits = j - digitsFrom;
          while (isSpace(payload[j])) j++;
          const next = payload[j];
          const leadingZero = digits > 1 && payload[digitsFrom] === 0x30;
          // Anything but a plain integer (a string, a fraction, too long) is the decoder's to judge.
          found =
            digits > 0 && digits <= MAX_SAFE_DIGITS && !leadingZero && (next === 0x2c || next === 0x7d)
              ? payload.toString("latin1", digitsFrom, digitsFrom + digits)
              : undefined;
          if (found === undefined) return undefined;
        }
      }
      i++;
      continue;
    }
    if (byte === 0x7b || byte === 0x5b) depth++;
    else if (byte === 0x7d || byte === 0x5d) depth--;
    i++;
  }
  return found;
}

/** Several bridges in one process (the embedded stack) share each message: the scan runs once. */
export function stationHint(message: InboundMessage): StationHint | undefined {
  if (message.hint !== undefined) return message.hint ?? undefined;
  const hint = readStationHint(message);
  message.hint = hint ?? null;
  return hint;
}

function readStationHint(message: InboundMessage): StationHint | undefined {
  if (message.payload.byteLength > MAX_PAYLOAD_BYTES || mightBeCloudEvent(message)) return undefined;
  let route: ReturnType<typeof routeTopic>;
  try {
    route = routeTopic(message.topic);
  } catch {
    return undefined;
  }
  if (route.type === undefined) return undefined;
  const stationId = route.stationId ?? rootStationId(message.payload);
  return stationId === undefined ? undefined : { stationId, messageType: route.type };
}
