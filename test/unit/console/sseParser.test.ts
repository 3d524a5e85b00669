import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser } from "../../../functions/lib/console/page/sseParser.ts";
import { sseEvent } from "../../../functions/lib/manager/liveFeed.ts";

describe("SseParser (the console's reader of /api/v1/events)", () => {
  it("reads named events, joins data lines, skips comments and retry, whatever the line ends", () => {
    const parser = new SseParser();
    const text =
      'retry: 3000\n\n: keep-alive\n\nevent: twin\ndata: {"id":"1"}\n\ndata: a\r\ndata: b\r\n\r\nevent:x\ndata\n\n';
    expect(parser.push(text)).toEqual([
      { event: "twin", data: '{"id":"1"}' },
      { event: "message", data: "a\nb" },
      { event: "x", data: "" },
    ]);
  });

  it("gives the same events however the stream is cut into chunks", () => {
    const events = [
      sseEvent("twin", { id: "1", lat: 40.1 }),
      sseEvent("migration", { id: "m", status: "running" }),
      sseEvent("figures", { twins: 1 }),
    ].join("");
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: events.length }), { maxLength: 8 }), (cuts) => {
        const parser = new SseParser();
        const points = [0, ...[...cuts].sort((a, b) => a - b), events.length];
        const read = points.slice(1).flatMap((end, i) => parser.push(events.slice(points[i], end)));
        expect(read.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
          ["twin", { id: "1", lat: 40.1 }],
          ["migration", { id: "m", status: "running" }],
          ["figures", { twins: 1 }],
        ]);
      }),
    );
  });
});
