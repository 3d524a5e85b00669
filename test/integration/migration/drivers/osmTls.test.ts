import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NbiClient } from "../../../../functions/lib/migration/drivers/osmNbi.ts";
import { selfSignedCertificate } from "../../../helpers/certificate.ts";

let dir: string;
let server: https.Server;
let url: string;
let certificate: string;

beforeAll(async () => {
  // A throw-away self-signed certificate for 127.0.0.1, standing in for an NBI with a private CA.
  dir = mkdtempSync(path.join(os.tmpdir(), "vvcu-osm-tls-"));
  const made = selfSignedCertificate(dir, "IP:127.0.0.1", "127.0.0.1");
  certificate = made.cert;
  server = https.createServer({ key: readFileSync(made.keyFile), cert: certificate }, (request, response) => {
    const body =
      request.url === "/osm/admin/v1/tokens"
        ? { id: "tls-token", expires: Date.now() / 1000 + 3600 }
        : [{ _id: "v1", name: "vim" }];
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const credentials = { username: "u", password: "p", project: "admin", timeoutMs: 5_000 };
const listVims = { operation: "vim-list", method: "GET", path: "/osm/admin/v1/vim_accounts" } as const;

describe("NbiClient over HTTPS", () => {
  it("verifies the NBI's certificate: an unknown CA is refused", async () => {
    const client = new NbiClient({ url, ...credentials });
    await expect(client.request({ ...listVims, signal: new AbortController().signal })).rejects.toThrow(
      /OSM authenticate \(POST \/osm\/admin\/v1\/tokens\) failed: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/,
    );
  });

  it("trusts the NBI when given its CA", async () => {
    const client = new NbiClient({ url, ...credentials, ca: certificate });
    const answer = await client.request({ ...listVims, signal: new AbortController().signal });
    expect(answer.data).toEqual([{ _id: "v1", name: "vim" }]);
  });
});
