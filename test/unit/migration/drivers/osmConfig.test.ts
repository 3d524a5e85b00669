import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../functions/lib/config.ts";
import { nbiClientOptionsFromConfig } from "../../../../functions/lib/migration/drivers/osmConfig.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-osm-config-"));
  await writeFile(path.join(dir, "password"), "from-file\n");
  await writeFile(path.join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("nbiClientOptionsFromConfig", () => {
  it("reads the URL, user, project, and the password and CA from mounted files", () => {
    const config = loadConfig({
      OSM_NBI_URL: "https://osm.example:9999",
      OSM_USERNAME: "vvcu",
      OSM_PASSWORD: "ignored-when-a-file-is-given",
      OSM_PASSWORD_FILE: path.join(dir, "password"),
      OSM_PROJECT: "edge",
      OSM_CA_FILE: path.join(dir, "ca.pem"),
    });
    expect(nbiClientOptionsFromConfig(config)).toEqual({
      url: "https://osm.example:9999",
      username: "vvcu",
      password: "from-file",
      project: "edge",
      ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    });
  });

  it("takes the password from the environment and the admin project by default", () => {
    const options = nbiClientOptionsFromConfig(
      loadConfig({ OSM_NBI_URL: "https://osm:9999", OSM_USERNAME: "u", OSM_PASSWORD: "p" }),
    );
    expect(options).toEqual({ url: "https://osm:9999", username: "u", password: "p", project: "admin" });
  });

  it("names everything missing in one error", () => {
    expect(() => nbiClientOptionsFromConfig(loadConfig({}))).toThrow(
      "the osm driver needs OSM_NBI_URL, OSM_USERNAME, OSM_PASSWORD or OSM_PASSWORD_FILE",
    );
  });

  it("refuses a URL that is not http(s), and says which secret file it could not read", () => {
    const base = { OSM_USERNAME: "u", OSM_PASSWORD: "p" };
    expect(() => nbiClientOptionsFromConfig(loadConfig({ ...base, OSM_NBI_URL: "osm:9999" }))).toThrow(
      /OSM_NBI_URL must be an http\(s\) URL/,
    );
    const missing = path.join(dir, "absent");
    expect(() =>
      nbiClientOptionsFromConfig(loadConfig({ ...base, OSM_NBI_URL: "https://osm", OSM_CA_FILE: missing })),
    ).toThrow(`cannot read OSM_CA_FILE from ${missing}: ENOENT`);
  });
});
