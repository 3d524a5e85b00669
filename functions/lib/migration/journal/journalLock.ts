/**
 * One stack per journal file: two engines appending to one file would each recover (finish or
 * undo) the other's migrations. The lock is a file beside the journal holding the owner's pid,
 * created exclusively; a lock whose process is gone (a crash, kill -9) is taken over.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";

export interface JournalLock {
  file: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock of `journalFile`, or rejects with a sentence naming the process that holds it. */
export async function lockJournal(journalFile: string): Promise<JournalLock> {
  const file = `${journalFile}.lock`;
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { file, release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new Error(
        `the migration journal ${journalFile} is in use by another vvcu (pid ${owner}); give each stack its own journal (--journal, VVCU_MIGRATION_JOURNAL), or remove ${file} if that process is no vvcu`,
      );
    }
    // Left by a process that is gone: take it over.
    await rm(file, { force: true });
  }
  throw new Error(`cannot take the lock ${file}: another process keeps taking it`);
}
