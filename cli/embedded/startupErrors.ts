import type net from "node:net";

/** Start-up failures a person can act on: what failed, and which setting to change. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** Turns a listen error into a StartupError naming the port and the variable that sets it. */
export function listenError(error: unknown, what: string, port: number, variable: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return new StartupError(`${what}: port ${port} is already in use; set ${variable} to a free port`);
  }
  if (code === "EACCES") {
    return new StartupError(
      `${what}: not allowed to listen on port ${port}; set ${variable} to a port above 1023`,
    );
  }
  return new StartupError(
    `${what}: cannot listen on port ${port} (${variable}): ${(error as Error).message}`,
  );
}

/**
 * Listens on `port`; a failure becomes the StartupError of listenError (which port, which
 * variable to change).
 */
export async function listenOrExplain(
  server: net.Server,
  port: number,
  host: string,
  what: string,
  variable: string,
): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenError(error, what, port, variable);
  }
}
