/**
 * A small JSON Schema (draft 2020-12) validator for the keywords zod's generator emits, used to hold
 * every API response of the test suite to the published OpenAPI document. An unknown keyword is an
 * error rather than silently ignored, so the contract test cannot pass by not checking something.
 */

type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set([
  'description',
  'default',
  'title',
  'examples',
  'id',
  '$schema',
  'deprecated',
  'readOnly',
]);

const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
};

export class SchemaValidator {
  constructor(private readonly refs: (ref: string) => Schema) {}

  /** Human-readable violations; empty when the value conforms. */
  validate(schema: Schema, value: unknown, path = '$'): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${path}: no value is allowed here`];
    const errors: string[] = [];
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword)) continue;
      const fail = (message: string) => errors.push(`${path}: ${message}`);
      switch (keyword) {
        case '$ref':
          errors.push(...this.validate(this.refs(arg as string), value, path));
          break;
        case 'type': {
          const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!types.some((t) => hasType(value, t)))
            fail(`expected ${types.join('|')}, got ${typeName(value)}`);
          break;
        }
        case 'enum':
          if (!(arg as unknown[]).some((v) => v === value))
            fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(arg)}`);
          break;
        case 'const':
          if (value !== arg) fail(`expected ${JSON.stringify(arg)}`);
          break;
        case 'properties':
          if (isObject(value)) {
            for (const [name, sub] of Object.entries(arg as Record<string, Schema>)) {
              if (name in value) errors.push(...this.validate(sub, value[name], `${path}.${name}`));
            }
          }
          break;
        case 'required':
          if (isObject(value))
            for (const name of arg as string[]) if (!(name in value)) fail(`missing "${name}"`);
          break;
        case 'additionalProperties':
          if (isObject(value)) {
            const known = new Set(Object.keys((schema.properties as object | undefined) ?? {}));
            for (const [name, v] of Object.entries(value)) {
              if (!known.has(name)) errors.push(...this.validate(arg as Schema, v, `${path}.${name}`));
            }
          }
          break;
        case 'propertyNames':
          if (isObject(value))
            for (const name of Object.keys(value))
              errors.push(...this.validate(arg as Schema, name, `${path}{${name}}`));
          break;
        case 'items':
          // Applies to the elements after the tuple's prefixItems (draft 2020-12).
          if (Array.isArray(value)) {
            const after = Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0;
            value.slice(after).forEach((v, i) => {
              errors.push(...this.validate(arg as Schema, v, `${path}[${after + i}]`));
            });
          }
          break;
        case 'prefixItems':
          if (Array.isArray(value)) {
            (arg as Schema[]).forEach((sub, i) => {
              if (i < value.length) errors.push(...this.validate(sub, value[i], `${path}[${i}]`));
            });
          }
          break;
        case 'minItems':
          if (Array.isArray(value) && value.length < (arg as number)) fail(`fewer than ${arg} items`);
          break;
        case 'maxItems':
          if (Array.isArray(value) && value.length > (arg as number)) fail(`more than ${arg} items`);
          break;
        case 'anyOf':
        case 'oneOf': {
          const matches = (arg as Schema[]).filter((s) => this.validate(s, value, path).length === 0).length;
          if (matches === 0 || (keyword === 'oneOf' && matches > 1)) {
            fail(`matches ${matches} of the ${keyword} alternatives`);
          }
          break;
        }
        case 'allOf':
          for (const s of arg as Schema[]) errors.push(...this.validate(s, value, path));
          break;
        case 'minimum':
          if (typeof value === 'number' && value < (arg as number)) fail(`${value} < ${arg}`);
          break;
        case 'maximum':
          if (typeof value === 'number' && value > (arg as number)) fail(`${value} > ${arg}`);
          break;
        case 'exclusiveMinimum':
          if (typeof value === 'number' && value <= (arg as number)) fail(`${value} ≤ ${arg}`);
          break;
        case 'exclusiveMaximum':
          if (typeof value === 'number' && value >= (arg as number)) fail(`${value} ≥ ${arg}`);
          break;
        case 'minLength':
          if (typeof value === 'string' && [...value].length < (arg as number)) fail(`shorter than ${arg}`);
          break;
        case 'maxLength':
          if (typeof value === 'string' && [...value].length > (arg as number)) fail(`longer than ${arg}`);
          break;
        case 'pattern':
          if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value))
            fail(`does not match ${arg}`);
          break;
        case 'format': {
          const check = FORMATS[arg as string];
          if (check === undefined) fail(`unsupported format ${arg}`);
          else if (typeof value === 'string' && !check(value)) fail(`is not a ${arg}`);
          break;
        }
        default:
          fail(`the validator does not know the keyword "${keyword}"`);
      }
    }
    return errors;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'null':
      return v === null;
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === type;
  }
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
