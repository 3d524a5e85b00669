/**
 * The console in a real browser against the real stack (`vvcu start` with the simulator): the
 * page loads cleanly, draws the zones and every twin, lists a geofence migration, moves a twin
 * when asked, and with a token set asks for it. With VVCU_UPDATE_SCREENSHOT=1 the last view
 * is kept as docs/console.png.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { eventually, getJson, type StackProcess, startStackProcess } from "../e2e/harness.ts";
import { type Browser, launchChromium } from "./browser.ts";

// The README's picture is rewritten only when asked (VVCU_UPDATE_SCREENSHOT=1), so a test run leaves the tree clean.
const SCREENSHOT = process.env.VVCU_UPDATE_SCREENSHOT
  ? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "console.png")
  : undefined;
const VEHICLES = 20;

interface ConsoleHook {
  counts(): { twins: number; zones: number };
  pointOf(id: string): { x: number; y: number } | undefined;
}

const counts = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { vvcuConsole: ConsoleHook }).vvcuConsole.counts());

describe("console in Chromium", () => {
  let stack: StackProcess;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStackProcess({ VVCU_SIM: String(VEHICLES) }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("loads without console errors, draws the zones and as many twins as the API lists, and shows a geofence migration", async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("#status.ok");
    // The simulator's stations (its vehicles, then its RSUs) appear over its first seconds, so the
    // count to draw is the API's at the time of each look, not one read once.
    await eventually(
      "the map to draw every twin the API lists, at least one per simulated vehicle",
      async () => {
        const { body } = await getJson<Twin[]>(`${stack.apiUrl}/api/v1/twins`);
        const drawn = (await counts(page)).twins;
        return body.length >= VEHICLES && drawn === body.length ? true : undefined;
      },
      30_000,
    );
    expect((await counts(page)).zones).toBe(2);
    // The simulator's routes cross the border between the MECs.
    const row = await page.waitForSelector("#migrations tr[data-trigger=geofence]", { timeout: 60_000 });
    expect(await row.textContent()).toMatch(/geofence · local/);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("moves a twin to the other MEC from its panel", async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForSelector("#status.ok");
    // An RSU stands still, so a click finds it; its panel lists what it perceives.
    const { body: twins } = await getJson<Twin[]>(`${stack.apiUrl}/api/v1/twins`);
    const rsu = twins.find((twin) => twin.stationType === "roadSideUnit");
    expect(rsu, "the simulator runs RSUs").toBeDefined();
    const id = (rsu as Twin).id;
    // A vehicle passing over the RSU can take the click: then the click is made again.
    const box = await (await page.$("#map"))?.boundingBox();
    await eventually("the RSU's panel after a click on it", async () => {
      const point = await page.evaluate(
        (twinId) => (globalThis as unknown as { vvcuConsole: ConsoleHook }).vvcuConsole.pointOf(twinId),
        id,
      );
      if (point === undefined) return undefined;
      await page.mouse.click((box?.x ?? 0) + point.x, (box?.y ?? 0) + point.y);
      const shown = await page
        .waitForSelector(`#twin h2:text("Twin ${id}")`, { timeout: 2_000 })
        .catch(() => undefined);
      return shown === undefined ? undefined : true;
    });
    const from = (await getJson<Twin>(`${stack.apiUrl}/api/v1/twins/${id}`)).body.mec;
    const target = await page.$eval(
      "#migrate-target",
      (select) => (select as unknown as { value: string }).value,
    );
    expect(target).not.toBe(from);
    await page.click("#migrate");
    await page.waitForSelector("#migrate-result:has-text('accepted')");
    await page.waitForSelector(`#migrations tr.completed[data-trigger=manual][data-twin="${id}"]`, {
      timeout: 30_000,
    });
    const { body: migrations } = await getJson<Migration[]>(`${stack.apiUrl}/api/v1/migrations?twin=${id}`);
    expect(migrations.find((m) => m.trigger === "manual")).toMatchObject({
      from,
      to: target,
      status: "completed",
    });
    expect((await getJson<Twin>(`${stack.apiUrl}/api/v1/twins/${id}`)).body.mec).toBe(target);
    // The panel follows (it reads the twin every second): the twin at its new MEC.
    await page.waitForSelector(`#twin [data-mec="${target}"]`);
    const picture = await page.screenshot(SCREENSHOT ? { path: SCREENSHOT } : {});
    expect(picture.byteLength).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});

describe("console with VVCU_API_TOKEN", () => {
  let stack: StackProcess;
  let browser: Browser;
  const TOKEN = "console-t0ken";

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStackProcess({ VVCU_API_TOKEN: TOKEN }), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("asks for the token, is refused without it or with a wrong one, and goes live with it", async () => {
    const { page } = await browser.page();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForSelector("#token-dialog[open]");
    expect(await page.textContent("#token-reason")).toMatch(/needs its token/);
    const unauthorised = await page.evaluate(async () => (await fetch("api/v1/events")).status);
    expect(unauthorised).toBe(401);

    await page.click("#token-dialog button[value=cancel]");
    await page.waitForSelector("#status.error");
    expect(await page.textContent("#status")).toMatch(/refuses the console without it/);

    await page.reload();
    await page.waitForSelector("#token-dialog[open]");
    await page.fill("#token-input", "wrong");
    await page.click("#token-dialog button[value=ok]");
    await page.waitForSelector("#token-dialog[open]");
    expect(await page.textContent("#token-reason")).toMatch(/refused/);
    await page.fill("#token-input", TOKEN);
    await page.click("#token-dialog button[value=ok]");
    await page.waitForSelector("#status.ok");
    await page.waitForSelector("#figures b");
    expect(await page.textContent("#status")).toBe("live");
    await page.close();
  }, 60_000);
});
