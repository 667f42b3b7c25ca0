/**
 * The official AWS service models botocore ships (the same JSON the aws CLI runs on), and a small
 * validator of response bodies against them: structure members and required members, strings and
 * their enums and lengths, numbers, booleans, timestamps as epoch-second numbers (JSON 1.1), lists,
 * maps and base64 blobs. Not a general Smithy validator: it checks what a JSON 1.1 client reads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

interface ShapeRef {
  shape: string;
}

export interface Shape {
  type: string;
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  enum?: string[];
  min?: number;
  max?: number;
}

export interface ServiceModel {
  metadata: { targetPrefix: string; protocol: string };
  operations: Record<string, { input?: ShapeRef; output?: ShapeRef; errors?: ShapeRef[] }>;
  shapes: Record<string, Shape>;
}

/** Errors any JSON 1.1 service may answer, besides those an operation lists. */
export const COMMON_ERRORS = [
  'AccessDeniedException',
  'InternalFailure',
  'ServiceUnavailable',
  'ThrottlingException',
  'ValidationException',
  'SerializationException',
  'UnknownOperationException',
];

let botocoreDir: string | undefined;

function findBotocore(): string {
  botocoreDir ??= execFileSync(
    'python3',
    ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'],
    {
      encoding: 'utf8',
    },
  ).trim();
  return botocoreDir;
}

/** Loads data/<service>/<version>/service-2.json (or .json.gz) of the botocore on this machine. */
export function loadBotocoreModel(service: string, version: string): ServiceModel {
  const base = join(findBotocore(), 'data', service, version, 'service-2.json');
  if (existsSync(base)) return JSON.parse(readFileSync(base, 'utf8')) as ServiceModel;
  return JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString('utf8')) as ServiceModel;
}

/** Problems of a value against a shape, each as `path: what`; empty when it conforms. */
export function validateShape(model: ServiceModel, shapeName: string, value: unknown, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: the model has no shape ${shapeName}`];
  const problem = (what: string) => [`${path}: ${what} (shape ${shapeName})`];
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return problem('not an object');
      const members = shape.members ?? {};
      const out: string[] = [];
      for (const name of shape.required ?? []) {
        if (!(name in value)) out.push(`${path}.${name}: required member missing`);
      }
      for (const [name, v] of Object.entries(value)) {
        const ref = members[name];
        if (!ref) out.push(`${path}.${name}: not a member of ${shapeName}`);
        else if (v !== null) out.push(...validateShape(model, ref.shape, v, `${path}.${name}`));
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) return problem('not a list');
      return value.flatMap((v, i) => validateShape(model, shape.member!.shape, v, `${path}[${i}]`));
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return problem('not a map');
      return Object.entries(value).flatMap(([k, v]) => [
        ...validateShape(model, shape.key!.shape, k, `${path}{key}`),
        ...validateShape(model, shape.value!.shape, v, `${path}.${k}`),
      ]);
    case 'string':
      if (typeof value !== 'string') return problem('not a string');
      if (shape.enum && !shape.enum.includes(value))
        return problem(`"${value}" is not one of ${shape.enum.join('|')}`);
      if (shape.min !== undefined && value.length < shape.min) return problem(`shorter than ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) return problem(`longer than ${shape.max}`);
      return [];
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return problem('not an integer');
      if (shape.min !== undefined && value < shape.min) return problem(`below ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) return problem(`above ${shape.max}`);
      return [];
    case 'float':
    case 'double':
      return typeof value === 'number' ? [] : problem('not a number');
    case 'boolean':
      return typeof value === 'boolean' ? [] : problem('not a boolean');
    case 'timestamp':
      // JSON 1.1 sends epoch seconds; an ISO string is read as 1970 by the old JS SDK
      return typeof value === 'number' && Number.isFinite(value)
        ? []
        : problem('not epoch seconds (a number)');
    case 'blob':
      return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? [] : problem('not base64');
    default:
      return problem(`unsupported shape type ${shape.type}`);
  }
}

/** Problems of a successful response body of an operation. */
export function validateOutput(model: ServiceModel, operation: string, body: unknown): string[] {
  const op = model.operations[operation];
  if (!op) return [`the model has no operation ${operation}`];
  if (!op.output) {
    const empty =
      body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0);
    return empty ? [] : [`${operation} has no output, but the body is ${JSON.stringify(body)}`];
  }
  return validateShape(model, op.output.shape, body);
}

/** Problems of an error body: `__type` must be an error the operation lists (or a common one). */
export function validateError(model: ServiceModel, operation: string, body: unknown): string[] {
  const op = model.operations[operation];
  const b = body as { __type?: unknown; message?: unknown } | null;
  if (!op) return [`the model has no operation ${operation}`];
  if (b === null || typeof b !== 'object' || typeof b.__type !== 'string')
    return ['no __type in the error body'];
  if (typeof b.message !== 'string') return ['no message in the error body'];
  const allowed = [...(op.errors ?? []).map((e) => e.shape), ...COMMON_ERRORS];
  return allowed.includes(b.__type) ? [] : [`${operation} does not list the error ${b.__type}`];
}
