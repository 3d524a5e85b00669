/**
 * The main thread's publications (dashboards, dead letters) on their way to the thread that
 * publishes them: one batch per turn, packed as a few arrays and one transferred buffer of
 * payloads. Posted as an array of objects, cloning them was a twentieth of the main thread's
 * time at 1,000 vehicles (a publication per twin and half second).
 */
import type { Publication, PublicationBatch } from "./protocol.ts";

const RETAIN = 2;

export function packPublications(publications: readonly Publication[]): PublicationBatch {
  const payloads = publications.map((publication) =>
    typeof publication.payload === "string" ? Buffer.from(publication.payload) : publication.payload,
  );
  let bytes = 0;
  for (const payload of payloads) bytes += payload.byteLength;
  const buffer = Buffer.allocUnsafeSlow(bytes);
  const batch: PublicationBatch = {
    kind: "publish",
    ids: [],
    topics: [],
    flags: [],
    ends: [],
    buffer: buffer.buffer as ArrayBuffer,
  };
  let offset = 0;
  publications.forEach((publication, index) => {
    const payload = payloads[index] as Uint8Array;
    buffer.set(payload, offset);
    offset += payload.byteLength;
    batch.ids.push(publication.id);
    batch.topics.push(publication.topic);
    batch.flags.push(publication.qos | (publication.retain ? RETAIN : 0));
    batch.ends.push(offset);
  });
  return batch;
}

/** The publications of a batch, their payloads views of its buffer. */
export function unpackPublications(
  batch: PublicationBatch,
): (Omit<Publication, "payload"> & { payload: Buffer })[] {
  const bytes = Buffer.from(batch.buffer);
  let start = 0;
  return batch.ids.map((id, index) => {
    const end = batch.ends[index] as number;
    const flags = batch.flags[index] as number;
    const payload = bytes.subarray(start, end);
    start = end;
    return {
      id,
      topic: batch.topics[index] as string,
      payload,
      qos: (flags & 1) as 0 | 1,
      retain: (flags & RETAIN) !== 0,
    };
  });
}
