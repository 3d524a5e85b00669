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

export const structuredCloudEvent = {
  specversion: "1.0",
  id: "ext-1",
  type: "org.example.roadworks",
  source: "/partner/roadworks",
  subject: "rsu-42",
  time: "2026-01-01T10:00:00.000Z",
  datacontenttype: "application/json",
  partnerext: "kept",
  data: { lane: 2, closed: true },
};
