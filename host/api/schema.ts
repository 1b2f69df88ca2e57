// A small request-schema module: each schema checks an untyped JSON value and returns it typed,
// or throws a SchemaError naming the path. Objects reject unknown fields (strict validation).

export type SchemaErrorCode = 'wrong-type' | 'unknown-field' | 'missing-field' | 'invalid-value';

export class SchemaError extends Error {
  constructor(
    readonly code: SchemaErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(`${path === '' ? 'body' : path}: ${message}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  parse(value: unknown, path?: string): T;
  readonly optional?: boolean;
}

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const typeOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

function wrongType(path: string, want: string, value: unknown): SchemaError {
  return new SchemaError('wrong-type', path, `expected ${want}, got ${typeOf(value)}`);
}

/** `is`: a check a pattern cannot say (e.g. an IP address), and what it wants. */
export function str(
  check: { min?: number; max?: number; pattern?: RegExp; is?: { what: string; test(value: string): boolean } } = {},
): Schema<string> {
  const { min = 0, max = 4096, pattern, is } = check;
  return {
    parse(value, path = '') {
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      if (value.length < min || value.length > max)
        throw new SchemaError('invalid-value', path, `length must be ${min}..${max}`);
      if (pattern !== undefined && !pattern.test(value))
        throw new SchemaError('invalid-value', path, `must match ${pattern}`);
      if (is !== undefined && !is.test(value)) throw new SchemaError('invalid-value', path, `must be ${is.what}`);
      return value;
    },
  };
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(...values: T[]): Schema<T> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      if (!(values as string[]).includes(value))
        throw new SchemaError('invalid-value', path, `must be one of ${values.join(', ')}`);
      return value as T;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'boolean') throw wrongType(path, 'a boolean', value);
      return value;
    },
  };
}

export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer', value);
      if (value < min || value > max) throw new SchemaError('invalid-value', path, `must be ${min}..${max}`);
      return value;
    },
  };
}

export function array<T>(item: Schema<T>, max = 1024): Schema<T[]> {
  return {
    parse(value, path = '') {
      if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
      if (value.length > max) throw new SchemaError('invalid-value', path, `at most ${max} items`);
      return value.map((entry, index) => item.parse(entry, `${path}[${index}]`));
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string → T map (labels, options). */
export function record<T>(item: Schema<T>, max = 256): Schema<Record<string, T>> {
  return {
    parse(value, path = '') {
      if (!isPlainObject(value)) throw wrongType(path, 'an object', value);
      const entries = Object.entries(value);
      if (entries.length > max) throw new SchemaError('invalid-value', path, `at most ${max} entries`);
      const out: Record<string, T> = {};
      for (const [key, entry] of entries) {
        if (key === '__proto__') throw new SchemaError('invalid-value', join(path, key), 'reserved key');
        out[key] = item.parse(entry, join(path, key));
      }
      return out;
    },
  };
}

export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    parse: (value, path) => (value === undefined ? undefined : schema.parse(value, path)),
    optional: true as const,
  };
}

/** Optional, with JSON null read as absent (Go marshals nil maps and slices as null). */
export function nullable<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    parse: (value, path) => (value === undefined || value === null ? undefined : schema.parse(value, path)),
    optional: true as const,
  };
}

/** Any JSON value (free-form option maps). */
export function any(): Schema<unknown> {
  return { parse: (value) => value };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]['optional'] extends true ? K : never }[keyof S];
export type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined>;
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * An object with exactly the fields of `shape`; absent optional fields stay absent. `lenient`
 * drops unknown fields instead (for peers that add fields across versions, like dockerd).
 */
export function object<S extends Shape>(shape: S, lenient = false): Schema<ObjectOf<S>> {
  return {
    parse(value, path = '') {
      if (!isPlainObject(value)) throw wrongType(path, 'an object', value);
      for (const key of Object.keys(value)) {
        if (!lenient && !Object.hasOwn(shape, key))
          throw new SchemaError('unknown-field', join(path, key), 'unknown field');
      }
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const entry = value[key];
        if (entry === undefined && schema.optional !== true)
          throw new SchemaError('missing-field', join(path, key), 'required');
        const parsed = schema.parse(entry, join(path, key));
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as ObjectOf<S>;
    },
  };
}
