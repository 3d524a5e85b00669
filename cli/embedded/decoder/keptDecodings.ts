/**
 * Decodings kept for the other readers of the same message. With MQTT_URL every bridge has an
 * MQTT session of its own, so each message arrives once per MEC, and the decoder thread decoded
 * every copy: at 1,000 vehicles that was half a core for two MECs. The first copy's answer is
 * kept, keyed by the event id (SHA-1 of topic and payload, which the answer carries anyway), and
 * the other copies take it instead of decoding again.
 *
 * Decoding is a function of topic and payload, except the receipt time, which stands in for a
 * message's own time only when it carries none: the copies share the first copy's, as the
 * bridges of the embedded broker share one decoding. Memory is bounded: past MAX_KEPT the
 * oldest answer goes, and a copy that comes later than that is decoded again.
 */
import { eventId } from "../../../bridges/mqtt/event.ts";
import type { DecodeResult } from "../../../functions/lib/cits/types.ts";
import type { DecodedMessage } from "./decoderThread.ts";

/**
 * Answers kept: 0.4 s of messages at 10,000 msg/s. Sessions that keep up are a few hundred messages
 * apart. An overloaded stack's sessions drift apart by more than any bound; then every copy is
 * decoded, as before, and a larger bound only kept more answers alive for the GC to copy
 * (measured with 16,384: the thread's CPU per message rose by a third).
 */
export const MAX_KEPT = 4_096;

type Decode = (topic: string, payload: Buffer, receivedAtMs: number) => DecodeResult;

export class KeptDecodings {
  private readonly kept = new Map<string, { answer: DecodedMessage; readersLeft: number }>();

  constructor(private readonly decode: Decode) {}

  get size(): number {
    return this.kept.size;
  }

  /** The answer for one copy of a message that `readers` copies of will ask about. */
  answer(topic: string, payload: Buffer, receivedAtMs: number, readers: number): DecodedMessage {
    if (readers <= 1) {
      const decoded = this.decode(topic, payload, receivedAtMs);
      return decoded.ok ? { decoded, eventId: eventId(topic, payload) } : { decoded };
    }
    const id = eventId(topic, payload);
    const earlier = this.kept.get(id);
    if (earlier !== undefined) {
      if (--earlier.readersLeft <= 0) this.kept.delete(id);
      return earlier.answer;
    }
    const decoded = this.decode(topic, payload, receivedAtMs);
    const answer: DecodedMessage = decoded.ok ? { decoded, eventId: id } : { decoded };
    this.kept.set(id, { answer, readersLeft: readers - 1 });
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value as string);
    return answer;
  }
}
