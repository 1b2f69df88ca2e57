// AssemblyScript spellings of WIT names.

const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'implements',
  'import',
  'in',
  'instanceof',
  'interface',
  'let',
  'new',
  'null',
  'package',
  'private',
  'protected',
  'public',
  'return',
  'static',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'type',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
]);

/** AssemblyScript globals a generated type must not shadow. */
const GLOBAL_TYPES: Record<string, string> = {
  Error: 'WitError',
  Map: 'WitMap',
  Set: 'WitSet',
  Array: 'WitArray',
  String: 'WitString',
};

export function camel(name: string): string {
  const joined = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return RESERVED.has(joined) ? `${joined}_` : joined;
}

export function pascal(name: string): string {
  const joined = name.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());
  return GLOBAL_TYPES[joined] ?? joined;
}

/** A name usable inside generated identifiers: "create-network" → "create_network". */
export function snake(name: string): string {
  return name.replace(/-/g, '_');
}
