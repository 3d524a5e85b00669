/** Throw-away self-signed certificates, made at test time with Debian's openssl: no key is ever committed. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** PEM of the certificate: its own CA. */
  cert: string;
}

/** A one-day certificate for `subjectAltName` (e.g. "IP:127.0.0.1" or "DNS:vvcu.example"), in `dir`. */
export function selfSignedCertificate(
  dir: string,
  subjectAltName: string,
  commonName = "vvcu-test",
): Certificate {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${commonName}`]
      .concat(["-addext", `subjectAltName=${subjectAltName}`])
      .concat(["-keyout", keyFile, "-out", certFile]),
    { stdio: "ignore", timeout: 20_000 },
  );
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8") };
}
