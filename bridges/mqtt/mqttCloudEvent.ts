/**
 * CloudEvents that arrive over MQTT (CloudEvents MQTT protocol binding) are forwarded as they are:
 * structured mode (a JSON object with `specversion`, any MQTT version) or, with MQTT 5, binary mode
 * (attributes in user properties, data in the payload, `datacontenttype` in the Content Type property).
 */
import { CloudEvent, ValidationError } from "cloudevents";

export type UserProperties = Record<string, string | string[]>;

export type MqttCloudEventResult =
  /** Not a CloudEvent: hand it to the C-ITS decoder. */
  { kind: "none" } | { kind: "event"; event: CloudEvent<unknown> } | { kind: "invalid"; reason: string };

const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

function build(attributes: Record<string, unknown>): MqttCloudEventResult {
  try {
    return { kind: "event", event: new CloudEvent<unknown>(attributes) };
  } catch (error) {
    const detail =
      error instanceof ValidationError && Array.isArray(error.errors) && error.errors.length > 0
        ? `${error.message}: ${JSON.stringify(error.errors).slice(0, 300)}`
        : error instanceof Error
          ? error.message
          : String(error);
    return { kind: "invalid", reason: `not a valid CloudEvent: ${detail}` };
  }
}

function fromBinaryMode(
  payload: Uint8Array,
  userProperties: UserProperties,
  contentType: string | undefined,
): MqttCloudEventResult {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(userProperties)) {
    const text = firstValue(value);
    if (text !== undefined) attributes[name] = text;
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  const datacontenttype =
    typeof attributes.datacontenttype === "string" ? attributes.datacontenttype : undefined;
  if (payload.byteLength > 0) {
    if (isJsonContentType(datacontenttype)) {
      try {
        attributes.data = JSON.parse(Buffer.from(payload).toString("utf8"));
      } catch {
        return {
          kind: "invalid",
          reason: `CloudEvent data is not JSON although datacontenttype is ${datacontenttype}`,
        };
      }
    } else {
      attributes.data = Buffer.from(payload);
    }
  }
  return build(attributes);
}

/**
 * Recognises a CloudEvent in an MQTT message. A JSON body is a structured CloudEvent when it has a
 * `specversion` or the message says `application/cloudevents+json`; C-ITS messages never carry one.
 */
export function mqttCloudEvent(
  payload: Uint8Array,
  userProperties: UserProperties | undefined,
  contentType: string | undefined,
): MqttCloudEventResult {
  if (userProperties !== undefined && firstValue(userProperties.specversion) !== undefined) {
    return fromBinaryMode(payload, userProperties, contentType);
  }
  const declaredStructured = contentType?.toLowerCase().startsWith(STRUCTURED_CONTENT_TYPE) ?? false;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    // Not JSON: the decoder says why, unless the sender promised a structured CloudEvent.
    return declaredStructured
      ? { kind: "invalid", reason: "structured CloudEvent is not JSON" }
      : { kind: "none" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return declaredStructured
      ? { kind: "invalid", reason: "structured CloudEvent is not a JSON object" }
      : { kind: "none" };
  }
  if (!declaredStructured && !("specversion" in body)) return { kind: "none" };
  return build(body as Record<string, unknown>);
}
