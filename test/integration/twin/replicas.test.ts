import { replicaSuite } from "../../unit/twin/replicaSuite.ts";
import { realRedisStores } from "./realRedis.ts";

replicaSuite("redis", realRedisStores("mec-b"));
