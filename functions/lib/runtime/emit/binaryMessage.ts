/**
 * CloudEvents HTTP binary content mode for one event: the same headers and body as the SDK's
 * HTTP.binary (the unit test holds them equal), at a fraction of its cost per event. The SDK
 * runs every attribute through a parser object and re-parses the time twice; on the bridge's hot
 * path that was the largest single cost after the network.
 */
import { types } from "node:util";
import type { CloudEvent } from "cloudevents";

export interface BinaryMessage {
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/** Attributes that are not headers: the data, or carried by content-type. */
const NOT_HEADERS = new Set(["data", "data_base64", "datacontenttype"]);

export function binaryMessage(event: CloudEvent<unknown>): BinaryMessage {
  const headers: Record<string, string> = {
    "content-type": event.datacontenttype ?? "application/json; charset=utf-8",
  };
  for (const name of Object.keys(event)) {
    if (NOT_HEADERS.has(name)) continue;
    const value = (event as unknown as Record<string, unknown>)[name];
    if (value === undefined) continue;
    headers[`ce-${name}`] = name === "time" ? new Date(value as string).toISOString() : String(value);
  }
  const data = event.data;
  const body =
    typeof data === "object" && !types.isTypedArray(data)
      ? JSON.stringify(data)
      : (data as string | Uint8Array | undefined);
  return { headers, body };
}
