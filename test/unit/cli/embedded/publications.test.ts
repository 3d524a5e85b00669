import { describe, expect, it } from "vitest";
import { packPublications, unpackPublications } from "../../../../cli/embedded/broker/publications.ts";

describe("publications packed for the broker's thread", () => {
  it("come back unpacked as they went: ids, topics, payloads (text, bytes, empty), QoS and retain", () => {
    const batch = packPublications([
      { id: 1, topic: "vvcu/dashboard/twins/7", payload: '{"name":"Aveiro ção"}', qos: 0, retain: true },
      { id: 2, topic: "vvcu/deadletter", payload: new Uint8Array([1, 2, 3]), qos: 1, retain: false },
      { id: 3, topic: "vvcu/dashboard/twins/8", payload: "", qos: 0, retain: true },
    ]);
    // One buffer for every payload, handed over without a copy.
    expect(batch.buffer.byteLength).toBe(Buffer.byteLength('{"name":"Aveiro ção"}') + 3);
    const unpacked = unpackPublications(batch);
    expect(unpacked.map(({ id, topic, qos, retain }) => ({ id, topic, qos, retain }))).toEqual([
      { id: 1, topic: "vvcu/dashboard/twins/7", qos: 0, retain: true },
      { id: 2, topic: "vvcu/deadletter", qos: 1, retain: false },
      { id: 3, topic: "vvcu/dashboard/twins/8", qos: 0, retain: true },
    ]);
    expect(unpacked[0]?.payload.toString()).toBe('{"name":"Aveiro ção"}');
    expect([...(unpacked[1]?.payload ?? [])]).toEqual([1, 2, 3]);
    expect(unpacked[2]?.payload.byteLength).toBe(0);
  });
});
