/**
 * Which program procinit is run as: `supervisord` and `supervisorctl` (a symlink or copy of procinit under
 * that name, as in `ln -s /usr/local/bin/procinit /usr/local/bin/supervisord`) take supervisord's and
 * supervisorctl's command lines; any other name is procinit. The name is argv[0] for the single executable and
 * the script path (argv[1]) for `node dist/procinit.js` or bin/procinit.
 */
import { basename } from 'node:path';

export type Personality = 'procinit' | 'supervisord' | 'supervisorctl';

export function personalityOf(argv0: string, script: string | undefined): Personality {
  for (const candidate of [script, argv0]) {
    if (!candidate) continue;
    const name = basename(candidate).replace(/\.(js|cjs|mjs)$/, '');
    if (name === 'supervisord' || name === 'supervisorctl') return name;
  }
  return 'procinit';
}
