/**
 * Where the shared control plane (geofence, migration, manager) sends its events in the embedded
 * stack: into the Broker of the MEC the event concerns. Each MEC router delivers it to the
 * functions subscribed there, and the control plane is subscribed to every router, so each
 * event reaches each function exactly once.
 */
import type { CloudEvent } from "cloudevents";
import { EXTENSIONS } from "../events.ts";
import type { EventSink } from "./emit/sink.ts";

export class MecRoutingSink implements EventSink {
  /**
   * @param routers the Broker of each MEC
   * @param mecOfSubject the MEC an event without the `vvcumec` extension belongs to, from its subject
   *   (for control-plane events: the twin's home)
   */
  constructor(
    private readonly routers: ReadonlyMap<string, EventSink>,
    private readonly mecOfSubject: (subject: string) => string | undefined,
  ) {
    if (routers.size === 0) throw new Error("MecRoutingSink needs at least one MEC router");
  }

  /** The MEC whose Broker receives the event. */
  mecFor(event: CloudEvent<unknown>): string {
    const tagged = event[EXTENSIONS.mec];
    if (typeof tagged === "string" && this.routers.has(tagged)) return tagged;
    const home = event.subject === undefined ? undefined : this.mecOfSubject(event.subject);
    if (home !== undefined && this.routers.has(home)) return home;
    return this.routers.keys().next().value as string;
  }

  emit(event: CloudEvent<unknown>): Promise<void> {
    const router = this.routers.get(this.mecFor(event)) as EventSink;
    return router.emit(event);
  }
}
