import { describe, expect, it } from "vitest";
import {
  connectableHost,
  isLoopback,
  type ListenSecurity,
  listenVerdict,
} from "../../../../cli/embedded/listen.ts";

const open: ListenSecurity = {
  host: "0.0.0.0",
  embeddedBroker: true,
  brokerCredentials: false,
  apiToken: false,
  tls: false,
  insecureOptOut: false,
};

describe("where the embedded stack may listen", () => {
  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.org", "::ffff:10.0.0.1"]) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it("reaches every interface through loopback, and brackets IPv6", () => {
    expect(connectableHost("0.0.0.0")).toBe("127.0.0.1");
    expect(connectableHost("::")).toBe("[::1]");
    expect(connectableHost("192.168.1.5")).toBe("192.168.1.5");
    expect(connectableHost("fe80::1")).toBe("[fe80::1]");
  });

  it("lets loopback be, open or not", () => {
    expect(listenVerdict({ ...open, host: "127.0.0.1" })).toEqual({ warnings: [] });
  });

  it("refuses the network without broker credentials or a token, naming what is missing", () => {
    expect(listenVerdict(open)).toEqual({
      refuse:
        "--listen 0.0.0.0 opens the MQTT broker and the API to the network without MQTT_USERNAME and MQTT_PASSWORD or VVCU_API_TOKEN: set MQTT_USERNAME and MQTT_PASSWORD and VVCU_API_TOKEN, or accept an open stack with --insecure-listen (VVCU_INSECURE_LISTEN=true)",
    });
    expect(listenVerdict({ ...open, brokerCredentials: true })).toMatchObject({
      refuse: expect.stringContaining("without VVCU_API_TOKEN: set VVCU_API_TOKEN,"),
    });
    // An external broker (MQTT_URL) has its own access control: only the token matters here.
    expect(listenVerdict({ ...open, embeddedBroker: false, apiToken: true, tls: true })).toEqual({
      warnings: [],
    });
  });

  it("with the opt-out or without TLS, starts but says so", () => {
    const optedOut = listenVerdict({ ...open, insecureOptOut: true });
    expect(optedOut).toEqual({
      warnings: [
        expect.stringContaining("anyone who reaches this machine"),
        expect.stringContaining("without a certificate"),
      ],
    });
    const noTls = listenVerdict({ ...open, brokerCredentials: true, apiToken: true });
    expect(noTls).toEqual({ warnings: [expect.stringContaining("without a certificate")] });
    expect(listenVerdict({ ...open, brokerCredentials: true, apiToken: true, tls: true })).toEqual({
      warnings: [],
    });
  });
});
