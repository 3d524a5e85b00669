/** The manager's MigrationControl in a cluster: the migration function's control API over HTTP. */
import axios, { type AxiosInstance } from "axios";
import { z } from "zod";
import type { MigrationControl, RequestOutcome } from "../migration/engine/engine.ts";
import { REJECTION_CODES } from "../migration/engine/record.ts";
import { MigrationSchema } from "../model/migration.ts";

const OutcomeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("started"), migration: MigrationSchema }),
  z.object({ kind: z.literal("duplicate"), migration: MigrationSchema }),
  z.object({ kind: z.literal("conflict"), migration: MigrationSchema }),
  z.object({
    kind: z.literal("rejected"),
    code: z.enum(REJECTION_CODES),
    error: z.string(),
  }),
]);

export class RemoteMigrationControl implements MigrationControl {
  private readonly http: AxiosInstance;

  /** `apiToken`: the migration function's, when it has one (the same VVCU_API_TOKEN). */
  constructor(options: { url: string; timeoutMs?: number; apiToken?: string }) {
    this.http = axios.create({
      baseURL: options.url.replace(/\/+$/, ""),
      timeout: options.timeoutMs ?? 10_000,
      headers: options.apiToken === undefined ? {} : { Authorization: `Bearer ${options.apiToken}` },
      validateStatus: () => true,
    });
  }

  async request(
    request: Parameters<MigrationControl["request"]>[0],
    context: { traceparent?: string } = {},
  ): Promise<RequestOutcome> {
    const headers = context.traceparent ? { traceparent: context.traceparent } : {};
    const response = await this.http.post("/migrations", request, { headers });
    const outcome = OutcomeSchema.safeParse(response.data);
    if (!outcome.success) {
      throw new Error(`migration function answered ${response.status} with an unexpected body`);
    }
    return outcome.data;
  }

  async list(filter: { twin?: string } = {}) {
    const response = await this.http.get("/migrations", { params: filter.twin ? { twin: filter.twin } : {} });
    const migrations = z.array(MigrationSchema).safeParse(response.data);
    if (response.status !== 200 || !migrations.success) {
      throw new Error(`migration function answered ${response.status} to GET /migrations`);
    }
    return migrations.data;
  }
}
