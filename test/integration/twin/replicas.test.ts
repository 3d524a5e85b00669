import { replicaSuite } from "../../unit/twin/replicaSuite.ts";
import { realRedisStores } from "./store/realRedis.ts";

replicaSuite("redis", realRedisStores("mec-b"));
