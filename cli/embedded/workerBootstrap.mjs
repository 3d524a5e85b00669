// A worker thread starts from JavaScript: the main thread's tsx hooks do not reach it, so it
// registers its own before it loads the TypeScript module named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
