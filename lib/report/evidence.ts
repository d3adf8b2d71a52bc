import type { ValidationSummary } from '../compliance/validation-report';
import type { Evidence } from './evidence-types';
import type { TargetAssembly } from './load-assembly';
import type { NistRulesFile } from './nist-controls';
import type { RunProvenance } from './provenance';
import { TargetResolver } from './resolve';
import { complianceEvidence } from './sections/compliance';
import { dataPaths } from './sections/data-paths';
import { dataStoreEvidence } from './sections/data-stores';
import { roleEvidence } from './sections/iam';
import { networkEvidence } from './sections/network';
import { residencyEvidence } from './sections/residency';
import { serviceGrantEvidence } from './sections/service-grants';
import { targetSummary } from './sections/summary';
import { toolPolicyEvidence } from './sections/tool-policy';

/** The evidence of one target, from its synthesized artifacts only. */
export function buildEvidence(target: TargetAssembly, validation: ValidationSummary | undefined, nist: NistRulesFile, provenance: RunProvenance): Evidence {
  const resolver = new TargetResolver(target);
  return {
    provenance,
    summary: targetSummary(target),
    dataStores: dataStoreEvidence(resolver),
    network: networkEvidence(resolver),
    roles: roleEvidence(resolver),
    residency: residencyEvidence(resolver),
    compliance: complianceEvidence(target, validation, nist),
    toolPolicies: toolPolicyEvidence(resolver),
    serviceGrants: serviceGrantEvidence(resolver),
    dataPaths: dataPaths(resolver),
    sources: [...target.sources, ...(validation ? ['validation-report.json'] : [])],
  };
}
