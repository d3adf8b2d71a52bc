import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ModelToolDeclaration } from '../../../lib/contract/tool-declaration';

/**
 * Tool input is checked against the tool's JSON schema before any run
 * (SI-10: input validation), so a workflow only ever sees input its tool
 * declared. Each schema is compiled once per execution environment, when
 * the enabled tools are read at cold start (ToolPolicy.of).
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

const validators = new Map<ModelToolDeclaration, ValidateFunction>();

/** Enough for the model to fix its call; bounded for a hostile or huge input. */
const MAX_PROBLEMS = 5;

/** Compiles (once) and returns the tool's validator; throws for a schema ajv's strict mode refuses. */
export function validatorFor(tool: ModelToolDeclaration): ValidateFunction {
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
export function toolInputProblems(tool: ModelToolDeclaration, input: unknown): string | undefined {
  const validate = validatorFor(tool);
  if (validate(input)) return undefined;
  const problems = (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(describe);
  return problems.length > 0 ? problems.join('; ') : 'input does not match the tool schema';
}
