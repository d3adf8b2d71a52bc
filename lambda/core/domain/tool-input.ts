import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type { ModelToolDeclaration } from '../../../lib/contract/tool-declaration';

/**
 * Tool input is checked against the tool's JSON schema before any run
 * (SI-10: input validation), so a workflow only ever sees input its tool
 * declared. Each schema is compiled once per execution environment, when
 * the enabled tools are read (ToolPolicy.of).
 */
let ajv: Ajv2020 | undefined;

/** ajv, made with the first schema compiled; required then, so a function that compiles none never loads it. */
function schemaCompiler(): Ajv2020 {
  if (!ajv) {
    const { default: Ajv } = require('ajv/dist/2020') as typeof import('ajv/dist/2020');
    const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
    ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
  }
  return ajv;
}

const validators = new Map<ModelToolDeclaration, ValidateFunction>();

/** Enough for the model to fix its call; bounded for a hostile or huge input. */
const MAX_PROBLEMS = 5;

/** Compiles (once) and returns the tool's validator; throws for a schema ajv's strict mode refuses. */
export function validatorFor(tool: ModelToolDeclaration): ValidateFunction {
  let validate = validators.get(tool);
  if (!validate) {
    validate = schemaCompiler().compile(tool.inputSchema);
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
