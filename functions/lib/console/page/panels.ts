/** The console's side panels: summary figures, the selected twin, and the migrations. */
import type { Figures } from "../../model/liveFeed.ts";
import type { Migration } from "../../model/migration.ts";
import type { Twin } from "../../model/twin.ts";

type Child = Node | string;

export function el(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const fixed = (value: number | undefined, digits: number, unit: string) =>
  value === undefined ? "–" : `${value.toFixed(digits)} ${unit}`;
const ms = (value: number | undefined) => (value === undefined ? "–" : `${Math.round(value)} ms`);

export function renderFigures(
  target: HTMLElement,
  figures: Figures,
  colourOf: (mec: string) => string,
): void {
  const m = figures.migrations;
  target.replaceChildren(
    el("span", { class: "figure", "data-figure": "twins" }, el("b", {}, String(figures.twins)), " twins"),
    ...figures.mecs.map((mec) =>
      el(
        "span",
        { class: "figure" },
        el("i", { class: "swatch", style: `background:${colourOf(mec.id)}` }),
        `${mec.id} `,
        el("b", {}, String(mec.twins)),
      ),
    ),
    el("span", { class: "figure" }, el("b", {}, figures.messagesPerS.toFixed(0)), " msg/s"),
    el("span", { class: "figure" }, "rejected ", el("b", {}, String(figures.rejected ?? "–"))),
    el(
      "span",
      { class: "figure" },
      `migrations ${m.completed} done · ${m.running} running · ${m.failed} failed · ${m["rolled-back"]} rolled back`,
    ),
  );
}

const row = (name: string, value: Child) => el("tr", {}, el("th", {}, name), el("td", {}, value));

export function renderTwin(
  target: HTMLElement,
  twin: Twin,
  mecs: string[],
  migrate: (target: string) => void,
  colourOf: (mec: string) => string,
): void {
  const rates = Object.entries(twin.messageRates)
    .filter(([, rate]) => rate > 0)
    .map(([type, rate]) => `${type.toUpperCase()} ${rate.toFixed(1)}/s`)
    .join(", ");
  const net = twin.network;
  const network = [
    net.rssiDbm === undefined ? "" : `RSSI ${net.rssiDbm} dBm`,
    net.rsrpDbm === undefined ? "" : `RSRP ${net.rsrpDbm} dBm`,
    net.sinrDb === undefined ? "" : `SINR ${net.sinrDb} dB`,
    net.throughputBps === undefined ? "" : `${(net.throughputBps / 1e6).toFixed(2)} Mbit/s`,
  ]
    .filter((part) => part !== "")
    .join(", ");
  const neighbours = twin.neighbours
    .slice(0, 5)
    .map((n) => `${n.id} ${n.distanceM.toFixed(0)} m`)
    .join(", ");
  const hazards = twin.hazards.map((h) => h.description ?? `cause ${h.causeCode}`).join(", ");
  const select = el("select", { id: "migrate-target" }) as HTMLSelectElement;
  for (const mec of mecs.filter((mec) => mec !== twin.mec)) select.append(el("option", { value: mec }, mec));
  const button = el("button", { id: "migrate", type: "button" }, "Migrate");
  button.addEventListener("click", () => migrate(select.value));
  target.replaceChildren(
    el("h2", {}, `Twin ${twin.id}`),
    el(
      "table",
      {},
      row("station type", twin.stationType),
      row(
        "MEC",
        el(
          "span",
          { "data-mec": twin.mec },
          el("i", { class: "swatch", style: `background:${colourOf(twin.mec)}` }),
          twin.mec,
        ),
      ),
      row("status", `${twin.status}, ${twin.liveness}`),
      row("speed", fixed(twin.speed === undefined ? undefined : twin.speed * 3.6, 1, "km/h")),
      row("heading", fixed(twin.heading, 0, "°")),
      row("distance", fixed(twin.distanceM, 0, "m")),
      row("messages", rates || "–"),
      row("network", network || "–"),
      row("neighbours", neighbours || "–"),
      row("hazards", hazards || "–"),
      row("perceived", `${twin.perceivedObjects.length} objects`),
      row("trail", `${twin.trajectory.length} points`),
    ),
    el("div", { class: "actions" }, "Move to ", select, " ", button),
  );
}

/** The migrations, newest first, each with a bar: time until ready, then until done. */
export function renderMigrations(target: HTMLElement, migrations: Migration[], nowMs: number): void {
  const longest = Math.max(
    1,
    ...migrations.map((m) => m.timeUntilDoneMs ?? nowMs - Date.parse(m.requestedAt)),
  );
  const rows = migrations.map((m) => {
    const done = m.timeUntilDoneMs ?? Math.max(0, nowMs - Date.parse(m.requestedAt));
    const ready = m.timeUntilReadyMs ?? done;
    const bar = el(
      "div",
      { class: "bar" },
      el("span", { class: "ready", style: `width:${(100 * ready) / longest}%` }),
      el("span", {
        class: `rest ${m.status}`,
        style: `width:${(100 * Math.max(0, done - ready)) / longest}%`,
      }),
    );
    return el(
      "tr",
      { class: m.status, "data-migration": m.id, "data-twin": m.twin, "data-trigger": m.trigger },
      el("td", {}, new Date(m.requestedAt).toLocaleTimeString("en-GB")),
      el("td", {}, m.twin),
      el("td", {}, `${m.from}→${m.to}`),
      el("td", {}, `${m.trigger} · ${m.driver}`),
      el("td", { class: "status" }, m.status === "running" ? `running (${m.step})` : m.status),
      el("td", {}, ms(m.timeUntilReadyMs)),
      el("td", {}, ms(m.timeUntilDoneMs)),
      el("td", { class: "timeline" }, bar),
    );
  });
  target.replaceChildren(
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...["time", "twin", "route", "trigger · driver", "status", "ready", "done", "timeline"].map((h) =>
            el("th", {}, h),
          ),
        ),
      ),
      el("tbody", {}, ...rows),
    ),
  );
}
