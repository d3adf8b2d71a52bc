/**
 * Statehouse as a library: every construct with its props, the shared
 * contract, the residency controls and the compliance helpers. The app in
 * bin/ uses the same modules; a fork can import from here instead of copying.
 */

// Constructs
export * from './constructs/agent-loop/agent-loop';
export { agentLoopMachineName } from './constructs/agent-loop/agent-loop-defaults';
export * from './constructs/agent-orchestrator/agent-orchestrator';
export * from './constructs/approval-workflow/approval-workflow';
export * from './constructs/approval-workflow/slow-tool-states';
export * from './constructs/audit-trail/audit-trail';
export * from './constructs/guardrail/guardrail';
export * from './constructs/guardrail/guardrail-policies';
export * from './constructs/memory-store/memory-store';
export * from './constructs/model-backend/model-backend';
export * from './constructs/model-weights/model-weights';
export * from './constructs/neuron-endpoint/endpoint-scaling';
export * from './constructs/neuron-endpoint/neuron-endpoint';
export * from './constructs/neuron-endpoint/neuron-instance-type';
export * from './constructs/neuron-endpoint/serving-image';
export * from './constructs/neuron-endpoint/serving-settings';
export * from './constructs/operations/operations';
export { OPERATIONS_THRESHOLDS, type OperationsThresholds } from './constructs/operations/operations-defaults';
export * from './constructs/platform-function/platform-function';
export * from './constructs/platform-keys/platform-keys';
export * from './constructs/private-network/private-network';
export * from './constructs/reference-data/reference-data';
export * from './constructs/residency-boundary/residency-boundary';
export * from './constructs/session-api/session-api';
export * from './constructs/session-store/session-store';
export * from './constructs/tool-workflow/fast-tool-workflow';
export * from './constructs/tool-workflow/tool-workflow';
export type { IToolMachine, ToolMachineAttributes, ToolMachineProps } from './constructs/tool-workflow/tool-machine';
export { mergeProps } from './constructs/merge-props';

// The contract shared by the constructs and the Lambda code
export * from './contract/env-names';
export * from './contract/hash-chain';
export * from './contract/agent';
export * from './contract/agent-loop';
export * from './contract/json';
export * from './contract/memory-table';
export * from './contract/model-backend-config';
export * from './contract/reference-table';
export * from './contract/session-limits';
export * from './contract/session-table';
export * from './contract/tool-declaration';
export * from './contract/workflow-contract';

// Residency and compliance
export * from './residency/residency';
export { requireCapability, checkCapability } from './residency/capability-gate';
export { ResidencyGuard } from './residency/residency-guard';
export { acknowledge, acknowledgeWildcardResource } from './compliance/acknowledge';
export { addCompliancePacks } from './compliance/packs';

// Tool policy (Cedar)
export { ToolPolicySet } from './policy/tool-policy-set';

// The kit's tool declarations
export { TOOL_CATALOG, findTool } from './tools/catalog';

// The stacks of one target, and how a parsed configuration becomes their props
export * from './stacks/target-props';
export * from './stacks/foundation-stack';
export * from './stacks/state-stack';
export * from './stacks/inference-stack';
export * from './stacks/runtime-stack';
export * from './stacks/statehouse-stage';
