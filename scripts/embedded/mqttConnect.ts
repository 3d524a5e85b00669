/** Moved to functions/lib/runtime/mqttConnect.ts (functions use it too); kept for existing imports. */
export * from "../../functions/lib/runtime/mqttConnect.ts";
