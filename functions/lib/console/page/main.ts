/**
 * The live console: reads the topology's zones and the MECs once, then follows
 * /api/v1/events (twins, migrations, figures); a selected twin's details are read from
 * /api/v1/twins/{id} every second while it stays selected.
 */
import type { Figures, TwinMarker } from "../../model/liveFeed.ts";
import type { Migration } from "../../model/migration.ts";
import type { Twin } from "../../model/twin.ts";
import { Api, ApiError } from "./api.ts";
import { ConsoleMap } from "./map.ts";
import { renderFigures, renderMigrations, renderTwin } from "./panels.ts";

const MIGRATIONS_SHOWN = 40;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = byId("status");
const setStatus = (text: string, kind: "ok" | "error" | "wait") => {
  status.textContent = text;
  status.className = kind;
};

/** Shows the token dialog until a token is entered; rejects when it is cancelled. */
function askToken(reason: string): Promise<string> {
  const dialog = byId<HTMLDialogElement>("token-dialog");
  const input = byId<HTMLInputElement>("token-input");
  byId("token-reason").textContent = reason;
  input.value = "";
  dialog.showModal();
  return new Promise((resolve, reject) => {
    dialog.addEventListener(
      "close",
      () => {
        if (dialog.returnValue === "ok" && input.value !== "") resolve(input.value);
        else reject(new ApiError(401, "no token: the API refuses the console without it"));
      },
      { once: true },
    );
  });
}

const api = new Api(askToken);
let selected: string | undefined;
let fitted = false;
let mecIds: string[] = [];
const migrations = new Map<string, Migration>();
const map = new ConsoleMap(byId("map"), (id) => select(id));
// For the browser tests and for anyone curious in the developer tools.
(window as unknown as { vvcuConsole: unknown }).vvcuConsole = {
  counts: () => map.counts(),
  pointOf: (id: string) => map.pointOf(id),
};

async function start(): Promise<void> {
  setStatus("connecting", "wait");
  const config = await api.json<{ tileUrl?: string; tileAttribution?: string }>("console/config.json");
  if (config.tileUrl) map.addTiles(config.tileUrl, config.tileAttribution ?? "");
  const mecs = await api.json<{ id: string }[]>("api/v1/mecs");
  mecIds = mecs.map((mec) => mec.id);
  map.setZones(mecIds, await api.json<GeoJSON.FeatureCollection>("api/v1/zones"));
  document.body.dataset.ready = "true";
  void follow();
  setInterval(() => renderMigrations(byId("migrations"), shownMigrations(), Date.now()), 1_000);
}

function shownMigrations(): Migration[] {
  return [...migrations.values()]
    .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))
    .slice(0, MIGRATIONS_SHOWN);
}

/** Follows the event stream, reconnecting after a pause when it ends or fails. */
async function follow(): Promise<void> {
  for (;;) {
    const controller = new AbortController();
    try {
      setStatus("live", "ok");
      // Each stream starts with every twin: what expired while the page was away goes this way.
      let first = true;
      await api.stream(
        "api/v1/events",
        (event, data) => {
          if (first) map.clearTwins();
          first = false;
          onEvent(event, data);
        },
        controller.signal,
      );
      setStatus("stream ended; reconnecting", "wait");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setStatus(error.message, "error");
        return;
      }
      setStatus(`disconnected (${(error as Error).message}); reconnecting`, "error");
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}

function onEvent(event: string, data: unknown): void {
  switch (event) {
    case "twin":
      map.upsert(data as TwinMarker);
      break;
    case "twin-removed":
      map.remove((data as { id: string }).id);
      break;
    case "migration": {
      const migration = data as Migration;
      migrations.set(migration.id, migration);
      if (migrations.size > 4 * MIGRATIONS_SHOWN) {
        for (const old of [...migrations.values()].slice(0, migrations.size - 2 * MIGRATIONS_SHOWN))
          if (old.status !== "running") migrations.delete(old.id);
      }
      renderMigrations(byId("migrations"), shownMigrations(), Date.now());
      break;
    }
    case "figures":
      // The figures come after the twins of a reading: the first time, the map zooms to them.
      if (!fitted) fitted = map.fitTwins();
      renderFigures(byId("figures"), data as Figures, (mec) => map.colourOf(mec));
      break;
  }
}

async function select(id: string): Promise<void> {
  selected = id;
  await showSelected();
}

async function showSelected(): Promise<void> {
  const id = selected;
  if (id === undefined) return;
  const panel = byId("twin");
  try {
    const twin = await api.json<Twin>(`api/v1/twins/${encodeURIComponent(id)}`);
    if (selected !== id) return;
    renderTwin(
      panel,
      twin,
      mecIds,
      (target) => void migrate(twin.id, target),
      (mec) => map.colourOf(mec),
    );
    map.showDetail(twin);
  } catch (error) {
    panel.textContent = `Twin ${id}: ${(error as Error).message}`;
    map.showDetail(undefined);
  }
}

async function migrate(twin: string, target: string): Promise<void> {
  const result = byId("migrate-result");
  result.textContent = `asking to move ${twin} to ${target} …`;
  try {
    const migration = await api.json<Migration>(`api/v1/twins/${encodeURIComponent(twin)}/migrations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target }),
    });
    result.textContent = `migration ${migration.id} accepted`;
  } catch (error) {
    result.textContent = `refused: ${(error as Error).message}`;
  }
}

setInterval(() => void showSelected(), 1_000);
start().catch((error: unknown) => setStatus(`cannot start: ${(error as Error).message}`, "error"));
