/**
 * What a message carries that the decoder does not read, listed for `vvcu decode --explain` only:
 * the containers next to the ones the readers use. Decoding never calls this on its own, so the
 * hot path pays nothing for it. (A CPM's unused containers are listed while reading it.)
 */
import { isObject, type JsonObject, joinPath } from "./read.ts";
import type { DroppedPart } from "./types.ts";

/** For each message type: the parameters object, and the containers in it that are read. */
const READ: Record<"cam" | "vam" | "denm", { parameters: string | undefined; read: readonly string[] }> = {
  cam: {
    parameters: "camParameters",
    read: ["basicContainer", "highFrequencyContainer", "lowFrequencyContainer"],
  },
  vam: { parameters: "vamParameters", read: ["basicContainer", "vruHighFrequencyContainer"] },
  denm: { parameters: undefined, read: ["management", "situation"] },
};

/** Fields of a read container that are not read either, worth naming to an operator. */
const UNREAD_FIELDS: Record<string, readonly string[]> = {
  lowFrequencyContainer: ["pathHistory", "vehicleRole"],
  situation: ["linkedCause", "eventHistory", "informationQuality"],
};

export function unusedParts(type: string, body: JsonObject, bodyPath: string): DroppedPart[] {
  const layout = (READ as Record<string, (typeof READ)["cam"] | undefined>)[type];
  if (layout === undefined) return [];
  const parametersValue = layout.parameters === undefined ? undefined : body[layout.parameters];
  const container = isObject(parametersValue) ? parametersValue : body;
  const path =
    isObject(parametersValue) && layout.parameters !== undefined
      ? joinPath(bodyPath, layout.parameters)
      : bodyPath;
  const unused: DroppedPart[] = [];
  for (const key in container) {
    if (layout.read.includes(key) || key === "generationDeltaTime" || container[key] === null) continue;
    if (layout.parameters !== undefined && container === body && !key.endsWith("Container")) continue;
    unused.push({ path: joinPath(path, key), code: "unused", reason: `${key}: vvcu does not use it` });
  }
  for (const key of layout.read) {
    const read = container[key];
    const fields = UNREAD_FIELDS[key];
    if (!isObject(read) || fields === undefined) continue;
    const wrapped = key === "lowFrequencyContainer" ? read.basicVehicleContainerLowFrequency : undefined;
    const inner = isObject(wrapped) ? wrapped : read;
    const innerPath = isObject(wrapped)
      ? joinPath(joinPath(path, key), "basicVehicleContainerLowFrequency")
      : joinPath(path, key);
    for (const field of fields) {
      if (inner[field] !== undefined && inner[field] !== null)
        unused.push({
          path: joinPath(innerPath, field),
          code: "unused",
          reason: `${field}: vvcu does not use it`,
        });
    }
  }
  return unused;
}
