/**
 * The embedded stack's decoder thread: decodes batches of MQTT messages (not those that may be
 * CloudEvents: the bridge recognises them) and works out their CloudEvent ids, the two costliest
 * steps of a message's way through a bridge, so that the main thread (broker, bridges, twins,
 * control plane) does not. The bridges' own code (classify.ts) uses the answers as it uses a
 * decoding another bridge did. Copies of one message for several bridge sessions are decoded
 * once (keptDecodings.ts).
 */
import { isMainThread, parentPort } from "node:worker_threads";
import { payloadMightBeCloudEvent } from "../../../bridges/mqtt/classify.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { DecodeBatch, DecodedMessage } from "./decoderThread.ts";
import { KeptDecodings } from "./keptDecodings.ts";

if (isMainThread || parentPort === null) throw new Error("decodeWorker.ts runs as a worker thread");
const port = parentPort;
const decodings = new KeptDecodings(decode);

port.on("message", (batch: DecodeBatch) => {
  const bytes = Buffer.from(batch.buffer);
  const answers: DecodedMessage[] = [];
  let start = 0;
  for (const [index, topic] of batch.topics.entries()) {
    const end = batch.ends[index] as number;
    const message = {
      topic,
      payload: bytes.subarray(start, end),
      receivedAtMs: batch.receivedAtMs[index] as number,
    };
    start = end;
    // A structured-mode CloudEvent is the bridge's to recognise: no answer, so classify.ts looks.
    if (payloadMightBeCloudEvent(message.payload)) {
      answers.push({});
      continue;
    }
    answers.push(decodings.answer(message.topic, message.payload, message.receivedAtMs, batch.readers));
  }
  port.postMessage(answers);
});
