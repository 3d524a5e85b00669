/** The order of a twin's neighbours: nearest first, ties by id, so a list reads the same every time. */
import type { Neighbour } from "../model/twin.ts";

function byDistanceThenId(a: Neighbour, b: Neighbour): number {
  return a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Lists up to this long are sorted in place by insertion: cheaper than sort() with a callback. */
const SHORT_LIST = 64;

/** Sorts in place, nearest first. */
export function sortNearestFirst(neighbours: Neighbour[]): void {
  if (neighbours.length > SHORT_LIST) {
    neighbours.sort(byDistanceThenId);
    return;
  }
  for (let i = 1; i < neighbours.length; i++) {
    const item = neighbours[i] as Neighbour;
    let j = i - 1;
    while (j >= 0 && byDistanceThenId(neighbours[j] as Neighbour, item) > 0) {
      neighbours[j + 1] = neighbours[j] as Neighbour;
      j--;
    }
    neighbours[j + 1] = item;
  }
}
