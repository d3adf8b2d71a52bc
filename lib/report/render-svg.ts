import type { DataPath, DataPathKind, DataStore, EndpointEvidence, Evidence, FunctionEvidence } from './evidence-types';
import { nodeId } from './sections/summary';
import { curve, escapeXml, fit, FONT, label, line, marker, nameSize, rect, text, type Box, type LineStyle } from './svg';

/**
 * `architecture-<Target>.svg`: the VPC with its isolated subnets, the
 * functions inside, the VPC endpoints on its edge, the private API entry, the
 * data stores, keys, trail and log groups, and the data paths as arrows.
 * Placement is a fixed grid computed from the evidence, so the same templates
 * always give the same picture.
 */

const WIDTH = 1700;
const MARGIN = 20;
const TOP = 96;
const LEFT = { x: MARGIN, w: 200 };
const VPC = { x: 290, w: 760 };
const PILL = { w: 200, h: 24, gap: 8 };
const LEFT_PILL_W = 130;
/** Right column; the margin after it carries arrows between its boxes. */
const RIGHT = { x: 1250, w: 400 };
/** Bottom band columns: keys, audit, log groups. */
const BAND = { keys: { x: MARGIN, w: 430 }, audit: { x: 480, w: 560 }, logs: { x: 1070, w: WIDTH - MARGIN - 1070 } };
const FN = { w: 300, h: 58, gap: 34 };
const STORE = { h: 60, gap: 12 };
const GROUP_HEADER = 26;

const STYLES: Record<DataPathKind, LineStyle> = {
  invoke: { color: '#2f6db5', marker: 'm-invoke' },
  'read-write': { color: '#2e8540', marker: 'm-rw' },
  model: { color: '#c0392b', marker: 'm-model' },
  workflow: { color: '#7b52ab', marker: 'm-workflow' },
  stream: { color: '#8e44ad', dash: '7 4', marker: 'm-stream' },
  'dead-letter': { color: '#7f8c8d', dash: '3 3', marker: 'm-dlq', width: 1.2 },
  audit: { color: '#8d6e63', dash: '2 3', marker: 'm-audit' },
};

const KEY_COLORS = ['#b7791f', '#2b6cb0', '#9b2c2c', '#2f855a', '#6b46c1', '#c05621'];

const FILLS: Record<string, { fill: string; stroke: string }> = {
  'AWS::DynamoDB::Table': { fill: '#eaf6ec', stroke: '#2e8540' },
  'AWS::DynamoDB::GlobalTable': { fill: '#eaf6ec', stroke: '#2e8540' },
  'AWS::S3::Bucket': { fill: '#fff5e6', stroke: '#c77c02' },
  'AWS::Backup::BackupVault': { fill: '#eef2f7', stroke: '#4a5568' },
  'AWS::SQS::Queue': { fill: '#f4effa', stroke: '#7b52ab' },
  'AWS::SNS::Topic': { fill: '#f4effa', stroke: '#7b52ab' },
  'AWS::Logs::LogGroup': { fill: '#f7f7f7', stroke: '#718096' },
  'AWS::StepFunctions::StateMachine': { fill: '#fbeaf0', stroke: '#b83280' },
  'AWS::SageMaker::EndpointConfig': { fill: '#fdecea', stroke: '#c0392b' },
  model: { fill: '#fdecea', stroke: '#c0392b' },
};

const SHORT_KIND: Record<string, string> = {
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::DynamoDB::GlobalTable': 'DynamoDB global table',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::Backup::BackupVault': 'Backup vault',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::Logs::LogGroup': 'Log group',
  'AWS::StepFunctions::StateMachine': 'State machine',
  'AWS::SageMaker::EndpointConfig': 'SageMaker endpoint config',
};

interface Placed extends Box {
  readonly zone: 'left' | 'vpc' | 'edge' | 'right' | 'bottom';
}

class Canvas {
  readonly parts: string[] = [];
  readonly edges: string[] = [];
  readonly labels: string[] = [];
  readonly at = new Map<string, Placed>();

  place(id: string, box: Placed): Placed {
    this.at.set(id, box);
    return box;
  }
}

const idOf = (l: { stack: string; logicalId: string }): string => nodeId(l);

function keyColors(e: Evidence): Map<string, string> {
  const colors = new Map<string, string>();
  e.dataStores.keys.forEach((k, i) => colors.set(`${k.stack}/${k.logicalId}`, KEY_COLORS[i % KEY_COLORS.length]));
  return colors;
}

function storeFlags(s: DataStore): string {
  const flags: string[] = [];
  if (s.pitr !== undefined) flags.push(s.pitr ? 'PITR' : 'no PITR');
  if (s.deletionProtection) flags.push('deletion protection');
  if (s.access.tlsOnly) flags.push('TLS only');
  if (s.access.vpcEndpointOnly) flags.push('VPCE only');
  if (s.access.publicAccessBlocked) flags.push('no public');
  if (s.recovery.includes('versioning enabled')) flags.push('versioned');
  if (s.type === 'AWS::Logs::LogGroup' || s.type === 'AWS::SQS::Queue') flags.push(`keeps ${s.retention}`);
  if (s.type === 'AWS::StepFunctions::StateMachine') {
    flags.push(...s.notes.filter((n) => n.startsWith('type ')).map((n) => n.slice('type '.length)));
    flags.push(...s.notes.filter((n) => n.startsWith('logging level')).map((n) => n.replace('logging level', 'logs').replace(', execution data', ', data')));
  }
  flags.push(`removal ${s.deletionPolicy.toUpperCase()}`);
  return flags.join(' · ');
}

function drawStore(c: Canvas, s: DataStore, box: Placed, colors: Map<string, string>): void {
  const style = FILLS[s.type] ?? { fill: '#ffffff', stroke: '#5f6b7a' };
  const keyRef = s.encryption.key?.logicalId ? `${s.encryption.key.stack}/${s.encryption.key.logicalId}` : undefined;
  const keyColor = keyRef ? (colors.get(keyRef) ?? '#4a5568') : '#9b2c2c';
  const keyText = s.encryption.key ? `key ${s.encryption.key.alias ?? s.encryption.key.reference}` : s.encryption.atRest;
  const inner = box.w - 20;
  const storeName = `${SHORT_KIND[s.type] ?? s.kind}: ${s.name ?? s.title}`;
  c.parts.push(
    `<g><title>${escapeXml(`${s.kind}: ${s.name ?? s.title} (${s.stack}/${s.logicalId})`)}</title>`,
    rect(box, { ...style, radius: 6 }),
    rect({ x: box.x, y: box.y, w: 6, h: box.h }, { fill: keyColor, stroke: keyColor, radius: 2 }),
    text(box.x + 14, box.y + 17, storeName, { weight: 'bold', size: nameSize(storeName, inner, 12, { bold: true }) }),
    text(box.x + 14, box.y + 34, fit(keyText, inner, 11), { size: 11, fill: keyColor }),
    text(box.x + 14, box.y + 50, fit(storeFlags(s), inner, 10, { mode: 'end' }), { size: 10, fill: '#4a5568' }),
    '</g>',
  );
}

function drawFunction(c: Canvas, f: FunctionEvidence, box: Placed, outside = false): void {
  const fips = f.fipsServices ? ` · FIPS hosts: ${f.fipsServices.length}` : '';
  c.parts.push(
    `<g><title>${escapeXml(`Lambda function ${f.title} (${f.stack}/${f.logicalId})`)}</title>`,
    rect(box, { fill: '#fff3e0', stroke: outside ? '#c0392b' : '#d9822b', dash: outside ? '5 3' : undefined, strokeWidth: 1.5 }),
    text(box.x + 12, box.y + 18, `λ ${f.title}`, { weight: 'bold', size: nameSize(`λ ${f.title}`, box.w - 24, 13, { bold: true }) }),
    text(box.x + 12, box.y + 35, fit(`Lambda · ${f.runtime ?? 'runtime ?'}${fips}`, box.w - 24, 11, { mode: 'end' }), { size: 11, fill: '#4a5568' }),
    text(box.x + 12, box.y + 50, fit(outside ? 'OUTSIDE the VPC (no VPC config)' : (f.description ?? ''), box.w - 24, 10, { mode: 'end' }), { size: 10, fill: outside ? '#c0392b' : '#4a5568' }),
    '</g>',
  );
}

function drawPill(c: Canvas, p: EndpointEvidence, box: Placed): void {
  const gateway = p.endpointType === 'Gateway';
  c.parts.push(
    `<g><title>${escapeXml(`${p.endpointType} endpoint ${p.serviceName} (${p.stack}/${p.logicalId})`)}</title>`,
    rect(box, { fill: gateway ? '#e5f5e8' : '#e3eefc', stroke: gateway ? '#2e8540' : '#2f6db5', radius: box.h / 2 }),
    text(box.x + box.w / 2, box.y + 16, fit(`${p.service}${gateway ? ' (gateway)' : ''}`, box.w - 16, 11, { bold: true }), { size: 11, anchor: 'middle', weight: 'bold', fill: gateway ? '#1e5e2e' : '#1d4f8a' }),
    '</g>',
  );
}

function groupHeader(c: Canvas, x: number, y: number, title: string): void {
  c.parts.push(text(x, y + 16, title, { size: 13, weight: 'bold', fill: '#2d3748' }));
}

/** Stack boxes under a header; returns the y below them. */
function column<T>(c: Canvas, x: number, y: number, w: number, title: string, items: T[], draw: (item: T, box: Placed) => void, h = STORE.h): number {
  if (items.length === 0) return y;
  groupHeader(c, x, y, title);
  let cy = y + GROUP_HEADER;
  for (const item of items) {
    draw(item, { x, y: cy, w, h, zone: 'right' });
    cy += h + STORE.gap;
  }
  return cy + 8;
}

function anchorRight(b: Box, i = 0, n = 1): [number, number] {
  return [b.x + b.w, n <= 1 ? b.y + b.h / 2 : b.y + 12 + (i * (b.h - 24)) / (n - 1)];
}

function anchorLeft(b: Box, i = 0, n = 1): [number, number] {
  return [b.x, n <= 1 ? b.y + b.h / 2 : b.y + 12 + (i * (b.h - 24)) / (n - 1)];
}

export function renderSvg(e: Evidence): string {
  const c = new Canvas();
  const colors = keyColors(e);
  const paths = e.dataPaths.paths;
  const storesById = new Map(e.dataStores.stores.map((s) => [idOf(s), s]));
  const vpc = e.network.vpcs[0];
  const vpcId = vpc ? idOf(vpc) : undefined;
  const subnets = e.network.subnets.filter((s) => s.vpc === vpcId);
  const inside = e.network.functions.filter((f) => f.inVpc);
  const outside = e.network.functions.filter((f) => !f.inVpc);
  const api = e.network.apis[0];
  const client = e.dataPaths.externals.find((x) => x.kind === 'service');
  const clientPath = paths.find((p) => client && p.from === client.id);
  const leftPill = clientPath?.via;

  // --- Left column: client, then the private API. ----------------------------------------
  const clientBox = c.place('client', { x: LEFT.x, y: TOP + 36, w: LEFT.w, h: 52, zone: 'left' });
  const apiBox = c.place(api ? idOf(api) : 'api', { x: LEFT.x, y: TOP + 160, w: LEFT.w, h: 86, zone: 'left' });

  // --- Right column: what the data paths reach, grouped. ----------------------------------
  const nonAudit = paths.filter((p) => p.kind !== 'audit');
  const onPath = new Set(nonAudit.flatMap((p) => [p.from, p.to]));
  const stores = e.dataStores.stores;
  const sessionTypes = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::Backup::BackupVault'];
  const sessionState = stores
    .filter((s) => (sessionTypes.includes(s.type) && onPath.has(idOf(s))) || s.type === 'AWS::Backup::BackupVault')
    .sort((a, b) => sessionTypes.indexOf(a.type) - sessionTypes.indexOf(b.type));
  const models = e.dataPaths.externals.filter((x) => x.kind === 'model');
  const modelStores = stores.filter((s) => s.type === 'AWS::SageMaker::EndpointConfig');
  const workflows = stores.filter((s) => s.type === 'AWS::StepFunctions::StateMachine');
  const queues = stores.filter((s) => s.type === 'AWS::SQS::Queue' || s.type === 'AWS::SNS::Topic');
  const drawn = new Set<string>();
  const storeDrawer = (s: DataStore, box: Placed) => {
    c.place(idOf(s), box);
    drawn.add(idOf(s));
    drawStore(c, s, box, colors);
  };
  let ry = TOP;
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Session state and payloads', sessionState, storeDrawer);
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Model', models, (m, box) => {
    c.place(m.id, box);
    const split = m.label.lastIndexOf(' ');
    c.parts.push(
      `<g><title>${escapeXml(m.label)}</title>`,
      rect(box, FILLS.model),
      text(box.x + 14, box.y + 17, m.label.slice(0, split), { weight: 'bold', size: nameSize(m.label.slice(0, split), box.w - 24, 12, { bold: true }) }),
      text(box.x + 14, box.y + 34, m.label.slice(split + 1), { size: nameSize(m.label.slice(split + 1), box.w - 24, 11), fill: '#c0392b' }),
      text(box.x + 14, box.y + 50, 'AWS-managed inference, reached through its VPC endpoint', { size: 10, fill: '#4a5568' }),
      '</g>',
    );
  });
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Model hosting', modelStores, storeDrawer);
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Tool workflows (Step Functions)', workflows, storeDrawer);
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Queues', queues, storeDrawer);

  // Path ends the groups above do not cover (e.g. a SageMaker endpoint): generic boxes.
  const known = new Set([...c.at.keys(), ...e.network.functions.map(idOf), ...(api ? [idOf(api)] : []), 'client']);
  const others = [...new Set(nonAudit.flatMap((p) => [p.from, p.to]))].filter((id) => !known.has(id) && !(client && id === client.id));
  ry = column(c, RIGHT.x, ry, RIGHT.w, 'Other', others, (id, box) => {
    c.place(id, box);
    c.parts.push(rect(box, {}), text(box.x + 14, box.y + 22, fit(id, box.w - 24, 12), { weight: 'bold' }));
  });

  // --- Functions inside the VPC. ------------------------------------------------------------
  const apiTargets = new Set(paths.filter((p) => api && p.from === idOf(api)).map((p) => p.to));
  const orderedFns = [...inside.filter((f) => apiTargets.has(idOf(f))), ...inside.filter((f) => !apiTargets.has(idOf(f)))];
  const twoColumns = orderedFns.length > 5;
  const fnW = twoColumns ? 250 : FN.w;
  const fnCenter = VPC.x + VPC.w / 2 - 20;
  const firstFnY = apiBox.y + apiBox.h / 2 - FN.h / 2;
  orderedFns.forEach((f, i) => {
    const row = twoColumns ? Math.floor(i / 2) : i;
    const col = twoColumns ? i % 2 : 0;
    const x = twoColumns ? fnCenter - fnW - 10 + col * (fnW + 20) : fnCenter - fnW / 2;
    c.place(idOf(f), { x, y: firstFnY + row * (FN.h + FN.gap), w: fnW, h: FN.h, zone: 'vpc' });
  });
  const fnBottom = orderedFns.length > 0 ? Math.max(...orderedFns.map((f) => c.at.get(idOf(f))!.y + FN.h)) : TOP + 120;

  // --- Endpoints on the VPC edge: used ones level with what they lead to. ---------------------
  const byVia = new Map<string, DataPath[]>();
  for (const p of paths) if (p.via && p.via !== leftPill) byVia.set(p.via, [...(byVia.get(p.via) ?? []), p]);
  const endpointsById = new Map(e.network.endpoints.map((p) => [idOf(p), p]));
  const used = [...byVia.keys()]
    .filter((id) => endpointsById.has(id))
    .map((id) => {
      const ys = byVia.get(id)!.map((p) => c.at.get(p.to)).filter((b): b is Placed => !!b).map((b) => b.y + b.h / 2);
      return { id, desired: ys.length > 0 ? ys.reduce((a, b) => a + b, 0) / ys.length : TOP + 60 };
    })
    .sort((a, b) => a.desired - b.desired);
  const unused = e.network.endpoints.map(idOf).filter((id) => !byVia.has(id) && id !== leftPill);
  let py = TOP + 34;
  const pillX = VPC.x + VPC.w - PILL.w / 2;
  for (const u of used) {
    const y = Math.max(py, u.desired - PILL.h / 2);
    c.place(u.id, { x: pillX, y, w: PILL.w, h: PILL.h, zone: 'edge' });
    py = y + PILL.h + PILL.gap;
  }
  py += used.length > 0 ? 18 : 0;
  const unusedTop = py;
  for (const id of unused) {
    c.place(id, { x: pillX, y: py, w: PILL.w, h: PILL.h, zone: 'edge' });
    py += PILL.h + PILL.gap;
  }
  if (leftPill) c.place(leftPill, { x: VPC.x - LEFT_PILL_W / 2, y: clientBox.y + clientBox.h / 2 - PILL.h / 2, w: LEFT_PILL_W, h: PILL.h, zone: 'edge' });

  // --- The VPC box and its subnets. -----------------------------------------------------------
  const vpcBottom = Math.max(fnBottom + 70, py + 40, apiBox.y + apiBox.h + 40);
  const vpcBox: Box = { x: VPC.x, y: TOP, w: VPC.w, h: vpcBottom - TOP };
  const layers: string[] = [];
  layers.push(rect(vpcBox, { fill: '#f8fbff', stroke: '#2f6db5', strokeWidth: 2, radius: 10 }));
  const noInternet = e.network.internetRoute.noInternetRoute;
  const imported = e.network.importedVpcs[0]?.vpcId;
  const vpcTitle = vpc ? `VPC ${vpc.title} · ${vpc.cidr ?? ''}` : imported ? `imported VPC ${imported}` : 'VPC (none)';
  layers.push(
    text(VPC.x + LEFT_PILL_W / 2 + 12, TOP + 20, fit(vpcTitle, VPC.w - 420, 14, { bold: true }), { size: 14, weight: 'bold', fill: '#1d4f8a' }),
    text(VPC.x + VPC.w - PILL.w / 2 - 12, TOP + 20, !noInternet ? 'PATH TO THE INTERNET FOUND' : imported ? 'routes are the VPC owner\'s (not in the templates)' : 'no IGW · no NAT · no internet route', {
      size: 11,
      weight: 'bold',
      anchor: 'end',
      fill: !noInternet ? '#c0392b' : imported ? '#4a5568' : '#2e8540',
    }),
  );
  const subnetTop = TOP + 30;
  const subnetW = (VPC.w - 28 - (subnets.length - 1) * 8) / Math.max(1, subnets.length);
  subnets.forEach((s, i) => {
    const box = { x: VPC.x + 14 + i * (subnetW + 8), y: subnetTop, w: subnetW, h: vpcBottom - subnetTop - 12 };
    layers.push(
      rect(box, { fill: s.isolated ? '#eef5fd' : '#fdecea', stroke: s.isolated ? '#7aa7d9' : '#c0392b', dash: '6 4', radius: 6 }),
      text(box.x + 10, box.y + box.h - 38, fit(`${s.title.split('/').slice(-2, -1)[0] ?? s.logicalId} (${s.subnetType ?? 'subnet'})`, box.w - 20, 11, { bold: true }), { size: 11, weight: 'bold', fill: '#1d4f8a' }),
      text(box.x + 10, box.y + box.h - 23, fit(`${s.availabilityZone ?? ''} · ${s.cidr ?? ''}`, box.w - 20, 10), { size: 10, fill: '#4a5568' }),
      text(
        box.x + 10,
        box.y + box.h - 9,
        fit(s.routes.length === 0 ? 'routes: local + gateway endpoints only' : `routes: ${s.routes.join(', ')}`, box.w - 20, 10, { mode: 'end' }),
        { size: 10, fill: s.isolated ? '#4a5568' : '#c0392b' },
      ),
    );
  });
  if (unused.length > 0) {
    layers.push(text(pillX - 8, unusedTop - 4, 'other endpoints', { size: 10, anchor: 'end', fill: '#4a5568', italic: true }));
  }
  c.parts.unshift(...layers);

  // --- Client and API. -------------------------------------------------------------------------
  c.parts.push(
    rect(clientBox, { fill: '#f1f3f5', stroke: '#4a5568' }),
    text(clientBox.x + 12, clientBox.y + 21, 'Client', { weight: 'bold', size: 13 }),
    text(clientBox.x + 12, clientBox.y + 39, 'SigV4 HTTPS, in-VPC or peered', { size: 10, fill: '#4a5568' }),
  );
  if (api) {
    const auth = [...new Set(api.methods.map((m) => m.authorization))].join(', ');
    c.parts.push(
      `<g><title>${escapeXml(`REST API ${api.title} (${api.stack}/${api.logicalId})`)}</title>`,
      rect(apiBox, { fill: '#f3eefb', stroke: '#7b52ab', strokeWidth: 1.5 }),
      text(apiBox.x + 12, apiBox.y + 19, fit(`${api.endpointTypes.join('/') || 'EDGE'} REST API`, apiBox.w - 24, 13), { weight: 'bold', size: 13 }),
      text(apiBox.x + 12, apiBox.y + 37, fit(`${api.methods.length} methods · auth ${auth}`, apiBox.w - 24, 11), { size: 11 }),
      text(apiBox.x + 12, apiBox.y + 54, fit(api.sourceVpce.length > 0 ? 'deny unless aws:SourceVpce' : 'NO aws:SourceVpce condition', apiBox.w - 24, 10), {
        size: 10,
        fill: api.sourceVpce.length > 0 ? '#4a5568' : '#c0392b',
      }),
      text(apiBox.x + 12, apiBox.y + 70, fit(`= ${api.sourceVpce[0]?.split(' (')[0].replace(' interface', '') ?? '-'}`, apiBox.w - 24, 10), { size: 10, fill: '#4a5568' }),
      '</g>',
    );
  }

  // --- Functions and pills (drawn after the VPC so they sit on top). ---------------------------
  for (const f of orderedFns) drawFunction(c, f, c.at.get(idOf(f))!);
  for (const p of e.network.endpoints) {
    const box = c.at.get(idOf(p));
    if (box) drawPill(c, p, box);
  }

  // --- Bottom band: keys, audit, log groups, functions outside the VPC, legend. ----------------
  const bandTop = Math.max(vpcBottom, ry, apiBox.y + apiBox.h) + 44;
  let ky = column(c, BAND.keys.x, bandTop, BAND.keys.w, 'KMS keys', e.dataStores.keys, (k, box) => {
    const color = colors.get(`${k.stack}/${k.logicalId}`) ?? '#4a5568';
    c.parts.push(
      `<g><title>${escapeXml(`KMS key ${k.alias ?? k.title} (${k.stack}/${k.logicalId})`)}</title>`,
      rect(box, { fill: '#fffdf5', stroke: color, strokeWidth: 1.5 }),
      rect({ x: box.x, y: box.y, w: 6, h: box.h }, { fill: color, stroke: color, radius: 2 }),
      text(box.x + 14, box.y + 17, k.alias ?? k.title, { weight: 'bold', fill: color, size: nameSize(k.alias ?? k.title, box.w - 24, 12, { bold: true }) }),
      text(box.x + 14, box.y + 33, fit(k.description ?? '', box.w - 24, 10, { mode: 'end' }), { size: 10, fill: '#4a5568' }),
      text(box.x + 14, box.y + 49, fit(`rotation ${k.rotation ? 'on' : 'OFF'} · ${k.deletionPolicy === 'Retain' ? 'RETAIN' : k.deletionPolicy} · protects ${k.protects.length}`, box.w - 24, 10), {
        size: 10,
        fill: '#4a5568',
      }),
      '</g>',
    );
  });

  // Audit: the trail, then what it writes, then other buckets no data path reaches.
  const auditX = BAND.audit.x;
  const auditW = BAND.audit.w;
  let ay = bandTop;
  for (const trail of e.dataStores.trails) {
    groupHeader(c, auditX, ay, 'Audit');
    const trailBox = c.place(idOf(trail), { x: auditX, y: ay + GROUP_HEADER, w: auditW, h: 50, zone: 'bottom' });
    c.parts.push(
      rect(trailBox, { fill: '#f6f1ee', stroke: '#8d6e63', strokeWidth: 1.5 }),
      text(trailBox.x + 12, trailBox.y + 19, fit(`CloudTrail trail ${trail.name ?? trail.title}`, auditW - 24, 12, { bold: true }), { weight: 'bold' }),
      text(trailBox.x + 12, trailBox.y + 37, fit(`${trail.multiRegion ? 'multi-region' : 'single-region'} · log file validation ${trail.logFileValidation ? 'on' : 'OFF'} · data events: ${trail.selectors.length - 1}`, auditW - 24, 10), {
        size: 10,
        fill: '#4a5568',
      }),
    );
    const targets = paths.filter((p) => p.from === idOf(trail)).map((p) => storesById.get(p.to)).filter((s): s is DataStore => !!s);
    const tw = (auditW - (targets.length - 1) * 12) / Math.max(1, targets.length);
    targets.forEach((s, i) => {
      const box = c.place(idOf(s), { x: auditX + i * (tw + 12), y: trailBox.y + trailBox.h + 40, w: tw, h: STORE.h, zone: 'bottom' });
      drawn.add(idOf(s));
      drawStore(c, s, box, colors);
    });
    ay = trailBox.y + trailBox.h + 40 + (targets.length > 0 ? STORE.h : 0) + 20;
  }
  const otherBuckets = stores.filter((s) => s.type === 'AWS::S3::Bucket' && !drawn.has(idOf(s)));
  ay = column(c, auditX, ay, auditW, 'Other buckets (logging)', otherBuckets, storeDrawer);

  // Log groups: one box listing them.
  const logGroups = stores.filter((s) => s.type === 'AWS::Logs::LogGroup' && !drawn.has(idOf(s)));
  const lgX = BAND.logs.x;
  const lgW = BAND.logs.w;
  let ly = bandTop;
  if (logGroups.length > 0) {
    groupHeader(c, lgX, ly, `CloudWatch log groups (${logGroups.length})`);
    const box = { x: lgX, y: ly + GROUP_HEADER, w: lgW, h: 12 + logGroups.length * 36 };
    c.parts.push(rect(box, FILLS['AWS::Logs::LogGroup']));
    logGroups.forEach((s, i) => {
      const y = box.y + 19 + i * 36;
      const color = s.encryption.key?.logicalId ? (colors.get(`${s.encryption.key.stack}/${s.encryption.key.logicalId}`) ?? '#4a5568') : '#9b2c2c';
      c.parts.push(
        text(box.x + 12, y, fit(`${s.name ?? s.title} · ${s.retention}`, lgW - 24, 11, { bold: true }), { size: 11, weight: 'bold' }),
        text(box.x + 12, y + 15, fit(`key ${s.encryption.key?.alias ?? s.encryption.atRest} · ${s.notes[0] ?? ''}`, lgW - 24, 10, { mode: 'end' }), { size: 10, fill: color }),
      );
    });
    ly = box.y + box.h + 20;
  }
  ly = column(c, lgX, ly, lgW, 'Outside the VPC', outside, (f, box) => {
    c.place(idOf(f), box);
    drawFunction(c, f, box, true);
  }, FN.h);

  // Legend.
  const legendItems: Array<[DataPathKind, string]> = [
    ['invoke', 'invokes'],
    ['read-write', 'reads / writes data'],
    ['model', 'model inference'],
    ['workflow', 'starts a workflow'],
    ['stream', 'stream / queue feeds'],
    ['audit', 'audit records'],
  ];
  const legendY = Math.max(ky, ay, ly) + 10;
  c.parts.push(text(MARGIN, legendY + 4, 'Legend', { weight: 'bold', size: 12 }));
  legendItems.forEach(([kind, words], i) => {
    const x = MARGIN + 70 + i * 170;
    c.parts.push(line(x, legendY, x + 40, legendY, STYLES[kind]), text(x + 48, legendY + 4, words, { size: 11 }));
  });
  const legend2 = legendY + 24;
  c.parts.push(
    rect({ x: MARGIN + 70, y: legend2 - 10, w: 60, h: 16 }, { fill: '#e5f5e8', stroke: '#2e8540', radius: 8 }),
    text(MARGIN + 138, legend2 + 3, 'gateway endpoint', { size: 11 }),
    rect({ x: MARGIN + 260, y: legend2 - 10, w: 60, h: 16 }, { fill: '#e3eefc', stroke: '#2f6db5', radius: 8 }),
    text(MARGIN + 328, legend2 + 3, 'interface endpoint', { size: 11 }),
    rect({ x: MARGIN + 460, y: legend2 - 10, w: 8, h: 16 }, { fill: KEY_COLORS[0], stroke: KEY_COLORS[0], radius: 2 }),
    text(MARGIN + 476, legend2 + 3, 'colour bar = the KMS key a store is encrypted under', { size: 11 }),
  );
  ky = legend2 + 24;

  // --- Edges. --------------------------------------------------------------------------------------
  drawEdges(c, paths, leftPill);

  const height = Math.ceil(ky + 10);
  const s = e.summary;
  const title = `Statehouse ${s.target} · ${s.region} (${s.partition?.id ?? 'unknown partition'}) · account: ${s.account}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">`,
    `<title>${escapeXml(`Architecture of ${s.target}`)}</title>`,
    `<desc>${escapeXml('Generated by npm run report from the synthesized CloudFormation templates; arrows are API integrations, IAM grants, event source mappings and state-machine definitions.')}</desc>`,
    `<defs>${Object.values(STYLES)
      .map((st) => marker(st.marker, st.color))
      .join('')}</defs>`,
    rect({ x: 0, y: 0, w: WIDTH, h: height }, { fill: '#ffffff', stroke: '#ffffff', radius: 0 }),
    text(MARGIN, 32, title, { size: 20, weight: 'bold' }),
    text(MARGIN, 56, `Generated from the synthesized templates (${s.stacks.map((st) => st.stackName).join(', ')}); nothing read from an AWS account.`, { size: 12, fill: '#4a5568' }),
    ...c.parts,
    ...c.edges,
    ...c.labels,
    '</svg>',
  ].join('\n');
}

function drawEdges(c: Canvas, paths: DataPath[], leftPill: string | undefined): void {
  const outgoing = new Map<string, DataPath[]>();
  for (const p of paths) outgoing.set(p.from, [...(outgoing.get(p.from) ?? []), p]);
  const labelled = new Set<string>();
  const incomingRight = new Map<string, number>();

  for (const p of paths) {
    const from = c.at.get(p.from);
    const to = c.at.get(p.to);
    if (!from || !to) continue;
    const style = STYLES[p.kind];
    const siblings = (outgoing.get(p.from) ?? []).filter((o) => c.at.get(o.to) && o.kind !== 'audit' && o.kind !== 'dead-letter');
    const index = siblings.indexOf(p);
    const via = p.via ? c.at.get(p.via) : undefined;

    // Dead letters are sent by the Lambda service, not by the function: the queue box says whose they are.
    if (p.kind === 'dead-letter') continue;
    if (p.kind === 'audit') {
      const [x1, y1] = [from.x + from.w / 2, from.y + from.h];
      c.edges.push(line(x1, y1, to.x + to.w / 2, to.y, style));
      continue;
    }
    if (via && p.via === leftPill) {
      // Client → execute-api endpoint → API.
      const [x1, y1] = anchorRight(from);
      c.edges.push(line(x1, y1, via.x, via.y + via.h / 2, style, false));
      c.edges.push(line(via.x + via.w * 0.3, via.y + via.h, to.x + to.w * 0.7, to.y, style));
      c.labels.push(label((via.x + to.x + to.w) / 2 - 10, (via.y + via.h + to.y) / 2 + 4, p.label, style.color));
      continue;
    }
    if (via) {
      const [x1, y1] = anchorRight(from, index, siblings.length);
      c.edges.push(line(x1, y1, via.x, via.y + via.h / 2, style, false));
      const key = `${p.via}->${p.to}`;
      if (!labelled.has(key)) {
        labelled.add(key);
        const n = incomingRight.get(p.to) ?? 0;
        incomingRight.set(p.to, n + 1);
        const [x2, y2] = anchorLeft(to);
        c.edges.push(line(via.x + via.w, via.y + via.h / 2, x2, y2 + n * 6, style));
        c.labels.push(label((via.x + via.w + x2) / 2 + 6, (via.y + via.h / 2 + y2) / 2 - 3, p.label, style.color));
      }
      continue;
    }
    if (from.zone === 'left') {
      const [x1, y1] = anchorRight(from);
      const [x2, y2] = anchorLeft(to);
      c.edges.push(line(x1, y1, x2, y2, style));
      c.labels.push(label((x1 + x2) / 2, (y1 + y2) / 2 - 6, p.label, style.color));
      continue;
    }
    if (to.zone === 'vpc' && (from.zone === 'right' || from.zone === 'bottom')) {
      // Stream or workflow back into the VPC: a curve from the source's left side.
      const [x1, y1] = anchorLeft(from, 1, 3);
      const [x2, y2] = [to.x + to.w, to.y + to.h * 0.78];
      c.edges.push(curve(x1, y1, x2, y2, style, 0.35));
      if (p.kind !== 'invoke') c.labels.push(label((x1 + x2) / 2, (y1 + y2) / 2, p.label, style.color));
      continue;
    }
    if (from.zone === 'right' && to.zone === 'right') {
      // Between two boxes of the right column: a loop in the margin.
      const [x1, y1] = anchorRight(from);
      const [x2, y2] = anchorRight(to);
      const bulge = Math.min(WIDTH - x1 - 4, 36);
      c.edges.push(`<path d="M${x1},${y1} C${x1 + bulge},${y1} ${x2 + bulge},${y2} ${x2 + 2},${y2}" fill="none" stroke="${style.color}" stroke-width="1.6" marker-end="url(#${style.marker})"/>`);
      c.labels.push(label(x1 + bulge - 14, (y1 + y2) / 2, p.label, style.color));
      continue;
    }
    // Direct (no endpoint): e.g. dead letters, sent by the Lambda service.
    const [x1, y1] = anchorRight(from, index, siblings.length);
    const [x2, y2] = anchorLeft(to);
    c.edges.push(curve(x1, y1, x2, y2, style, 0.3));
  }
}
