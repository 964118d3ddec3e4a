/** Keeping secret values out of input-validation messages. */
import type { ServiceModel } from '../model/index.js';

/** Names of the members, anywhere in the model, whose shape is marked `sensitive`. */
export function sensitiveMembers(model: ServiceModel): Set<string> {
  const out = new Set<string>();
  for (const shape of Object.values(model.shapes)) {
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      if (model.shapes[ref.shape]?.sensitive) out.add(name);
    }
  }
  return out;
}

/** The longest value the model's messages quote before cutting it with `...`. */
const QUOTED_MAX = 200;

/**
 * Removes the quoted values of sensitive members from an AWS-style validation message
 * ("Value 'x' at 'SecretString' failed to satisfy constraint: ...") so it reads
 * "Value at 'SecretString' failed ...", as AWS words it for sensitive members.
 */
export function redactSensitiveValues(message: string, members: ReadonlySet<string>): string {
  let out = message;
  for (const member of members) {
    const marker = `' at '${member}' failed to satisfy constraint: `;
    for (let end = out.lastIndexOf(marker); end >= 0; end = end === 0 ? -1 : out.lastIndexOf(marker, end - 1)) {
      // A cut value is exactly QUOTED_MAX characters plus '...'; otherwise take the nearest opening.
      const cutStart = end - QUOTED_MAX - 3 - "Value '".length;
      const start =
        out.slice(end - 3, end) === '...' && cutStart >= 0 && out.startsWith("Value '", cutStart) ? cutStart : out.lastIndexOf("Value '", end);
      if (start < 0) continue;
      out = `${out.slice(0, start)}Value${out.slice(end + 1)}`;
      end = start;
    }
  }
  return out;
}
