/**
 * Real servers for integration tests: Mosquitto, Redis and Prometheus from Debian's
 * packages, each started on a free port in a temporary directory and stopped after.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A port free now, for a server started next. Chosen below the kernel's ephemeral range where
 * there is room: a port from that range (what binding port 0 gives) may be taken by any outgoing
 * connection's local end before the server binds it, and busy test machines make many.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  if (ephemeralLow > FIXED_PORTS_FROM + 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = FIXED_PORTS_FROM + Math.floor(Math.random() * (ephemeralLow - FIXED_PORTS_FROM));
      if (await canListen(port)) return port;
    }
  }
  return listenOnce(0);
}

/** Below this, ports belong to well-known services. */
const FIXED_PORTS_FROM = 20_000;

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [0, 0];
  }
}

/** Free on every interface (servers here listen on all of them or on a 127.0.0.x address). */
async function canListen(port: number): Promise<boolean> {
  try {
    return (await listenOnce(port)) === port;
  } catch {
    return false;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 10_000, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

function findBinary(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not installed (apt-get install ${name}); .ci/run installs it`);
}

export interface RunningServer {
  port: number;
  url: string;
  dir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and keeps the directory (for restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

async function managed(
  name: string,
  port: number,
  dir: string,
  url: string,
  spawnIt: () => ChildProcess,
  host = "127.0.0.1",
): Promise<RunningServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnIt();
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, 10_000, host);
    } catch (error) {
      await stopProcess(child);
      throw new Error(`${name} did not start: ${(error as Error).message}\n${output}`);
    }
  };
  await start();
  return {
    port,
    url,
    dir,
    stop: () => stopProcess(child),
    restart: async () => {
      await stopProcess(child);
      await start();
    },
    dispose: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Mosquitto with persistence on, so a restart keeps QoS 1 sessions and queued messages.
 * `extraConfig`: more lines of mosquitto.conf (e.g. "sys_interval 1" for its $SYS figures).
 */
export async function startMosquitto(extraConfig: string[] = []): Promise<RunningServer> {
  const binary = findBinary("mosquitto");
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-mosquitto-"));
  const config = path.join(dir, "mosquitto.conf");
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      // Run as root, Mosquitto drops to user "mosquitto", which cannot write this directory: its
      // persistence would silently do nothing and a restart would lose every session.
      `user ${os.userInfo().username}`,
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 1",
      "max_queued_messages 100000",
      "log_dest none",
      ...extraConfig,
    ].join("\n"),
  );
  return managed("mosquitto", port, dir, `mqtt://127.0.0.1:${port}`, () =>
    spawn(binary, ["-c", config], { stdio: ["ignore", "pipe", "pipe"] }),
  );
}

/** Redis on a free port of `host` (any loopback address: Linux routes all of 127.0.0.0/8 to lo). */
export async function startRedis(host = "127.0.0.1"): Promise<RunningServer> {
  const binary = findBinary("redis-server");
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-redis-"));
  return managed(
    "redis-server",
    port,
    dir,
    `redis://${host}:${port}`,
    () =>
      spawn(
        binary,
        ["--port", String(port), "--bind", host, "--dir", dir, "--save", "", "--appendonly", "no"],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      ),
    host,
  );
}

/** Prometheus scraping the given targets every second. */
/**
 * Prometheus scraping `targets` as job `vvcu`. With `bearerTokenFile` it sends that token, as
 * grafana/prometheus.yml says to, and a second job, `vvcu-anonymous`, scrapes the same targets
 * without it.
 */
export async function startPrometheus(
  targets: string[],
  scrapeIntervalS = 1,
  options: { bearerTokenFile?: string } = {},
): Promise<RunningServer> {
  const binary = findBinary("prometheus");
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-prometheus-"));
  const config = path.join(dir, "prometheus.yml");
  const targetList = `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`;
  const job = (name: string, tokenFile?: string) => [
    `  - job_name: ${name}`,
    ...(tokenFile === undefined
      ? []
      : ["    authorization:", "      type: Bearer", `      credentials_file: ${JSON.stringify(tokenFile)}`]),
    "    static_configs:",
    targetList,
  ];
  await writeFile(
    config,
    [
      "global:",
      `  scrape_interval: ${scrapeIntervalS}s`,
      "scrape_configs:",
      ...job("vvcu", options.bearerTokenFile),
      ...(options.bearerTokenFile === undefined ? [] : job("vvcu-anonymous")),
    ].join("\n"),
  );
  return managed("prometheus", port, dir, `http://127.0.0.1:${port}`, () =>
    spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    ),
  );
}
