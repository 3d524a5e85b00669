/** One stack per migration journal: a second one is refused before it starts anything. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, waitForPort } from "../helpers/servers.ts";
import { runStartExpectingExit, startStackProcess } from "./harness.ts";

describe("a migration journal shared by two stacks", { timeout: 90_000 }, () => {
  it("is refused to the second, naming the first's pid; nothing of the second is left listening", async () => {
    const first = await startStackProcess();
    try {
      const journal = path.join(first.dir, "migrations.jsonl");
      const apiPort = await freePort();
      const result = await runStartExpectingExit({
        VVCU_MIGRATION_JOURNAL: journal,
        VVCU_API_PORT: String(apiPort),
        MQTT_PORT: String(await freePort()),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `the migration journal ${journal} is in use by another vvcu (pid ${first.pid})`,
      );
      expect(
        await waitForPort(apiPort, 200).then(
          () => "listening",
          () => "free",
        ),
      ).toBe("free");
    } finally {
      await first.stop();
    }
  });

  it("is taken over from a process that is gone (a stack killed with -9)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-journal-lock-"));
    try {
      const journal = path.join(dir, "migrations.jsonl");
      // No process has pid 2^22 + 1 (above Linux's largest pid_max).
      await writeFile(`${journal}.lock`, "4194305\n");
      const stack = await startStackProcess({ VVCU_MIGRATION_JOURNAL: journal });
      expect((await readFile(`${journal}.lock`, "utf8")).trim()).toBe(String(stack.pid));
      await stack.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
