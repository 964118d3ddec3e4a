/**
 * A small XML writer for the responses Berth sends (awsQuery today, restXml later): elements with
 * escaped text, nothing else. Berth only writes XML; it never has to parse it.
 */

/** Characters XML 1.0 cannot carry at all, even as character references. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * Escapes text for element content, or, with `attribute`, for a double-quoted attribute. Carriage returns and line
 * feeds become character references, because an XML parser normalises a literal `\r\n` to `\n`
 * and the SDKs drop whitespace-only text; as references they arrive exactly as stored.
 * Characters XML cannot carry become U+FFFD.
 */
export function escapeXml(text: string, attribute = false): string {
  const escaped = text
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;')
    .replace(/\n/g, '&#10;');
  return attribute ? escaped.replace(/"/g, '&quot;') : escaped;
}

/** An XML name the writer accepts: model member names and locationNames are all of this form. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** Builds an XML document as a string, one element at a time. */
export class XmlWriter {
  private readonly parts: string[] = [];
  private readonly open: string[] = [];

  /** Opens `<name attrs>`; close it with {@link end}. */
  start(name: string, attrs: Record<string, string | undefined> = {}): this {
    this.parts.push(`<${checkName(name)}${attributes(attrs)}>`);
    this.open.push(name);
    return this;
  }

  /** Closes the element opened last. */
  end(): this {
    const name = this.open.pop();
    if (name === undefined) throw new Error('XmlWriter.end() without an open element');
    this.parts.push(`</${name}>`);
    return this;
  }

  /** Writes `<name>text</name>` (or `<name/>` for empty text). */
  text(name: string, text: string, attrs: Record<string, string | undefined> = {}): this {
    const n = checkName(name);
    this.parts.push(text === '' ? `<${n}${attributes(attrs)}/>` : `<${n}${attributes(attrs)}>${escapeXml(text)}</${n}>`);
    return this;
  }

  /** The document; every element must be closed. */
  toString(): string {
    if (this.open.length) throw new Error(`XmlWriter: unclosed elements ${this.open.join(' > ')}`);
    return this.parts.join('');
  }
}

function checkName(name: string): string {
  // Names come from the model, never from a request; a bad one is a bug in Berth.
  if (!NAME.test(name)) throw new Error(`not an XML element name: ${JSON.stringify(name)}`);
  return name;
}

function attributes(attrs: Record<string, string | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out += ` ${checkName(k)}="${escapeXml(v, true)}"`;
  return out;
}
