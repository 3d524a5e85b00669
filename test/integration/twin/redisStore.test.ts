import { storeContract } from "../../unit/twin/storeContract.ts";
import { realRedisStores } from "./realRedis.ts";

storeContract("redis", realRedisStores("mec-a"));
