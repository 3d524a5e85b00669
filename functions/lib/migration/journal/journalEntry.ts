/** One journal line: its schema, how a line is read, and the latest entry of each migration. */
import { z } from "zod";
import { TwinDeploymentSchema } from "../../model/driver.ts";
import { MigrationSchema } from "../../model/migration.ts";
import type { JournalEntry } from "../engine/record.ts";

export const JournalEntrySchema = z.object({
  migration: MigrationSchema,
  target: TwinDeploymentSchema.optional(),
  source: TwinDeploymentSchema.optional(),
  traceparent: z.string().optional(),
});

/** Keeps the latest entry per migration id, in order of each migration's first appearance. */
export function latestPerMigration(entries: Iterable<JournalEntry>): JournalEntry[] {
  const latest = new Map<string, JournalEntry>();
  for (const entry of entries) latest.set(entry.migration.id, entry);
  return [...latest.values()];
}

/** The entry a JSON line holds; undefined for a torn or foreign line. */
export function parseJournalLine(line: string): JournalEntry | undefined {
  try {
    const result = JournalEntrySchema.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
