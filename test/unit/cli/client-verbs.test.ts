/**
 * The single executable runs the verbs of src/cli/client-verbs.json from its client bundle
 * (build/sea-main.cjs): that list must be exactly the verbs the client bundle serves, and those verbs must
 * reach the same handlers as through main.ts, so no call lands in a bundle that cannot serve it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_COMMANDS } from '../../../src/cli/client-commands.js';
import { COMMANDS } from '../../../src/cli/commands.js';
import { REPO } from '../../helpers/procinit.js';

const verbs = JSON.parse(readFileSync(join(REPO, 'src/cli/client-verbs.json'), 'utf8')) as string[];

describe('the client bundle verbs', () => {
  it('client-verbs.json names exactly the client commands', () => {
    expect([...verbs].sort()).toEqual(Object.keys(CLIENT_COMMANDS).sort());
  });

  it('each is a command of the full CLI with the same handler; export stays in the full bundle', () => {
    for (const v of verbs) expect(COMMANDS[v]).toBe(CLIENT_COMMANDS[v]);
    expect(Object.keys(COMMANDS).sort()).toEqual([...verbs, 'export'].sort());
  });
});
