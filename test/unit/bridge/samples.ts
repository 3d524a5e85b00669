/** C-ITS payloads in the dialects the bridge accepts, for the bridge's tests. */
export function vanetzaCam(stationId: number, sequence: number, lat = 40.64, lon = -8.65): string {
  return JSON.stringify({
    stationID: stationId,
    // The envelope timestamp orders a station's messages; one millisecond per message here.
    timestamp: 1_700_000_000 + sequence / 1000,
    fields: {
      header: { protocolVersion: 2, messageID: 2, stationID: stationId },
      cam: {
        generationDeltaTime: sequence % 65_536,
        camParameters: {
          basicContainer: { stationType: 5, referencePosition: { latitude: lat, longitude: lon } },
          highFrequencyContainer: { basicVehicleContainerHighFrequency: { heading: 90, speed: 10 } },
        },
      },
    },
  });
}

/** An ITS-centre CAM in raw ETSI units (1e-7 degrees). */
export function itsCenterCam(stationId: number): string {
  return JSON.stringify({
    header: { protocolVersion: 2, messageID: 2, stationID: stationId },
    cam: {
      camParameters: {
        basicContainer: {
          stationType: 5,
          referencePosition: { latitude: 406_400_000, longitude: -86_500_000 },
        },
      },
    },
  });
}

/** A station's log as a structured CloudEvent of the catalog, as a gateway in front of RSUs might send it. */
export const structuredCloudEvent = {
  specversion: "1.0",
  id: "ext-1",
  type: "io.vvcu.cits.logs.received",
  source: "/partner/gateway",
  subject: "rsu-42",
  time: "2026-01-01T10:00:00.000Z",
  datacontenttype: "application/json",
  partnerext: "kept",
  data: {
    type: "logs",
    stationId: "rsu-42",
    timeMs: 1_767_261_600_000,
    sequence: 1_767_261_600_000,
    origin: { topic: "obu/inqueue/json/rsu-42/LOGS/access", dialect: "obu-feed", units: "transformed" },
    kind: "access",
    rssiDbm: -70,
    values: { rssi: -70 },
  },
};

/** A control event, which only vvcu's own functions may send: a station publishing it is refused. */
export function migrationRequestCloudEvent(twin: string, from: string, to: string) {
  return {
    specversion: "1.0",
    id: `forged-${twin}`,
    type: "io.vvcu.migration.requested",
    source: "/vvcu/mec-a/geofence",
    subject: twin,
    datacontenttype: "application/json",
    data: {
      id: `forged-${twin}`,
      twin,
      from,
      to,
      trigger: "manual",
      reason: "manual",
      requestedAt: new Date().toISOString(),
    },
  };
}
