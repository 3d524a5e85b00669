/**
 * A cheap check, compiled from a zod schema, that a value already is what the schema's parse
 * would return: valid, and with nothing to strip or convert. Such a value can be used as it is;
 * any other goes through zod, which copies it and words the error. Parsing the event data with
 * zod copied every message and was a good part of the garbage the twin's hot path made.
 *
 * Conservative by construction: a schema part it does not know (a transform, a refinement, a
 * check it does not model) compiles to "not sure", so the answer true is only given when zod
 * would accept the value unchanged (a property test holds it to that).
 */
import type { z } from "zod";

export type Conformance = (value: unknown) => boolean;

/** The parts of zod 4's internal definitions read here (`schema._zod.def`). */
interface Definition {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  values?: unknown[];
  entries?: Record<string, unknown>;
  options?: z.ZodType[];
  discriminator?: string;
  checks?: { _zod: { def: CheckDefinition } }[];
  catchall?: z.ZodType;
}

interface CheckDefinition {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const NOT_SURE: Conformance = () => false;

/** Thrown while generating when a schema part is not modelled: the whole check becomes NOT_SURE. */
class NotModelled extends Error {}

function definitionOf(schema: z.ZodType): Definition {
  return (schema as unknown as { _zod: { def: Definition } })._zod.def;
}

/** Bounds a number (or a string's length) must lie in, as a JS condition on `measure`. */
function boundsCondition(checks: Definition["checks"], measure: string): string {
  const conditions: string[] = [];
  for (const { _zod } of checks ?? []) {
    const { check, value, inclusive, minimum, maximum } = _zod.def;
    if (check === "greater_than" && Number.isFinite(value)) {
      conditions.push(`${measure} ${inclusive ? ">=" : ">"} ${value}`);
    } else if (check === "less_than" && Number.isFinite(value)) {
      conditions.push(`${measure} ${inclusive ? "<=" : "<"} ${value}`);
    } else if (check === "min_length" && Number.isFinite(minimum)) {
      conditions.push(`${measure} >= ${minimum}`);
    } else if (check === "max_length" && Number.isFinite(maximum)) {
      conditions.push(`${measure} <= ${maximum}`);
    } else {
      throw new NotModelled(check);
    }
  }
  return conditions.map((condition) => ` && ${condition}`).join("");
}

const PLAIN_OBJECT = (value: string) =>
  `if (typeof ${value} !== "object" || ${value} === null || Array.isArray(${value})) return false;
  { const prototype = Object.getPrototypeOf(${value}); if (prototype !== Object.prototype && prototype !== null) return false; }`;

/**
 * Generates the check as JavaScript, one small function per object, array or record of the
 * schema with its fields read by name: a walk of the schema at every call reads fields by
 * computed keys and calls closures through megamorphic sites, and was slower than zod itself.
 * Only the schema's own names and numbers are written into the code (names JSON-quoted).
 */
class Generator {
  readonly functions: string[] = [];
  readonly constants: unknown[] = [];

  /** A condition on the local variable `value` (a plain identifier). */
  condition(schema: z.ZodType, value: string): string {
    const def = definitionOf(schema);
    switch (def.type) {
      case "string":
        return `(typeof ${value} === "string"${boundsCondition(def.checks, `${value}.length`)})`;
      case "number":
        return `(typeof ${value} === "number" && Number.isFinite(${value})${boundsCondition(def.checks, value)})`;
      case "boolean":
        return `(typeof ${value} === "boolean")`;
      case "literal":
        return `(${(def.values ?? []).map((literal) => `${value} === ${this.literal(literal)}`).join(" || ") || "false"})`;
      case "enum": {
        const values = Object.values(def.entries ?? {});
        for (const entry of values) this.literal(entry);
        return `(${values.map((entry) => `${value} === ${JSON.stringify(entry)}`).join(" || ") || "false"})`;
      }
      case "optional":
        return `(${value} === undefined || ${this.condition(def.innerType as z.ZodType, value)})`;
      case "array":
        if (def.checks && def.checks.length > 0) throw new NotModelled("array checks");
        return `${this.arrayFunction(def.element as z.ZodType)}(${value})`;
      case "record":
        return `${this.recordFunction(def)}(${value})`;
      case "object":
        return `${this.objectFunction(def)}(${value})`;
      case "union":
        return `${this.unionFunction(def)}(${value})`;
      default:
        throw new NotModelled(def.type);
    }
  }

  private literal(literal: unknown): string {
    if (typeof literal === "string" || typeof literal === "boolean" || literal === null) {
      return JSON.stringify(literal);
    }
    if (typeof literal === "number" && Number.isFinite(literal)) return String(literal);
    throw new NotModelled(`literal ${typeof literal}`);
  }

  /** Adds a function; its name is taken before its body is generated (which may add others). */
  private add(body: () => string): string {
    const index = this.functions.push("") - 1;
    const name = `check${index}`;
    this.functions[index] = `function ${name}(value) {\n${body()}\n}`;
    return name;
  }

  private arrayFunction(element: z.ZodType): string {
    return this.add(
      () => `if (!Array.isArray(value)) return false;
  for (let index = 0; index < value.length; index++) {
    const item = value[index];
    if (!${this.condition(element, "item")}) return false;
  }
  return true;`,
    );
  }

  private recordFunction(def: Definition): string {
    if (definitionOf(def.keyType as z.ZodType).type !== "string") throw new NotModelled("record key");
    return this.add(
      () => `${PLAIN_OBJECT("value")}
  for (const key in value) {
    const item = value[key];
    if (!${this.condition(def.keyType as z.ZodType, "key")} || !${this.condition(def.valueType as z.ZodType, "item")}) return false;
  }
  return true;`,
    );
  }

  private objectFunction(def: Definition): string {
    if (def.catchall !== undefined || (def.checks && def.checks.length > 0)) throw new NotModelled("object");
    const shape = def.shape ?? {};
    const names = Object.keys(shape);
    const known = this.constants.push(new Set(names)) - 1;
    return this.add(() => {
      const fields = names.map(
        (name, index) =>
          `const field${index} = value[${JSON.stringify(name)}];
  if (!${this.condition(shape[name] as z.ZodType, `field${index}`)}) return false;`,
      );
      return `${PLAIN_OBJECT("value")}
  for (const key in value) if (!constants[${known}].has(key)) return false; // zod would strip it
  ${fields.join("\n  ")}
  return true;`;
    });
  }

  private unionFunction(def: Definition): string {
    const discriminator = def.discriminator;
    if (discriminator === undefined) throw new NotModelled("union without discriminator");
    return this.add(() => {
      const cases = (def.options ?? []).map((option) => {
        const tag = definitionOf(option).shape?.[discriminator];
        const tagDef = tag ? definitionOf(tag) : undefined;
        if (tagDef?.type !== "literal" || !tagDef.values) throw new NotModelled("discriminator");
        const labels = tagDef.values.map((literal) => `case ${this.literal(literal)}:`).join(" ");
        return `${labels} return ${this.condition(option, "value")};`;
      });
      return `${PLAIN_OBJECT("value")}
  switch (value[${JSON.stringify(discriminator)}]) {
    ${cases.join("\n    ")}
  }
  return false;`;
    });
  }
}

/** Compiles `schema` into its conformance check (see the module comment). */
export function compileConformance(schema: z.ZodType): Conformance {
  const generator = new Generator();
  let root: string;
  try {
    root = generator.condition(schema, "value");
  } catch (error) {
    if (error instanceof NotModelled) return NOT_SURE;
    throw error;
  }
  const source = `${generator.functions.join("\n")}\nreturn function conforms(value) { return ${root}; };`;
  try {
    // Code from the schema's own definition (see Generator), compiled once per schema.
    const build = new Function("constants", source) as (constants: unknown[]) => Conformance;
    return build(generator.constants);
  } catch {
    return NOT_SURE; // code generation is off (--disallow-code-generation-from-strings): zod does it all
  }
}
