/** The flags `up` and `env` share, parsed into {@link BerthOptions}. */
import { parseArgs } from 'node:util';
import type { BerthOptions } from '../config/index.js';

/** Help text for the shared flags. */
export const COMMON_FLAGS = `  --host HOST        Address to listen on (default 127.0.0.1; env BERTH_HOST).
  --port PORT        API port, 0 for any free port (default 4600; env BERTH_PORT).
  --data-dir DIR     State, credentials and account id (default ~/.local/share/berth; env BERTH_DATA_DIR).
  --region REGION    The region Berth serves (default us-east-1; env BERTH_REGION).`;

/** Parses the shared flags; throws on unknown flags. */
export function parseCommonFlags(args: string[]): BerthOptions & { help: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  return { host: values.host, port: values.port, dataDir: values['data-dir'], region: values.region, help: values.help ?? false };
}
