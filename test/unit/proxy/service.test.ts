import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { metrics } from "../../../functions/lib/metrics.ts";
import { CollectingPublisher } from "../../../functions/lib/proxy/publisher.ts";
import { ProxyService } from "../../../functions/lib/proxy/service.ts";
import { cam, T0 } from "../twin/messages.ts";
import { twinFrom } from "./twins.ts";

const publishedByKind = async (): Promise<Record<string, number>> =>
  Object.fromEntries(
    (await metrics.proxyPublished.get()).values.map((value) => [String(value.labels.kind), value.value]),
  );

describe("ProxyService metrics", () => {
  it("counts every publication by kind, whenever the counter is read", async () => {
    const publisher = new CollectingPublisher();
    const proxy = new ProxyService({ publisher, clock: () => T0 });
    const before = await publishedByKind();
    for (const [i, id] of ["car-1", "car-2", "car-1"].entries()) {
      const twin = twinFrom("mec-a", [cam(id, i)]);
      const outcome = await proxy.handle(
        new CloudEvent({ type: "io.vvcu.twin.updated", source: "/test", subject: id, data: { twin } }),
      );
      expect(outcome).toBe("published");
    }
    await proxy.stop();
    const after = await publishedByKind();
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, v) => sum + v, 0);
    expect(publisher.messages.length).toBeGreaterThan(3);
    expect(total(after) - total(before)).toBe(publisher.messages.length);
    // a second read adds nothing
    expect(await publishedByKind()).toEqual(after);
  });

  it("goes on when the dashboard broker refuses a publication, and counts only what was published", async () => {
    let calls = 0;
    const proxy = new ProxyService({
      publisher: {
        publish: async () => {
          calls++;
          if (calls === 1) throw new Error("broker away");
        },
      },
      clock: () => T0,
    });
    const before = await publishedByKind();
    const twin = twinFrom("mec-a", [cam("car-9", 0)]);
    const outcome = await proxy.handle(
      new CloudEvent({ type: "io.vvcu.twin.updated", source: "/test", subject: "car-9", data: { twin } }),
    );
    expect(outcome).toBe("published");
    await proxy.stop();
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, v) => sum + v, 0);
    expect(calls).toBeGreaterThan(1);
    expect(total(await publishedByKind()) - total(before)).toBe(calls - 1);
  });
});
