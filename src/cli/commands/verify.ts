import { FORMAT_NAMES } from '../../report/format-names.js';
import { defineCommand } from '../command.js';
import { shared } from '../options.js';

const repeatable = (value: string, list: string[] = []) => [...list, value];

export const verify = defineCommand({
  name: 'verify',
  description: "run a handler under AWS's own runtime (aws-lambda-ric) against a local Runtime API and report what it really does",
  arguments: [{ name: '<handler>', description: 'the function handler as Lambda sees it, e.g. dist/index.handler' }],
  options: [
    { flags: '--root <dir>', description: 'the code root Lambda unpacks (LAMBDA_TASK_ROOT)', default: '.' },
    { flags: '--runtime <lineage>', description: '3.x (nodejs18/20/22.x), 4.x (nodejs24.x) or both', choices: ['3.x', '4.x', 'both'], default: 'both' },
    { flags: '--event <file>', description: 'also send this event JSON (repeatable)', parse: repeatable },
    { flags: '--coverage', description: "run with V8 coverage and say, for each static finding of the handler module, whether an event ran its line and confirmed it" },
    { flags: '--no-code-events', description: "only the default events and --event files, not the routes and methods mined from the handler's code" },
    { flags: '--timeout <duration>', description: 'how long an invocation may run: 5s, 500ms (at most 60s)', default: '5s' },
    { flags: '--pass-env <name>', description: 'pass this environment variable to the handler (repeatable; none by default)', parse: repeatable },
    { flags: '--bootstrap <command>', description: 'run this custom runtime / Runtime API client (sh -c, in --root) instead of aws-lambda-ric and check the streaming protocol it speaks' },
    { flags: '--exec-wrapper <file>', description: 'start aws-lambda-ric through this AWS_LAMBDA_EXEC_WRAPPER script and compare with a run without it' },
    shared.format(FORMAT_NAMES),
    shared.docsUrl,
    shared.failOn,
    shared.verbose("show body previews, the runtime's stderr and each finding's evidence"),
    shared.color(),
  ],
  async run({ args: [handler], opts, format, failOn, verbose, color, docsUrl, io }) {
    const { verifyHandler } = await import('../../commands/verify.js');
    const result = await verifyHandler(
      {
        handler: handler,
        root: opts.root,
        runtime: opts.runtime,
        events: opts.event ?? [],
        codeEvents: opts.codeEvents !== false,
        coverage: !!opts.coverage,
        timeout: opts.timeout,
        passEnv: opts.passEnv ?? [],
        ...(opts.bootstrap !== undefined ? { bootstrap: opts.bootstrap as string } : {}),
        ...(opts.execWrapper !== undefined ? { execWrapper: opts.execWrapper as string } : {}),
        format,
        failOn,
        verbose,
        color,
        docsUrl,
      },
      io,
    );
    return result.exitCode;
  },
});
