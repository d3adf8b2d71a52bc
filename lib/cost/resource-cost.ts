import type { StackArtifact } from '../report/load-assembly';
import { costLine, type CostLineItem } from './estimate';
import { RESOURCE_CHARGES, type ResourceCharge } from './resource-charges';

/**
 * Every resource type of a target's synthesized templates, with how it is
 * billed: what it costs a month while idle (fixed), what it bills per use,
 * or nothing. A type lib/cost/resource-charges.ts does not know is a row
 * marked unpriced, so nothing a fork adds is left out silently.
 */

export type ResourceCostStatus = 'fixed' | 'per-use' | 'no-charge' | 'unpriced';

export interface ResourceCostRow {
  readonly type: string;
  /** Resources of this type across the target's stacks. */
  readonly count: number;
  readonly status: ResourceCostStatus;
  /** The fixed monthly charge of all of them; undefined unless `fixed`. */
  readonly fixed?: CostLineItem;
  /** What the type bills per use, or why it is free or unpriced. */
  readonly basis: string;
  readonly source: string;
}

export interface ResourceCostTable {
  readonly region: string;
  readonly rows: readonly ResourceCostRow[];
  /** Sum of the rows' fixed monthly charges. */
  readonly fixedMonthlyUsd: number;
  /** Types without a price: their charges are not in any total. */
  readonly unpriced: readonly string[];
  readonly unconfirmed: boolean;
}

const UNPRICED_SOURCE = 'not in lib/cost/resource-charges.ts';

/** The charges of every resource of one type, one row per kind of charge (a VPC endpoint type holds free gateways and billed interfaces). */
function rowsOfType(type: string, charges: readonly ResourceCharge[], region: string): ResourceCostRow[] {
  const byKind = new Map<ResourceCostStatus, ResourceCharge[]>();
  for (const c of charges) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  return [...byKind.entries()].map(([kind, same]): ResourceCostRow => {
    const first = same[0];
    switch (first.kind) {
      case 'fixed': {
        const quantity = same.reduce((sum, c) => sum + (c as typeof first).quantity, 0);
        return { type, count: same.length, status: kind, fixed: costLine(type, quantity, first.price, region), basis: first.perUse ?? 'nothing else', source: first.price.source };
      }
      case 'per-use':
        return { type, count: same.length, status: kind, basis: first.perUse, source: first.source };
      case 'no-charge':
        return { type, count: same.length, status: kind, basis: `no charge: ${first.why}`, source: first.source };
      case 'unpriced':
        return { type, count: same.length, status: kind, basis: `UNPRICED: ${first.why}`, source: UNPRICED_SOURCE };
    }
  });
}

export function resourceCostTable(stacks: readonly StackArtifact[], region: string): ResourceCostTable {
  const byType = new Map<string, ResourceCharge[]>();
  for (const stack of stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      const rule = RESOURCE_CHARGES[resource.Type];
      const charge: ResourceCharge = rule ? rule(resource) : { kind: 'unpriced', why: 'no price for this resource type' };
      byType.set(resource.Type, [...(byType.get(resource.Type) ?? []), charge]);
    }
  }
  const order: Record<ResourceCostStatus, number> = { fixed: 0, unpriced: 1, 'per-use': 2, 'no-charge': 3 };
  const rows = [...byType.entries()]
    .flatMap(([type, charges]) => rowsOfType(type, charges, region))
    .sort((a, b) => order[a.status] - order[b.status] || (b.fixed?.monthlyUsd ?? 0) - (a.fixed?.monthlyUsd ?? 0) || a.type.localeCompare(b.type));
  return {
    region,
    rows,
    fixedMonthlyUsd: rows.reduce((sum, r) => sum + (r.fixed?.monthlyUsd ?? 0), 0),
    unpriced: rows.filter((r) => r.status === 'unpriced').map((r) => r.type),
    unconfirmed: rows.some((r) => r.fixed?.status === 'unconfirmed'),
  };
}
