import type { ToolDeclaration } from '../../../../lib/contract/tool-declaration';
import type { StatehouseStage } from '../../../../lib/stacks/statehouse-stage';

/**
 * The tools a synthesized target runs, read from the declarations its
 * Runtime stack passed to ToolWorkflow, so no test hard-codes the tool list:
 * adding a declaration changes what the tests expect, not the tests.
 */
export function declaredTools(stage: StatehouseStage): readonly ToolDeclaration[] {
  return stage.runtime.tools.declarations;
}

export const fastTools = (tools: readonly ToolDeclaration[]) => tools.filter((tool) => tool.mode === 'fast');
export const slowTools = (tools: readonly ToolDeclaration[]) => tools.filter((tool) => tool.mode === 'slow');
export const lambdaTools = (tools: readonly ToolDeclaration[]) => tools.filter((tool) => tool.implementation.kind === 'lambda');
export const getItemTools = (tools: readonly ToolDeclaration[]) => tools.filter((tool) => tool.implementation.kind === 'dynamodb-get-item');

/** The Powertools service name ToolWorkflow gives a Lambda tool's function. */
export function toolServiceName(tool: Pick<ToolDeclaration, 'name'>): string {
  return `tool-${tool.name.replace(/_/g, '-')}`;
}

/** The key attribute of a `dynamodb-get-item` tool. */
export function keyAttributeOf(tool: ToolDeclaration): string {
  if (tool.implementation.kind !== 'dynamodb-get-item') throw new Error(`${tool.name} is not a dynamodb-get-item tool`);
  return tool.implementation.keyAttribute;
}
