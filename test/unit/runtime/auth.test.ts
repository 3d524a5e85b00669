import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { accessRefusal, isLoopback } from "../../../functions/lib/runtime/auth.ts";

const TOKEN = "t0ken";
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { "content-type": "application/json", "content-length": "20" };

function status(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  token?: string,
  loopbackOnly = false,
) {
  return accessRefusal({ method, path, headers }, token, { loopbackOnly })?.status ?? "ok";
}

describe("the access rule of vvcu's HTTP servers", () => {
  it("with a token, lets only the probes and data-free pages through without it, whatever the path", () => {
    for (const path of ["/health", "/ready"]) expect(status("GET", path, {}, TOKEN), path).toBe("ok");
    for (const path of ["/", "/console/app.js", "/docs", "/docs/init.js"]) {
      expect(status("GET", path, {}, TOKEN), `${path}: a page without data`).toBe("ok");
      expect(status("POST", path, json, TOKEN), `POST ${path}`).toBe(401);
    }
    for (const path of [
      "/api/v1/twins",
      "/api/v1/events",
      "/metrics",
      "/openapi.json",
      "/x",
      "/console/x/y",
    ]) {
      expect(status("GET", path, {}, TOKEN), path).toBe(401);
      expect(status("GET", path, { authorization: "Bearer nope" }, TOKEN), path).toBe(401);
      expect(status("GET", path, bearer, TOKEN), path).toBe("ok");
    }
    expect(status("GET", "/api/v1/twins", {})).toBe("ok");
  });

  it("takes a state-changing request only with a JSON body from no other site, token or not", () => {
    const post = "/api/v1/twins/1/migrations";
    for (const token of [undefined, TOKEN]) {
      const auth = token === undefined ? {} : bearer;
      expect(status("POST", post, { ...auth, ...json }, token)).toBe("ok");
      expect(status("POST", post, { ...auth, ...json, "content-type": "text/plain" }, token)).toBe(415);
      expect(status("POST", post, { ...auth, "content-length": "5" }, token)).toBe(415);
      expect(
        status("POST", post, { ...auth, ...json, origin: "https://evil.example", host: "h:1" }, token),
      ).toBe(403);
      expect(status("POST", post, { ...auth, ...json, origin: "http://h:1", host: "h:1" }, token)).toBe("ok");
      expect(status("POST", post, { ...auth, ...json, "sec-fetch-site": "same-site" }, token)).toBe(403);
      expect(status("DELETE", post, { ...auth }, token)).toBe("ok");
    }
  });

  it("on loopback only, answers requests that name this machine", () => {
    expect(status("GET", "/api/v1/twins", { host: "127.0.0.1:8080" }, undefined, true)).toBe("ok");
    expect(status("GET", "/api/v1/twins", { host: "localhost" }, undefined, true)).toBe("ok");
    expect(status("GET", "/api/v1/twins", { host: "[::1]:8080" }, undefined, true)).toBe("ok");
    expect(status("GET", "/api/v1/twins", { host: "rebind.example:8080" }, undefined, true)).toBe(403);
    expect(status("GET", "/api/v1/twins", {}, undefined, true)).toBe(403);
  });

  it("knows loopback names and addresses", () => {
    for (const host of [
      "127.0.0.1",
      "127.9.9.9",
      "localhost",
      "a.localhost",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "10.0.0.1", "localhost.example", "::", "128.0.0.1"]) {
      expect(isLoopback(host), host).toBe(false);
    }
  });
});
