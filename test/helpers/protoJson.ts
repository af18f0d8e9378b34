/**
 * A strict proto3 JSON reader, as google.protobuf.json_format.Parse (what tritonclient uses) reads a message:
 * unknown fields, wrong value types, unknown enum names and two members of one oneof are errors.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** Loads one of the project's .proto files, keeping Triton's snake_case field names. */
export function loadProto(path: string): protobuf.Root {
  return new protobuf.Root().loadSync(fileURLToPath(new URL(`../../proto/${path}`, import.meta.url)), { keepCase: true });
}

const INTEGER = new Set(['int32', 'uint32', 'int64', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);

function checkScalar(type: string, v: unknown, where: string, resolved: protobuf.ReflectionObject | null): void {
  if (resolved instanceof protobuf.Enum) {
    if (typeof v === 'string' ? !(v in resolved.values) : !Number.isInteger(v)) throw new Error(`${where}: ${JSON.stringify(v)} is not a ${resolved.name} value`);
    return;
  }
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, v, where);
  if (type === 'string') {
    if (typeof v !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(v)}`);
  } else if (type === 'bool') {
    if (typeof v !== 'boolean') throw new Error(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
  } else if (INTEGER.has(type)) {
    // 64-bit integers may be written as strings in proto3 JSON.
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (!Number.isInteger(n)) throw new Error(`${where}: expected an integer, got ${JSON.stringify(v)}`);
    if (type.startsWith('u') && (n as number) < 0) throw new Error(`${where}: expected an unsigned integer, got ${JSON.stringify(v)}`);
  } else if (type === 'float' || type === 'double') {
    if (typeof v !== 'number') throw new Error(`${where}: expected a number, got ${JSON.stringify(v)}`);
  } else throw new Error(`${where}: unsupported field type ${type}`);
}

/** Throws naming the path of the first thing json_format.Parse would refuse. */
export function checkMessage(type: protobuf.Type, value: unknown, where = type.name): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  const byJsonName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byJsonName.set(f.name, f);
    byJsonName.set(f.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), f);
  }
  const oneofSet = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const field = byJsonName.get(key);
    if (!field) throw new Error(`${where}: no field '${key}' in ${type.fullName}`);
    field.resolve();
    const at = `${where}.${key}`;
    if (field.partOf) {
      const other = oneofSet.get(field.partOf.name);
      if (other) throw new Error(`${at}: oneof ${field.partOf.name} already has ${other}`);
      oneofSet.set(field.partOf.name, key);
    }
    if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at}: expected an object (map)`);
      for (const [k, item] of Object.entries(v)) {
        if (field.keyType !== 'string' && !/^-?\d+$/.test(k)) throw new Error(`${at}: map key '${k}' is not an integer`);
        checkScalar(field.type, item, `${at}.${k}`, field.resolvedType);
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new Error(`${at}: expected an array`);
      v.forEach((item, i) => checkScalar(field.type, item, `${at}[${i}]`, field.resolvedType));
    } else {
      checkScalar(field.type, v, at, field.resolvedType);
    }
  }
}
