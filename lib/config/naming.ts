/**
 * Physical names of the resources other controls must find by name: the
 * CloudTrail data-event selectors, the SCP and the permissions boundary.
 * One place, so a rename cannot silently drop a resource from the audit trail.
 */

/** `statehouse-govwest`: prefix of every named resource of a target. */
export function targetPrefix(targetName: string): string {
  return `statehouse-${targetName.toLowerCase()}`;
}

/** Tables and buckets that hold session data start with this (CloudTrail data events select on it). */
export function dataResourcePrefix(targetName: string): string {
  return `${targetPrefix(targetName)}-data`;
}

export function trailName(targetName: string): string {
  return `${targetPrefix(targetName)}-audit`;
}

export function permissionsBoundaryName(targetName: string): string {
  return `${targetPrefix(targetName)}-permissions-boundary`;
}

/** `statehouse-govwest-llm`: the default name of a target's Neuron endpoint (and of its log group). */
export function neuronEndpointName(targetName: string): string {
  return `${targetPrefix(targetName)}-llm`;
}
