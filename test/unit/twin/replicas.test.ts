import { sharedMemoryBackend } from "./memoryBackend.ts";
import { replicaSuite } from "./replicaSuite.ts";

replicaSuite("memory", sharedMemoryBackend());
