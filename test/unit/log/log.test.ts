import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AxiosError, AxiosHeaders } from "axios";
import { describe, expect, it } from "vitest";
import { LOG_LEVELS, logLevelFrom, redactUrl, serializeError } from "../../../functions/lib/log.ts";

describe("logLevelFrom", () => {
  it("takes every level config.ts accepts, and info when unset", () => {
    for (const level of LOG_LEVELS) expect(logLevelFrom(level)).toEqual({ level });
    expect(logLevelFrom(undefined)).toEqual({ level: "info" });
    expect(logLevelFrom("")).toEqual({ level: "info" });
  });

  it("falls back to info and says why for a level that does not exist", () => {
    const { level, problem } = logLevelFrom("verbose");
    expect(level).toBe("info");
    expect(problem).toContain("LOG_LEVEL 'verbose'");
  });
});

describe("redactUrl", () => {
  it("hides the user info of a URL and keeps the rest", () => {
    expect(redactUrl("mqtts://vvcu:s3cret@broker.example:8883/x")).toBe("mqtts://***@broker.example:8883/x");
    expect(redactUrl("http://:tok@h:1")).toBe("http://***@h:1");
    expect(redactUrl("mqtt://127.0.0.1:1883")).toBe("mqtt://127.0.0.1:1883");
    expect(redactUrl(undefined)).toBeUndefined();
  });
});

/** Runs a script that logs through the root logger in a child process with this environment. */
function logInChild(
  env: Record<string, string>,
  body: string,
): { lines: Record<string, unknown>[]; status: number | null } {
  const script = `import { componentLogger } from ${JSON.stringify(path.resolve("functions/lib/log.ts"))};\n${body}`;
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, VVCU_LOG_FILE: "stdout", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  const lines = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, status: result.status };
}

describe("serializeError", () => {
  it("keeps of an HTTP client error what explains it, never its headers or body", () => {
    const error = new AxiosError(
      "Request failed with status code 502",
      "ERR_BAD_RESPONSE",
      {
        method: "post",
        url: "/osm/admin/v1/tokens",
        baseURL: "https://admin:pw@osm.example",
        headers: new AxiosHeaders({ authorization: "Bearer abc123" }),
        data: '{"password":"hunter2"}',
      },
      undefined,
      {
        status: 502,
        statusText: "Bad Gateway",
        headers: {},
        config: { headers: new AxiosHeaders() },
        data: "x",
      },
    );
    const serialized = serializeError(error) as Record<string, unknown>;
    expect(serialized).toMatchObject({
      type: "AxiosError",
      message: "Request failed with status code 502",
      code: "ERR_BAD_RESPONSE",
      status: 502,
      method: "post",
      url: "/osm/admin/v1/tokens",
      baseURL: "https://***@osm.example",
    });
    const text = JSON.stringify(serialized);
    for (const secret of ["abc123", "hunter2", ":pw@"]) expect(text).not.toContain(secret);
  });

  it("writes other errors as pino does, with their own fields", () => {
    const error = Object.assign(new Error("boom"), { status: 503 });
    expect(serializeError(error)).toMatchObject({ type: "Error", message: "boom", status: 503 });
    expect(serializeError("text")).toBe("text");
  });
});

describe("the root logger", () => {
  const body = [
    'const log = componentLogger("test");',
    'log.debug({ stationId: "1" }, "a debug line");',
    'log.info({ url: "mqtt://user:pw@broker:1883", password: "pw", nested: { token: "t" } }, "an info line");',
  ].join("\n");

  it("honours LOG_LEVEL", () => {
    const info = logInChild({ LOG_LEVEL: "info" }, body);
    expect(info.status).toBe(0);
    expect(info.lines.map((line) => line.msg)).toEqual(["an info line"]);
    const debug = logInChild({ LOG_LEVEL: "debug" }, body);
    expect(debug.lines.map((line) => line.msg)).toEqual(["a debug line", "an info line"]);
    expect(logInChild({ LOG_LEVEL: "silent" }, body).lines).toEqual([]);
  });

  it("starts at info with a warning on a LOG_LEVEL it does not know, instead of crashing", () => {
    const { lines, status } = logInChild({ LOG_LEVEL: "loud" }, body);
    expect(status).toBe(0);
    expect(lines.map((line) => line.msg)).toEqual([
      "LOG_LEVEL 'loud' is not one of fatal, error, warn, info, debug, trace, silent; using info",
      "an info line",
    ]);
  });

  it("never writes passwords, tokens or URL credentials", () => {
    const { lines } = logInChild({ LOG_LEVEL: "info" }, body);
    const text = JSON.stringify(lines);
    expect(text).not.toContain("pw");
    expect(lines[0]).toMatchObject({ url: "mqtt://***@broker:1883", password: "[Redacted]" });
    expect(lines[0]?.nested).toEqual({ token: "[Redacted]" });
  });

  it("writes to the file VVCU_LOG_FILE names", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-log-"));
    try {
      const file = path.join(dir, "sub", "vvcu.log");
      logInChild({ LOG_LEVEL: "info", VVCU_LOG_FILE: file }, body);
      const lines = (await readFile(file, "utf8")).trim().split("\n");
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["an info line"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
