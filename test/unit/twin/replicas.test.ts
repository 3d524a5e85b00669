import { replicaSuite } from "./replicaSuite.ts";
import { sharedMemoryBackend } from "./store/memoryBackend.ts";

replicaSuite("memory", sharedMemoryBackend());
