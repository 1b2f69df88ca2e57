// A parser for the WIT subset the contract uses: one package; interfaces with use, type,
// record, variant, enum, resource (methods only) and functions; worlds of plain interface
// imports/exports. jco offers no resolved-AST API (componentWit only prints text back), so
// we parse the subset ourselves; componentEmbed/componentNew then check the generated
// module against jco's own resolution, and the round-trip tests check memory offsets.
import type { Case, Field, Func, Interface, Package, Primitive, TypeDef, TypeRef, World } from './model.js';

const PRIMITIVES = new Set<string>(['bool', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'string']);
const TOKEN = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|(->|%?[a-z][a-z0-9-]*|[0-9]+(?:\.[0-9]+)*|[{}()<>,;:=.@/_*])/gy;

class Tokens {
  private index = 0;
  constructor(private readonly list: string[]) {}
  peek(): string | undefined {
    return this.list[this.index];
  }
  next(): string {
    const token = this.list[this.index++];
    if (token === undefined) throw new Error('WIT: unexpected end of input');
    return token;
  }
  expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new Error(`WIT: expected '${token}', got '${got}' near token ${this.index}`);
  }
  accept(token: string): boolean {
    if (this.peek() !== token) return false;
    this.index++;
    return true;
  }
  ident(): string {
    const token = this.next();
    if (!/^%?[a-z]/.test(token)) throw new Error(`WIT: expected an identifier, got '${token}'`);
    return token.replace(/^%/, '');
  }
}

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (match === null) throw new Error(`WIT: cannot read '${source.slice(at, at + 20)}'`);
    if (match[1] !== undefined) tokens.push(match[1]);
  }
  return tokens;
}

/** Unresolved names are recorded as named refs in the interface that uses them. */
interface RawInterface extends Interface {
  uses: Map<string, { iface: string; name: string }>;
}

export function parseWit(source: string): Package {
  const tokens = new Tokens(tokenize(source));
  let namespace = '';
  let version = '';
  const interfaces = new Map<string, RawInterface>();
  const worlds = new Map<string, World>();
  while (tokens.peek() !== undefined) {
    const keyword = tokens.next();
    if (keyword === 'package') {
      namespace = `${tokens.ident()}:`;
      tokens.expect(':');
      namespace += tokens.ident();
      tokens.expect('@');
      version = tokens.next();
      tokens.expect(';');
    } else if (keyword === 'interface') {
      const iface = parseInterface(tokens);
      interfaces.set(iface.name, iface);
    } else if (keyword === 'world') {
      const world = parseWorld(tokens);
      worlds.set(world.name, world);
    } else {
      throw new Error(`WIT: unexpected '${keyword}' at top level`);
    }
  }
  for (const iface of interfaces.values()) resolveInterface(iface, interfaces);
  return { namespace, version, interfaces, worlds };
}

function parseWorld(tokens: Tokens): World {
  const world: World = { name: tokens.ident(), imports: [], exports: [] };
  tokens.expect('{');
  while (!tokens.accept('}')) {
    const direction = tokens.next();
    const name = tokens.ident();
    tokens.expect(';');
    if (direction === 'import') world.imports.push(name);
    else if (direction === 'export') world.exports.push(name);
    else throw new Error(`WIT: world item '${direction}' is not supported`);
  }
  return world;
}

function parseInterface(tokens: Tokens): RawInterface {
  const iface: RawInterface = { name: tokens.ident(), types: new Map(), funcs: [], uses: new Map() };
  tokens.expect('{');
  while (!tokens.accept('}')) {
    const keyword = tokens.next();
    switch (keyword) {
      case 'use': {
        const from = tokens.ident();
        tokens.expect('.');
        tokens.expect('{');
        do {
          const name = tokens.ident();
          const local = tokens.accept('as') ? tokens.ident() : name;
          iface.uses.set(local, { iface: from, name });
        } while (tokens.accept(','));
        tokens.expect('}');
        tokens.expect(';');
        break;
      }
      case 'type': {
        const name = tokens.ident();
        tokens.expect('=');
        iface.types.set(name, { kind: 'alias', target: parseType(tokens) });
        tokens.expect(';');
        break;
      }
      case 'record':
        iface.types.set(tokens.ident(), {
          kind: 'record',
          fields: parseList(tokens, '{', '}', () => parseField(tokens)),
        });
        break;
      case 'variant':
        iface.types.set(tokens.ident(), {
          kind: 'variant',
          cases: parseList(tokens, '{', '}', () => parseCase(tokens)),
        });
        break;
      case 'enum':
        iface.types.set(tokens.ident(), { kind: 'enum', cases: parseList(tokens, '{', '}', () => tokens.ident()) });
        break;
      case 'resource': {
        const name = tokens.ident();
        const methods: Func[] = [];
        tokens.expect('{');
        while (!tokens.accept('}')) methods.push(parseFunc(tokens, tokens.ident()));
        iface.types.set(name, { kind: 'resource', methods });
        break;
      }
      default:
        iface.funcs.push(parseFunc(tokens, keyword.replace(/^%/, '')));
    }
  }
  return iface;
}

function parseList<T>(tokens: Tokens, open: string, close: string, item: () => T): T[] {
  tokens.expect(open);
  const items: T[] = [];
  while (!tokens.accept(close)) {
    items.push(item());
    if (!tokens.accept(',')) {
      tokens.expect(close);
      break;
    }
  }
  return items;
}

function parseField(tokens: Tokens): Field {
  const name = tokens.ident();
  tokens.expect(':');
  return { name, type: parseType(tokens) };
}

function parseCase(tokens: Tokens): Case {
  const name = tokens.ident();
  if (!tokens.accept('(')) return { name, type: null };
  const type = parseType(tokens);
  tokens.expect(')');
  return { name, type };
}

/** `name: func(params) -> result;` with the name already read. */
function parseFunc(tokens: Tokens, name: string): Func {
  tokens.expect(':');
  tokens.expect('func');
  const params = parseList(tokens, '(', ')', () => parseField(tokens));
  const result = tokens.accept('->') ? parseType(tokens) : null;
  tokens.expect(';');
  return { name, params, result };
}

function parseType(tokens: Tokens): TypeRef {
  const head = tokens.ident();
  if (PRIMITIVES.has(head)) return { kind: 'prim', name: head as Primitive };
  const generic = (): TypeRef[] =>
    parseList(tokens, '<', '>', () => (tokens.accept('_') ? optionalUnit() : parseType(tokens)));
  switch (head) {
    case 'list':
      return { kind: 'list', elem: single(generic()) };
    case 'option':
      return { kind: 'option', inner: single(generic()) };
    case 'tuple':
      return { kind: 'tuple', items: generic() };
    case 'result': {
      if (tokens.peek() !== '<') return { kind: 'result', ok: null, err: null };
      const [ok, err] = generic();
      return { kind: 'result', ok: isUnit(ok) ? null : (ok ?? null), err: err ?? null };
    }
    case 'borrow':
    case 'own': {
      const [target] = generic();
      if (target?.kind !== 'named') throw new Error(`WIT: ${head}<…> needs a resource name`);
      return { kind: 'handle', own: head === 'own', iface: target.iface, name: target.name };
    }
    default:
      return { kind: 'named', iface: '', name: head };
  }
}

const UNIT: TypeRef = { kind: 'tuple', items: [] };
function optionalUnit(): TypeRef {
  return UNIT;
}
function isUnit(type: TypeRef | undefined): boolean {
  return type === UNIT;
}

function single(types: TypeRef[]): TypeRef {
  const [type] = types;
  if (types.length !== 1 || type === undefined) throw new Error('WIT: expected one type argument');
  return type;
}

/** Points every named ref at the interface that defines it; a resource name becomes own<…>. */
function resolveInterface(iface: RawInterface, all: Map<string, RawInterface>): void {
  const lookup = (name: string): { iface: string; name: string; def: TypeDef } => {
    const local = iface.types.get(name);
    if (local !== undefined) return { iface: iface.name, name, def: local };
    const used = iface.uses.get(name);
    const def = used === undefined ? undefined : all.get(used.iface)?.types.get(used.name);
    if (used === undefined || def === undefined) throw new Error(`WIT: unknown type '${name}' in ${iface.name}`);
    return { iface: used.iface, name: used.name, def };
  };
  const resolve = (type: TypeRef): TypeRef => {
    switch (type.kind) {
      case 'prim':
        return type;
      case 'list':
        return { kind: 'list', elem: resolve(type.elem) };
      case 'option':
        return { kind: 'option', inner: resolve(type.inner) };
      case 'result':
        return { kind: 'result', ok: type.ok && resolve(type.ok), err: type.err && resolve(type.err) };
      case 'tuple':
        return { kind: 'tuple', items: type.items.map(resolve) };
      case 'handle': {
        const target = lookup(type.name);
        return { kind: 'handle', own: type.own, iface: target.iface, name: target.name };
      }
      case 'named': {
        const target = lookup(type.name);
        if (target.def.kind === 'resource')
          return { kind: 'handle', own: true, iface: target.iface, name: target.name };
        return { kind: 'named', iface: target.iface, name: target.name };
      }
    }
  };
  const resolveFunc = (func: Func): Func => ({
    name: func.name,
    params: func.params.map((p) => ({ name: p.name, type: resolve(p.type) })),
    result: func.result && resolve(func.result),
  });
  for (const [name, def] of iface.types) {
    switch (def.kind) {
      case 'record':
        iface.types.set(name, {
          kind: 'record',
          fields: def.fields.map((f) => ({ name: f.name, type: resolve(f.type) })),
        });
        break;
      case 'variant':
        iface.types.set(name, {
          kind: 'variant',
          cases: def.cases.map((c) => ({ name: c.name, type: c.type && resolve(c.type) })),
        });
        break;
      case 'alias':
        iface.types.set(name, { kind: 'alias', target: resolve(def.target) });
        break;
      case 'resource':
        iface.types.set(name, { kind: 'resource', methods: def.methods.map(resolveFunc) });
        break;
      case 'enum':
        break;
    }
  }
  iface.funcs = iface.funcs.map(resolveFunc);
}
