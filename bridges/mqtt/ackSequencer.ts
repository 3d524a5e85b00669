/**
 * Releases acknowledgements in the order the messages arrived, whatever order their work finishes in.
 * MQTT requires PUBACKs in the order of the PUBLISHes (MQTT 3.1.1 and 5, section 4.6), while the
 * bridge delivers different stations' messages concurrently.
 */
export class AckSequencer<T> {
  private nextTicket = 0;
  private head = 0;
  private readonly entries = new Map<number, { item: T; done: boolean }>();

  /** Registers an arrival; the ticket is what `complete` takes. */
  add(item: T): number {
    const ticket = this.nextTicket++;
    this.entries.set(ticket, { item, done: false });
    return ticket;
  }

  /** Marks one message finished; returns the items now acknowledgeable, oldest first. */
  complete(ticket: number): T[] {
    const entry = this.entries.get(ticket);
    if (entry === undefined || entry.done) return [];
    entry.done = true;
    const released: T[] = [];
    for (let head = this.entries.get(this.head); head?.done; head = this.entries.get(this.head)) {
      released.push(head.item);
      this.entries.delete(this.head);
      this.head++;
    }
    return released;
  }

  /** Messages registered and not yet released. */
  get pending(): number {
    return this.entries.size;
  }
}
