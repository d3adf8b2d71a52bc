import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { JsonValue } from '../contract/json';
import type { ModelToolDeclaration } from '../contract/tool-declaration';
import { TOOL_POLICY_TYPES } from '../contract/tool-policy';

/**
 * The Cedar schema a target's tool policies are validated against: the
 * vocabulary of `statehouse.cedarschema`, with the target's own tenants,
 * agents and enabled tools as the only ids of their entity types, and
 * `ToolInput` (`context.input`) built from the enabled tools' input schemas.
 */

/** The schema file: entity types, the action and its context. */
export const TOOL_POLICY_SCHEMA_FILE = path.join(__dirname, 'statehouse.cedarschema');

/** What a target's policies may name. */
export interface ToolPolicyVocabulary {
  /** The enabled tools: their names are the only Tool ids, their input schemas make ToolInput. */
  readonly tools: readonly Pick<ModelToolDeclaration, 'name' | 'inputSchema'>[];
  /** The target's tenant ids, the only Tenant ids. @default any id */
  readonly tenants?: readonly string[];
  /** The target's agent names, the only Agent ids. @default any name */
  readonly agents?: readonly string[];
}

export interface ToolPolicySchema {
  readonly json: cedar.SchemaJson<string>;
  /** The schema as Cedar text, with the target's parts filled in. */
  readonly text: string;
  /** Input fields ToolInput leaves out, and why (a policy cannot refer to them). */
  readonly omittedInputFields: readonly string[];
}

type CedarType = cedar.Type<string>;
type CedarAttribute = cedar.TypeOfAttribute<string>;

const [NAMESPACE] = TOOL_POLICY_TYPES.tool.split('::');
const typeName = (qualified: string) => qualified.slice(`${NAMESPACE}::`.length);
const TOOL_INPUT = 'ToolInput';

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The Cedar type of a JSON-schema value, or undefined where Cedar has none:
 * `number` (Cedar has no floating point), `null`, untyped or union types.
 * Field names starting with `__` are left out: Cedar's JSON reads them as
 * entity and extension escapes.
 */
function cedarType(schema: JsonValue | undefined): CedarType | undefined {
  if (!isObject(schema)) return undefined;
  switch (schema.type) {
    case 'string':
      return { type: 'String' };
    case 'integer':
      return { type: 'Long' };
    case 'boolean':
      return { type: 'Boolean' };
    case 'array': {
      const element = cedarType(schema.items);
      return element && { type: 'Set', element };
    }
    case 'object': {
      const required = Array.isArray(schema.required) ? schema.required : [];
      const attributes: Record<string, CedarAttribute> = {};
      for (const [name, field] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
        const type = name.startsWith('__') ? undefined : cedarType(field);
        if (type) attributes[name] = { ...type, required: required.includes(name) };
      }
      return { type: 'Record', attributes };
    }
    default:
      return undefined;
  }
}

/**
 * ToolInput: every top-level input field of the enabled tools, each optional
 * (only the called tool's fields are present). A field two tools declare with
 * different types is left out, as is one Cedar cannot type.
 */
export function toolInputType(tools: ToolPolicyVocabulary['tools']): { type: CedarType; omitted: string[] } {
  const declarations = new Map<string, Array<{ tool: string; type?: CedarType }>>();
  for (const tool of tools) {
    const properties = isObject(tool.inputSchema.properties as JsonValue) ? (tool.inputSchema.properties as Record<string, JsonValue>) : {};
    for (const [name, field] of Object.entries(properties)) {
      const type = name.startsWith('__') ? undefined : cedarType(field);
      declarations.set(name, [...(declarations.get(name) ?? []), { tool: tool.name, type }]);
    }
  }
  const attributes: Record<string, CedarAttribute> = {};
  const omitted: string[] = [];
  for (const [name, declared] of declarations) {
    const untyped = declared.find((d) => d.type === undefined);
    const types = new Set(declared.map((d) => JSON.stringify(d.type)));
    if (untyped) omitted.push(`${name} ("${untyped.tool}" declares it with a type Cedar has none for, such as number)`);
    else if (types.size > 1) omitted.push(`${name} (${declared.map((d) => `"${d.tool}"`).join(' and ')} declare it with different types)`);
    else attributes[name] = { ...declared[0].type!, required: false };
  }
  return { type: { type: 'Record', attributes }, omitted };
}

/** The Cedar messages of a failed call, one line. */
export function cedarMessages(errors: readonly cedar.DetailedError[]): string {
  return errors.map((e) => (e.help ? `${e.message} (${e.help})` : e.message)).join('; ');
}

/** The schema of a target, from the schema file and its vocabulary. Throws for a schema file that does not parse. */
export function toolPolicySchema(vocabulary: ToolPolicyVocabulary): ToolPolicySchema {
  const parsed = cedar.schemaToJson(fs.readFileSync(TOOL_POLICY_SCHEMA_FILE, 'utf8'));
  if (parsed.type !== 'success') throw new Error(`${TOOL_POLICY_SCHEMA_FILE} is not a Cedar schema: ${cedarMessages(parsed.errors)}`);
  const namespace = parsed.json[NAMESPACE];
  if (namespace === undefined) throw new Error(`${TOOL_POLICY_SCHEMA_FILE} must declare namespace ${NAMESPACE}`);
  const ids: Array<[string, readonly string[] | undefined]> = [
    [TOOL_POLICY_TYPES.tenant, vocabulary.tenants],
    [TOOL_POLICY_TYPES.agent, vocabulary.agents],
    [TOOL_POLICY_TYPES.tool, vocabulary.tools.map((tool) => tool.name)],
  ];
  const entityTypes = { ...namespace.entityTypes };
  for (const [qualified, values] of ids) {
    // An enumerated type needs at least one id; with none, nothing can match, so any id is as good.
    if (values !== undefined && values.length > 0) entityTypes[typeName(qualified)] = { enum: [...values] as [string, ...string[]] };
  }
  const input = toolInputType(vocabulary.tools);
  const json: cedar.SchemaJson<string> = {
    ...parsed.json,
    [NAMESPACE]: { ...namespace, entityTypes, commonTypes: { ...namespace.commonTypes, [TOOL_INPUT]: input.type } },
  };
  const text = cedar.schemaToText(json);
  if (text.type !== 'success') throw new Error(`the tool policy schema of this target is invalid: ${cedarMessages(text.errors)}`);
  return { json, text: text.text, omittedInputFields: input.omitted };
}
