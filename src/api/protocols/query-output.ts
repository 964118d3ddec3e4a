/**
 * awsQuery output: writes an operation's (already shaped) output as the XML AWS sends:
 * `<{Op}Response xmlns=...><{Op}Result>...</{Op}Result><ResponseMetadata>...</ResponseMetadata>`,
 * members named by their `locationName` (else their own name), lists as `<member>` items
 * (flattened: the element repeated), maps as `<entry><key/><value/></entry>`, timestamps in
 * ISO 8601 with milliseconds, booleans `true`/`false`. Errors as `<ErrorResponse>`.
 */
import type { MemberRef, ServiceModel, Shape } from '../../model/index.js';
import { XmlWriter } from './xml.js';

/** The body of a successful awsQuery response. */
export function queryResponseXml(model: ServiceModel, operation: string, output: unknown, requestId: string): string {
  const op = model.operations[operation];
  const xml = new XmlWriter().start(`${operation}Response`, { xmlns: model.metadata.xmlNamespace });
  if (op.output) {
    const shape = model.shapes[op.output.shape];
    const value = (output ?? {}) as Record<string, unknown>;
    // Without a resultWrapper the output's members sit directly in the Response element.
    if (op.output.resultWrapper) {
      xml.start(op.output.resultWrapper);
      writeMembers(xml, model, shape, value);
      xml.end();
    } else {
      writeMembers(xml, model, shape, value);
    }
  }
  xml.start('ResponseMetadata').text('RequestId', requestId).end();
  return xml.end().toString();
}

/** The body of an awsQuery error response. */
export function queryErrorXml(namespace: string | undefined, type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return new XmlWriter()
    .start('ErrorResponse', { xmlns: namespace })
    .start('Error')
    .text('Type', type)
    .text('Code', code)
    .text('Message', message)
    .end()
    .text('RequestId', requestId)
    .end()
    .toString();
}

function writeMembers(xml: XmlWriter, model: ServiceModel, shape: Shape, value: Record<string, unknown>): void {
  // Members in the model's order (the order AWS writes them), not the order the service set them.
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (!Object.hasOwn(value, name)) continue;
    const v = value[name];
    if (v === undefined || v === null) continue;
    writeMember(xml, model, ref.locationName ?? name, ref, v);
  }
}

function writeMember(xml: XmlWriter, model: ServiceModel, name: string, ref: MemberRef, v: unknown): void {
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure':
      if (typeof v !== 'object') return;
      xml.start(name);
      writeMembers(xml, model, shape, v as Record<string, unknown>);
      xml.end();
      return;
    case 'list': {
      if (!Array.isArray(v)) return;
      const member = shape.member!;
      if (ref.flattened || shape.flattened) {
        // A flattened list repeats its element; the list member's locationName names it when set.
        for (const item of v) if (item !== undefined && item !== null) writeMember(xml, model, member.locationName ?? name, member, item);
        return;
      }
      xml.start(name);
      for (const item of v) if (item !== undefined && item !== null) writeMember(xml, model, member.locationName ?? 'member', member, item);
      xml.end();
      return;
    }
    case 'map': {
      if (typeof v !== 'object') return;
      const flat = ref.flattened || shape.flattened;
      const keyName = shape.key!.locationName ?? 'key';
      const valueName = shape.value!.locationName ?? 'value';
      if (!flat) xml.start(name);
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (item === undefined || item === null) continue;
        xml.start(flat ? name : 'entry');
        xml.text(keyName, k);
        writeMember(xml, model, valueName, shape.value!, item);
        xml.end();
      }
      if (!flat) xml.end();
      return;
    }
    default:
      xml.text(name, scalarText(shape, ref, v));
  }
}

function scalarText(shape: Shape, ref: MemberRef, v: unknown): string {
  switch (shape.type) {
    case 'timestamp': {
      const d = v instanceof Date ? v : new Date(v as string | number);
      const format = ref.timestampFormat ?? shape.timestampFormat;
      if (format === 'unixTimestamp') return String(d.getTime() / 1000);
      if (format === 'rfc822') return d.toUTCString();
      // AWS's query services write milliseconds: 2016-03-25T21:26:12.920Z.
      return d.toISOString();
    }
    case 'double':
    case 'float': {
      const n = Number(v);
      if (Number.isNaN(n)) return 'NaN';
      return n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n);
    }
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}
