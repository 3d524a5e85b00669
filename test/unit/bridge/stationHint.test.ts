import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rootStationId, stationHint } from "../../../bridges/mqtt/stationHint.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { FIXTURE_TOPICS, fixtureText } from "../cits/fixtures.ts";
import { itsCenterCam, structuredCloudEvent, vanetzaCam } from "./samples.ts";

const message = (topic: string, payload: string) => ({
  topic,
  payload: Buffer.from(payload),
  receivedAtMs: 0,
});

describe("stationHint", () => {
  it("names the station the decoder finds, for every fixture where it names one", () => {
    let hinted = 0;
    for (const [name, topic] of Object.entries(FIXTURE_TOPICS as Record<string, string>)) {
      const hint = stationHint(message(topic, fixtureText(name)));
      if (hint === undefined) continue;
      hinted++;
      const decoded = decode(topic, fixtureText(name));
      expect(decoded.ok, name).toBe(true);
      if (decoded.ok) {
        expect(hint.stationId, name).toBe(decoded.message.stationId);
        expect(hint.messageType, name).toBe(decoded.message.type);
      }
    }
    expect(hinted).toBeGreaterThanOrEqual(5);
  });

  it("reads the vanetza envelope's station and the topic's station", () => {
    expect(stationHint(message("vanetza/out/cam", vanetzaCam(4321, 1)))).toEqual({
      stationId: "4321",
      messageType: "cam",
    });
    expect(stationHint(message("its_center/inqueue/json/77/CAM/0/3", itsCenterCam(5)))).toEqual({
      stationId: "77",
      messageType: "cam",
    });
  });

  it("leaves CloudEvents, unknown topics and payload-typed messages to the decoder", () => {
    expect(stationHint(message("vanetza/out/cam", JSON.stringify(structuredCloudEvent)))).toBeUndefined();
    expect(stationHint(message("some/other/topic", vanetzaCam(1, 1)))).toBeUndefined();
    expect(stationHint(message("", vanetzaCam(1, 1)))).toBeUndefined();
  });
});

describe("rootStationId", () => {
  it("reads only the root object's integer stationID", () => {
    expect(rootStationId(Buffer.from('{"a":{"stationID":5},"stationID": 12 }'))).toBe("12");
    expect(rootStationId(Buffer.from('{"a":{"stationID":5}}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"note":"\\"stationID\\":9","stationID":3}'))).toBe("3");
    expect(rootStationId(Buffer.from('{"x":["stationID",{"stationID":1}]}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"stationID":"12"}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"stationID":1.5}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"stationID":-1}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"stationID":1234567890123456}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('{"station\\u0049D":1}'))).toBeUndefined();
    expect(rootStationId(Buffer.from('[{"stationID":1}]'))).toBeUndefined();
  });

  it("takes the last of duplicate keys, as JSON.parse does", () => {
    expect(rootStationId(Buffer.from('{"stationID":1,"stationID":2}'))).toBe("2");
  });

  it("agrees with JSON.parse whenever it answers", () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        value,
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom("stationID", "a", 'b"c', "d\\e"), tie("node"), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("stationID", "x", "header"), tree.node), (root) => {
        const text = JSON.stringify(root);
        const hint = rootStationId(Buffer.from(text));
        const parsed = (JSON.parse(text) as Record<string, unknown>).stationID;
        if (hint !== undefined) expect(hint).toBe(String(parsed));
        else if (Number.isSafeInteger(parsed) && (parsed as number) >= 0 && (parsed as number) < 1e15)
          expect.fail(`missed the integer station id of ${text}`);
      }),
    );
  });
});
