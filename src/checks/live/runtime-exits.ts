import { defineLiveRule } from '../../model/rule.js';
import { capitalized, describe } from '../../iac/deployment-support.js';
import { CRASH_RULES, packagePath } from './support.js';

/**
 * The runtime process exits (Runtime.ExitError, "Runtime exited with error", Runtime.OutOfMemory): the
 * response is cut, the environment restarts (a cold start follows). Joined with the code rules whose bug
 * makes the streaming runtime exit.
 */
export const runtimeExits = defineLiveRule({
  meta: {
    id: 'runtime-exits',
    category: 'live',
    severity: 'warning',
    title: 'The runtime process exits during invocations (crash, out of memory)',
    consequence:
      'A runtime exit cuts the response stream where it is (truncated body, or no response on a cold socket) and the next invocation pays a cold start.',
    evidence:
      'Platform log lines `RequestId: … Error: Runtime exited with error: exit status N`, REPORT/INIT_REPORT `Status: error` with `Error Type: Runtime.ExitError` or `Runtime.OutOfMemory` (aws.md §4.2); runtime behaviour: write after end(), destroy(err) and a failing pipeline() source make the streaming runtime exit (runtime.md).',
    fixable: false,
  },
  messages: {
    crashingCode:
      '{{subject}}: the runtime exited {{times}} in the last {{window}} ({{kinds}}). The deployed code has {{ruleId}} (line {{line}} of {{file}}), which makes the streaming runtime exit.',
    outOfMemory:
      '{{subject}}: the runtime exited {{times}} in the last {{window}} ({{kinds}}). Out of memory: a streamed response that is buffered in memory (collected chunks, a large body) grows with the response.',
    exits: '{{subject}}: the runtime exited {{times}} in the last {{window}} ({{kinds}}).',
  },
  check(context, report) {
    const logs = context.logs;
    if (!logs) return;
    const exits = Object.entries(logs.runtimeExits).reduce((n, [, count]) => n + count, 0);
    const crashTypes = Object.entries(logs.errorsByType).filter(([type]) => /^Runtime\.(ExitError|OutOfMemory|Unknown)/.test(type));
    const crashes = crashTypes.reduce((n, [, count]) => n + count, 0);
    const total = Math.max(exits, crashes);
    if (total === 0) return;
    const d = context.deployment;
    const kinds = [...crashTypes.map(([type, count]) => `${type} ×${count}`), ...Object.entries(logs.runtimeExits).map(([reason, count]) => `"${reason}" ×${count}`)];
    const crashFinding = context.codeFindings.find((f) => CRASH_RULES.has(f.ruleId));
    const oom = crashTypes.some(([type]) => type === 'Runtime.OutOfMemory');
    const data = {
      subject: capitalized(describe(d)),
      times: `${total} time${total === 1 ? '' : 's'}`,
      window: context.window,
      kinds: kinds.slice(0, 4).join(', '),
    };
    const common = { at: d.at, severity: crashFinding || total >= 3 ? ('error' as const) : ('warning' as const), key: `${d.name}:runtime-exits` };
    if (crashFinding) {
      report({
        ...common,
        messageId: 'crashingCode',
        data: { ...data, ruleId: crashFinding.ruleId, line: crashFinding.line, file: packagePath(crashFinding.file) },
        fix: `See \`stream-doctor explain ${crashFinding.ruleId}\`.`,
      });
    } else if (oom) {
      report({ ...common, messageId: 'outOfMemory', data, fix: 'Stream chunks as they come instead of collecting them, or raise MemorySize.' });
    } else {
      report({ ...common, messageId: 'exits', data, fix: 'Look up the request ids of these exits in the function log for the error before the exit.' });
    }
  },
});
