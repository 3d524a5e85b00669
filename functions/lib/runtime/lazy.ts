/**
 * The one way a function entry point builds what it serves: on first use (importing the module never
 * needs the environment or a broker), once, shared by concurrent first calls, and built again on the
 * next call after a failure (a broker that was down at the first event is tried again, never cached
 * as broken).
 */
export interface Lazy<T> {
  /** The value, built now if it is not built yet. */
  get(): Promise<T>;
  /** The value if it is built, without building it. */
  peek(): Promise<T> | undefined;
  /** Forgets the value; the next `get` builds it again. Returns what was built, to close it. */
  reset(): Promise<T> | undefined;
}

export function lazily<T>(build: () => Promise<T> | T): Lazy<T> {
  let value: Promise<T> | undefined;
  return {
    get() {
      if (value === undefined) {
        const building = Promise.resolve().then(build);
        value = building;
        building.catch(() => {
          if (value === building) value = undefined;
        });
      }
      return value;
    },
    peek: () => value,
    reset() {
      const built = value;
      value = undefined;
      return built;
    },
  };
}
