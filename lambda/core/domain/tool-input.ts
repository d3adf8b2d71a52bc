import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { TOOL_CATALOG } from '../../../lib/tools/catalog';
import type { ToolDeclaration } from '../../../lib/contract/tool-declaration';

/**
 * Tool input is checked against the tool's JSON schema before any run
 * (SI-10: input validation), so a workflow only ever sees input its tool
 * declared. Schemas are compiled once per execution environment: the
 * catalog's at module load, any other declaration on first use.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

const validators = new Map<ToolDeclaration, ValidateFunction>(TOOL_CATALOG.map((tool) => [tool, ajv.compile(tool.inputSchema)]));

/** Enough for the model to fix its call; bounded for a hostile or huge input. */
const MAX_PROBLEMS = 5;

/** Compiles (once) and returns the tool's validator; throws for a schema ajv's strict mode refuses. */
export function validatorFor(tool: ToolDeclaration): ValidateFunction {
  let validate = validators.get(tool);
  if (!validate) {
    validate = ajv.compile(tool.inputSchema);
    validators.set(tool, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const at = error.instancePath === '' ? 'input' : `input${error.instancePath}`;
  const extra = error.keyword === 'additionalProperties' ? ` (${JSON.stringify(error.params.additionalProperty)})` : '';
  return `${at} ${error.message ?? 'is invalid'}${extra}`;
}

/** What is wrong with `input` for `tool`, or undefined when it is valid. */
export function toolInputProblems(tool: ToolDeclaration, input: unknown): string | undefined {
  const validate = validatorFor(tool);
  if (validate(input)) return undefined;
  const problems = (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(describe);
  return problems.length > 0 ? problems.join('; ') : 'input does not match the tool schema';
}
