/**
 * `vvcu decode [FILE] [--topic T] [--explain]`: decodes one C-ITS JSON message from FILE or stdin.
 * Prints the normalized message as JSON on stdout and exits 0, or the rejection on stderr
 * and exits 1. Without --topic the payload alone decides (a vanetza-nap envelope, the nested
 * {"CAM": ...} form, or a {header, cam} / bare body: type from its keys or header messageId).
 * --explain lists on stderr the parts of the message the decoder left out, and why.
 */
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { decode } from "../../functions/lib/cits/decode.ts";
import { type DroppedPart, MAX_PAYLOAD_BYTES } from "../../functions/lib/cits/types.ts";

const USAGE = `usage: vvcu decode [FILE] [--topic T] [--explain]

Decodes one C-ITS JSON message (CAM, CPM, DENM, VAM, LOGS) from FILE, or stdin when FILE is
omitted or "-". --topic gives the MQTT topic it came on (e.g. vanetza/out/cam,
its_center/inqueue/json/33/CAM/0/3/3/1); without it the payload alone decides.
Prints the normalized JSON and exits 0, or the rejection reason on stderr and exits 1.
--explain also lists on stderr what was dropped from the message (malformed, unknown or
unused parts) and why: what the station sends that vvcu does not use.`;

/** Reads at most MAX_PAYLOAD_BYTES + 1 bytes: enough for the decoder to reject a larger payload unread. */
async function readCapped(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    if (length <= MAX_PAYLOAD_BYTES) {
      chunks.push(buffer);
      length += buffer.length;
    }
  }
  return Buffer.concat(chunks, length);
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        topic: { type: "string", short: "t" },
        explain: { type: "boolean", short: "e", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    console.error(`vvcu decode: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    console.error(`vvcu decode: one FILE at most, got ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const file = positionals[0];
  let payload: Buffer;
  try {
    payload = await readCapped(file === undefined || file === "-" ? process.stdin : createReadStream(file));
  } catch (error) {
    console.error(
      `vvcu decode: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const result = decode(values.topic ?? "", payload, Date.now(), { explain: values.explain });
  if (!result.ok) {
    console.error(`vvcu decode: rejected (${result.rejection.code}): ${result.rejection.reason}`);
    return 1;
  }
  console.log(JSON.stringify(result.message, null, 2));
  if (values.explain) console.error(explanation(result.dropped ?? []));
  return 0;
}

function explanation(dropped: readonly DroppedPart[]): string {
  if (dropped.length === 0) return "vvcu decode: nothing dropped: every part of the message was read";
  const lines = [`vvcu decode: dropped ${dropped.length} part${dropped.length === 1 ? "" : "s"}:`];
  for (const part of dropped) lines.push(`  ${part.code} at ${part.path}: ${part.reason}`);
  return lines.join("\n");
}
