/**
 * OSM for the two clusters: the NBI stand-in over HTTPS (a throw-away CA the migration function
 * trusts through OSM_CA_FILE) whose LCM installs the twin chart's objects (twinCnfObjects, which
 * test/unit/charts holds equal to charts/vvcu-twin) into the cluster of the NS's VIM account and
 * waits for the Deployment to be ready, as a helm KDU install with --wait does; terminate
 * uninstalls them and waits until the pod is gone.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import {
  type TwinCnfValues,
  twinCnfObjects,
} from "../../functions/lib/migration/drivers/kubernetesObjects.ts";
import type { StoredObject } from "../integration/migration/drivers/fakeKubeApi.ts";
import { FakeOsmNbi } from "../integration/migration/drivers/fakeOsmNbi.ts";
import { writeFileIn } from "./image.ts";
import type { Mec } from "./mec.ts";

/** The VIM accounts the NBI stand-in lists, by MEC (the topology's osm.vimAccount). */
export const VIM_ACCOUNTS = {
  "mec-a": { id: "4a44-vim-a", name: "mec-a-vim" },
  "mec-b": { id: "5b55-vim-b", name: "mec-b-vim" },
} as const;

interface KduRequest {
  vimAccountId: string;
  additionalParamsForVnf: {
    additionalParamsForKdu: { "k8s-namespace": string; additionalParams: TwinCnfValues }[];
  }[];
}

const INSTALL_TIMEOUT_MS = 60_000;

export interface OsmForClusters {
  nbi: FakeOsmNbi;
  /** Settings of the migration function: OSM_NBI_URL, OSM_USERNAME, OSM_PASSWORD_FILE, OSM_CA_FILE, OSM_PROJECT. */
  env: Record<string, string>;
}

export async function startOsm(dir: string, mecs: Mec[]): Promise<OsmForClusters> {
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
    ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ...["-keyout", path.join(dir, "nbi-key.pem"), "-out", path.join(dir, "nbi-cert.pem")],
  ]);
  const cert = await readFile(path.join(dir, "nbi-cert.pem"), "utf8");
  const key = await readFile(path.join(dir, "nbi-key.pem"), "utf8");
  const clusterOf = (vimAccountId: string) => {
    const entry = Object.entries(VIM_ACCOUNTS).find(([, vim]) => vim.id === vimAccountId);
    const mec = mecs.find((candidate) => candidate.id === entry?.[0]);
    if (!mec) throw new Error(`VIM account ${vimAccountId} has no Kubernetes cluster`);
    return mec.cluster.api;
  };
  const installed = new Map<string, { vim: string; namespace: string; objects: StoredObject[] }>();
  const nbi: FakeOsmNbi = new FakeOsmNbi({
    tls: { key, cert },
    lcm: {
      async instantiate(nsId, request) {
        const { vimAccountId, additionalParamsForVnf } = request as unknown as KduRequest;
        const kdu = additionalParamsForVnf[0]?.additionalParamsForKdu[0];
        if (!kdu) throw new Error("no KDU parameters");
        const api = clusterOf(vimAccountId);
        const namespace = kdu["k8s-namespace"];
        const { deployment, service } = twinCnfObjects(kdu.additionalParams);
        const objects = [service, deployment] as unknown as StoredObject[];
        installed.set(nsId, { vim: vimAccountId, namespace, objects });
        api.apply("services", namespace, objects[0] as StoredObject);
        api.apply("deployments", namespace, objects[1] as StoredObject);
        const deadline = Date.now() + INSTALL_TIMEOUT_MS;
        const key = api.key("deployments", namespace, deployment.metadata.name);
        while (((api.objects.get(key)?.status as { readyReplicas?: number })?.readyReplicas ?? 0) < 1) {
          if (Date.now() > deadline) throw new Error(`helm install timed out: ${key} not ready`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      },
      async terminate(nsId) {
        const release = installed.get(nsId);
        if (!release) return;
        installed.delete(nsId);
        const api = clusterOf(release.vim);
        const [service, deployment] = release.objects as [StoredObject, StoredObject];
        await api.remove("deployments", release.namespace, deployment.metadata.name);
        await api.remove("services", release.namespace, service.metadata.name);
      },
    },
  });
  await nbi.start();
  const { username, password, project_id } = nbi.credentials;
  return {
    nbi,
    env: {
      OSM_NBI_URL: nbi.url,
      OSM_USERNAME: username,
      OSM_PASSWORD_FILE: await writeFileIn(dir, "osm-password", password),
      OSM_PROJECT: project_id,
      OSM_CA_FILE: path.join(dir, "nbi-cert.pem"),
    },
  };
}
