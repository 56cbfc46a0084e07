/**
 * The single executable's second bundle: `procinit VERB ARGS...` for the verbs of client-verbs.json, which
 * talk to a running procinit (`procinit status` in a HEALTHCHECK runs every few seconds). It holds the
 * control client and those verbs only, with its own V8 code cache, so such a call neither reads nor
 * compiles the supervisor, the config parsers or the XML-RPC server. build/sea-main.cjs chooses it when
 * procinit runs under its own name (not as supervisord or supervisorctl) and its first argument is one of
 * these verbs: exactly the calls main.ts would hand to COMMANDS[verb] (a verb comes before `--` and any
 * option there). `node dist/procinit.js` keeps the one bundle, entry.ts.
 */
import { CLIENT_COMMANDS } from './client-commands.js';
import { reportError } from './report-error.js';

const [verb, ...args] = process.argv.slice(2);
const command = verb !== undefined && Object.hasOwn(CLIENT_COMMANDS, verb) ? CLIENT_COMMANDS[verb] : null;
if (command === null) {
  process.stderr.write(`procinit: internal error: the client bundle was run for '${verb ?? ''}'\n`);
  process.exit(1);
}
command(args).then(
  (code) => process.exit(code),
  (err) => process.exit(reportError(err)),
);
