/** The bridge's binary-mode serialisation says exactly what the SDK's HTTP.binary says. */
import { CloudEvent, HTTP } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { citsCloudEvent } from "../../../bridges/mqtt/event.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { binaryMessage } from "../../../functions/lib/runtime/emit/binaryMessage.ts";
import { vanetzaCam } from "../bridge/samples.ts";

function sdkMessage(event: CloudEvent<unknown>) {
  const message = HTTP.binary(event);
  // HTTP sends every header value as text.
  const headers = Object.fromEntries(
    Object.entries(message.headers).map(([name, value]) => [name, String(value)]),
  );
  return { headers, body: message.body };
}

describe("binaryMessage", () => {
  it("serialises a C-ITS event as the SDK does", () => {
    const topic = "vanetza/out/cam";
    const payload = Buffer.from(vanetzaCam(1001, 7));
    const decoded = decode(topic, payload);
    if (!decoded.ok) throw new Error(decoded.rejection.reason);
    const event = citsCloudEvent(decoded.message, { mec: "mec-a", topic, payload });
    const message = binaryMessage(event);
    expect(message).toEqual(sdkMessage(event));
    expect(message.headers).toMatchObject({
      "ce-subject": "1001",
      "ce-vvcumec": "mec-a",
      "content-type": "application/json",
    });
    expect(JSON.parse(message.body as string)).toMatchObject({ stationId: "1001", type: "cam" });
  });

  it("serialises forwarded CloudEvents (binary data, text, no content type, other time zones) as the SDK does", () => {
    const events = [
      new CloudEvent({
        id: "a",
        source: "/s",
        type: "t",
        data: Buffer.from([1, 2, 3]),
        datacontenttype: "application/octet-stream",
      }),
      new CloudEvent({
        id: "b",
        source: "/s",
        type: "t",
        data: "plain text",
        datacontenttype: "text/plain",
        subject: "7",
      }),
      new CloudEvent({
        id: "c",
        source: "/s",
        type: "t",
        data: { n: 1 },
        time: "2024-05-01T10:00:00+02:00",
        ext1: "x",
        ext2: 3,
      }),
      new CloudEvent({ id: "d", source: "/s", type: "t", dataschema: "https://example.org/s.json" }),
      new CloudEvent({
        id: "e",
        source: "/s",
        type: "t",
        specversion: "0.3",
        schemaurl: "https://example.org/s",
      }),
    ];
    for (const event of events) expect(binaryMessage(event)).toEqual(sdkMessage(event));
  });

  it("agrees with the SDK on any JSON data and extension", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/),
        fc.string(),
        (data, extensionName, extensionValue) => {
          fc.pre(!["data", "id", "source", "type", "time", "subject", "specversion"].includes(extensionName));
          const event = new CloudEvent(
            { id: "p", source: "/s", type: "t", data, [extensionName]: extensionValue },
            false,
          );
          expect(binaryMessage(event)).toEqual(sdkMessage(event));
        },
      ),
    );
  });
});
