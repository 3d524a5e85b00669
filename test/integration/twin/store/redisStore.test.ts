import { storeContract } from "../../../unit/twin/store/storeContract.ts";
import { realRedisStores } from "./realRedis.ts";

storeContract("redis", realRedisStores("mec-a"));
