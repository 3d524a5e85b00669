/**
 * The embedded broker's authentication: with MQTT_USERNAME and MQTT_PASSWORD set, a client gets
 * in only with both; anonymous clients and wrong passwords get CONNACK 4 (bad user name or
 * password) and are disconnected.
 */
import type { AuthenticateError, Client } from "aedes";
import { sameSecret } from "../../../functions/lib/runtime/auth.ts";

export interface BrokerCredentials {
  username: string;
  password: string;
}

type Done = (error: AuthenticateError | null, success: boolean | null) => void;

/** Aedes' `authenticate` handler for one user. */
export function authenticateWith(expected: BrokerCredentials) {
  return (_client: Client, username: string | undefined, password: Buffer | undefined, done: Done): void => {
    // Both compared, always, so the answer takes as long whichever is wrong.
    const userMatches = sameSecret(username ?? "", expected.username);
    const passwordMatches = sameSecret(password ?? "", expected.password);
    if (username !== undefined && password !== undefined && userMatches && passwordMatches) {
      done(null, true);
      return;
    }
    const error = new Error("bad user name or password") as AuthenticateError;
    // AuthErrorCode.BAD_USERNAME_OR_PASSWORD: a const enum, which type-only imports cannot read.
    error.returnCode = 4;
    done(error, false);
  };
}
