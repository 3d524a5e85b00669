import { describe, expect, it } from "vitest";
import { destinationPoint } from "../../../../functions/lib/geo/sphere.ts";
import type { Twin } from "../../../../functions/lib/model/twin.ts";
import {
  compareIds,
  decodeCursor,
  encodeCursor,
  selectTwins,
  type TwinQuery,
} from "../../../../functions/lib/twin/state/twinQuery.ts";
import { fixtureTwins, P, placed, T0 } from "../queryTwins.ts";

const near = (radiusM: number) => ({ near: { ...P, radiusM } });
/** A box from 10 m south-west of P to 1 km north-east: holds 1, 2 (east) and 3 (north). */
const NE_BOX = {
  west: P.lon - 0.0001,
  south: P.lat - 0.0001,
  east: destinationPoint(P, 90, 1_000).lon,
  north: destinationPoint(P, 0, 1_000).lat,
};

describe("selectTwins", () => {
  const twins = fixtureTwins();
  const cases: [string, Partial<TwinQuery>, string[]][] = [
    ["no filter: every twin by id (numeric-aware)", {}, ["1", "2", "3", "10", "11", "20"]],
    ["near 300 m: nearest first", { ...near(300), order: "distance" }, ["1", "3", "2"]],
    ["near 500 m", { ...near(500), order: "distance" }, ["1", "3", "2", "10"]],
    ["near 500 m by id", { ...near(500), order: "id" }, ["1", "2", "3", "10"]],
    ["near 99 m leaves out 3 at 100 m", { ...near(99), order: "distance" }, ["1"]],
    ["near 100 m takes 3 (edge included)", { ...near(100.001), order: "distance" }, ["1", "3"]],
    ["bbox north-east", { bbox: NE_BOX }, ["1", "2", "3"]],
    ["mec", { mec: ["mec-b"] }, ["3", "10"]],
    ["several mecs", { mec: ["mec-a", "mec-b"] }, ["1", "2", "3", "10", "11", "20"]],
    ["stationType", { stationType: ["bus", "roadSideUnit"] }, ["2", "10"]],
    ["liveness stale", { liveness: "stale" }, ["2"]],
    ["liveness live", { liveness: "live" }, ["1", "3", "10", "11", "20"]],
    ["status migrating", { status: "migrating" }, ["3"]],
    ["updatedSince (at or after)", { updatedSinceMs: T0 + 30_000 }, ["10", "11", "20"]],
    ["near + mec", { ...near(500), order: "distance", mec: ["mec-a"] }, ["1", "2"]],
    ["near + bbox", { ...near(500), order: "distance", bbox: NE_BOX }, ["1", "3", "2"]],
    [
      "bbox + stationType + liveness",
      { bbox: NE_BOX, stationType: ["passengerCar"], liveness: "live" },
      ["1", "3"],
    ],
    [
      "near + status + updatedSince",
      { ...near(500), order: "distance", status: "stable", updatedSinceMs: T0 + 5_000 },
      ["1", "10"],
    ],
    ["nothing matches", { mec: ["mec-z"] }, []],
  ];
  it.each(cases)("%s", (_name, filter, expected) => {
    const page = selectTwins(twins, { order: "id", ...filter });
    expect(page.twins.map((twin) => twin.id)).toEqual(expected);
    expect(page.next).toBeUndefined();
  });

  it("gives near answers their distance from the point, in metres", () => {
    const page = selectTwins(twins, { ...near(500), order: "distance" });
    expect(page.twins.map((twin) => Math.round(twin.distanceFromPointM ?? -1))).toEqual([0, 100, 250, 400]);
  });

  it("answers only the fields asked for, with the id", () => {
    const page = selectTwins(twins, {
      ...near(150),
      order: "distance",
      fields: ["position", "heading", "mec"],
    });
    expect(page.twins).toEqual([
      {
        id: "1",
        position: twins[0]?.position,
        heading: 90,
        mec: "mec-a",
        distanceFromPointM: expect.closeTo(0, 6),
      },
      {
        id: "3",
        position: twins[2]?.position,
        heading: 90,
        mec: "mec-b",
        distanceFromPointM: expect.closeTo(100, 6),
      },
    ]);
    const plain = selectTwins(twins, { order: "id", mec: ["mec-b"], fields: ["stationType"] });
    expect(plain.twins).toEqual([
      { id: "3", stationType: "passengerCar" },
      { id: "10", stationType: "roadSideUnit" },
    ]);
  });

  it("does not change the twins it answers with", () => {
    const before = structuredClone(twins);
    selectTwins(twins, { ...near(500), order: "distance", fields: ["id"] });
    selectTwins(twins, { ...near(500), order: "distance" });
    expect(twins).toEqual(before);
  });

  it("pages by id: a limit, a cursor, the last page without one", () => {
    const first = selectTwins(twins, { order: "id", limit: 4 });
    expect(first.twins.map((twin) => twin.id)).toEqual(["1", "2", "3", "10"]);
    const cursor = decodeCursor(first.next as string);
    if (typeof cursor === "string") throw new Error(cursor);
    expect(cursor).toMatchObject({ order: "id", id: "10" });
    const second = selectTwins(twins, { order: "id", limit: 4, after: cursor });
    expect(second.twins.map((twin) => twin.id)).toEqual(["11", "20"]);
    expect(second.next).toBeUndefined();
    // exactly the remaining count: no further page is announced
    expect(selectTwins(twins, { order: "id", limit: 6 }).next).toBeUndefined();
  });

  it("pages by distance, nearest first across pages", () => {
    const query: TwinQuery = { ...near(3_000), order: "distance", limit: 2 };
    const ids: string[] = [];
    let after: TwinQuery["after"];
    for (let page = 0; page < 5; page++) {
      const answer = selectTwins(twins, { ...query, ...(after ? { after } : {}) });
      ids.push(...answer.twins.map((twin) => twin.id));
      if (answer.next === undefined) break;
      after = decodeCursor(answer.next) as TwinQuery["after"];
    }
    expect(ids).toEqual(["1", "3", "2", "10", "20"]);
  });

  it("pages by distance through twins at the same distance: by id, each once", () => {
    // Five twins on one spot 200 m north, one nearer; pages of two split the five.
    const tied = ["9", "10", "car-b", "11", "car-a"].map((id) => placed(id, 200, 0));
    const twins = [placed("5", 50, 0), ...tied];
    const ids: string[] = [];
    let after: TwinQuery["after"];
    for (let page = 0; page < 6; page++) {
      const answer = selectTwins(twins, {
        ...near(300),
        order: "distance",
        limit: 2,
        ...(after ? { after } : {}),
      });
      ids.push(...answer.twins.map((twin) => twin.id));
      if (answer.next === undefined) break;
      after = decodeCursor(answer.next) as TwinQuery["after"];
    }
    expect(ids).toEqual(["5", "9", "10", "11", "car-a", "car-b"]);
  });
});

describe("pages while twins move", () => {
  /** 60 twins spread over a 1 km square north-east of P, moved a random step between pages. */
  function crowd(seed: number): Twin[] {
    let state = seed;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const twins = Array.from({ length: 60 }, (_, i) =>
      placed(String(i + 1), 100 + random() * 600, random() * 90),
    );
    (twins as Twin[] & { random?: () => number }).random = random;
    return twins;
  }

  function move(twins: Twin[], random: () => number): void {
    for (const twin of twins) {
      // anywhere from 100 m to 700 m north-east of P: inside both the box and the circle below
      twin.position = destinationPoint(P, random() * 90, 100 + random() * 600);
    }
  }

  const box = { west: P.lon - 0.001, south: P.lat - 0.001, east: P.lon + 0.02, north: P.lat + 0.02 };
  const queries: [string, TwinQuery][] = [
    ["every twin", { order: "id", limit: 7 }],
    ["bbox", { order: "id", limit: 7, bbox: box }],
    ["near, by id", { order: "id", limit: 7, near: { ...P, radiusM: 800 } }],
  ];
  it.each(queries)("%s: each twin exactly once, in id order", (_name, query) => {
    for (const seed of [1, 2, 3]) {
      const twins = crowd(seed);
      const random = (twins as Twin[] & { random: () => number }).random;
      const seen: string[] = [];
      let after: TwinQuery["after"];
      for (let page = 0; page < 20; page++) {
        const answer = selectTwins(twins, { ...query, ...(after ? { after } : {}) });
        seen.push(...answer.twins.map((twin) => twin.id));
        if (answer.next === undefined) break;
        after = decodeCursor(answer.next) as TwinQuery["after"];
        move(twins, random);
      }
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => String(i + 1)));
    }
  });

  it("keeps going when the twin a cursor names is gone", () => {
    const twins = fixtureTwins();
    const first = selectTwins(twins, { order: "id", limit: 2 });
    const after = decodeCursor(first.next as string) as TwinQuery["after"];
    const without2 = twins.filter((twin) => twin.id !== "2");
    expect(
      selectTwins(without2, { order: "id", limit: 2, ...(after ? { after } : {}) }).twins.map((t) => t.id),
    ).toEqual(["3", "10"]);
  });
});

describe("cursors", () => {
  it("round-trip and refuse anything else", () => {
    const cursor = { order: "distance" as const, id: "42", distanceM: 12.5, query: "abc" };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ order: "id", id: "7", query: "q" }))).toEqual({
      order: "id",
      id: "7",
      query: "q",
    });
    for (const bad of [
      "",
      "not-base64!",
      Buffer.from('[2,"id","1","q"]').toString("base64url"),
      Buffer.from('{"a":1}').toString("base64url"),
    ]) {
      expect(decodeCursor(bad)).toMatch(/not a cursor/);
    }
  });

  it("order ids numerically, ties by code units", () => {
    expect(["10", "9", "1001", "a", "2"].sort(compareIds)).toEqual(["2", "9", "10", "1001", "a"]);
    expect(compareIds("01", "1")).not.toBe(0);
  });
});
