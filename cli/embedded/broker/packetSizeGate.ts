/**
 * The largest MQTT packet the embedded broker reads. Aedes and mqtt-packet have no bound: a
 * PUBLISH that declares 200 MB is buffered until it is complete, about 1 MB of memory per MB
 * sent. The gate reads each packet's fixed header as the bytes go by and says when one declares
 * more than the bound, so the connection is closed before its body is buffered.
 *
 * Pure: it only counts bytes, and never copies or changes them.
 */
import { MAX_PAYLOAD_BYTES } from "../../../functions/lib/cits/types.ts";

/**
 * The decoder reads at most MAX_PAYLOAD_BYTES; a packet of up to four times that still reaches
 * the bridges, whose dead letter (too-large) tells the station what went wrong. Beyond it the
 * connection is closed: nothing that large is input anyone can use.
 */
export const MAX_PACKET_BYTES = 4 * MAX_PAYLOAD_BYTES;

/** The remaining-length field is at most four bytes long (MQTT 3.1.1 and 5, 2.2.3). */
const MAX_LENGTH_BYTES = 4;

export type GateVerdict = { ok: true } | { ok: false; reason: string };

const OK: GateVerdict = { ok: true };

export class PacketSizeGate {
  /** Bytes of the current packet's body still to come; -1 while its header is being read. */
  private bodyLeft = 0;
  private length = 0;
  private lengthBytes = 0;
  private closedWith: GateVerdict | undefined;

  constructor(private readonly maxPacketBytes = MAX_PACKET_BYTES) {}

  /** Looks at the next bytes of the stream. Once refused, every later call is refused too. */
  feed(chunk: Uint8Array): GateVerdict {
    if (this.closedWith !== undefined) return this.closedWith;
    let index = 0;
    while (index < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - index);
        this.bodyLeft -= skipped;
        index += skipped;
        continue;
      }
      if (this.bodyLeft === 0) {
        // The first byte of a fixed header: packet type and flags.
        this.bodyLeft = -1;
        this.length = 0;
        this.lengthBytes = 0;
        index++;
        continue;
      }
      const byte = chunk[index] as number;
      index++;
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
      this.lengthBytes++;
      if ((byte & 0x80) !== 0) {
        if (this.lengthBytes === MAX_LENGTH_BYTES) return this.refuse("a packet's length field is malformed");
        continue;
      }
      if (this.length > this.maxPacketBytes) {
        return this.refuse(
          `a packet declares ${this.length} bytes, over the broker's limit of ${this.maxPacketBytes}`,
        );
      }
      this.bodyLeft = this.length;
    }
    return OK;
  }

  private refuse(reason: string): GateVerdict {
    this.closedWith = { ok: false, reason };
    return this.closedWith;
  }
}
