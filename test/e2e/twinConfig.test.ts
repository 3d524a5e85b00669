import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, eventually, publishCam, type StackProcess, startStackProcess, twin } from "./harness.ts";

// The twin settings of the environment reach the embedded MEC hosts, as they reach the twin function.
describe("vvcu start with VVCU_TWIN_* set", { timeout: 90_000 }, () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ VVCU_TWIN_STALE_AFTER_S: "1", VVCU_TWIN_EXPIRE_AFTER_S: "3" });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it("marks a quiet twin stale after VVCU_TWIN_STALE_AFTER_S and removes it after VVCU_TWIN_EXPIRE_AFTER_S", async () => {
    const client = await connect(stack.brokerUrl);
    await publishCam(client, 7301, { lat: 40.65, lon: -8.64, speed: 3, heading: 90, timeMs: Date.now() });
    const created = await eventually("the twin", () => twin(stack.apiUrl, 7301));
    expect(created.liveness).toBe("live");
    const stale = await eventually("the twin stale", async () => {
      const current = await twin(stack.apiUrl, 7301);
      return current?.liveness === "stale" ? current : undefined;
    });
    expect(stale.id).toBe("7301");
    await eventually("the twin removed", async () =>
      (await twin(stack.apiUrl, 7301)) === undefined ? true : undefined,
    );
    await client.endAsync();
  });
});
