import type { CodeRule, RuleReport } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { calleeName, propertyName, stringValue, walk } from '../../code/ast.js';
import { RUNTIME_EVIDENCE, metadataShape, snippet } from '../../code/rule-support.js';

/** Framing headers: the Function URL frames the streamed body itself. */
const HOP_BY_HOP: Record<string, 'warning' | 'info'> = {
  'transfer-encoding': 'info',
  'content-length': 'warning',
  connection: 'warning',
  'keep-alive': 'warning',
  upgrade: 'warning',
};

export const hopByHopHeaderInPrelude: CodeRule = {
  meta: {
    id: 'hop-by-hop-header-in-prelude',
    category: 'metadata',
    severity: 'warning',
    title: 'Framing (hop-by-hop) headers in the streaming prelude',
    consequence:
      'The runtime passes prelude headers through verbatim. A content-length that disagrees with the streamed length truncates or stalls clients; transfer-encoding on body-less responses was reported to hang behind CloudFront (info).',
    evidence: `Runtime behaviour i: passed through verbatim (${RUNTIME_EVIDENCE}); nitro and srvx add transfer-encoding: chunked; 94fzb/simplewebserver PR #9 strips them.`,
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const seen = new Set<number>();
    const add = (node: Node, header: string) => {
      if (seen.has(node.start)) return;
      seen.add(node.start);
      reports.push({
        start: node.start,
        end: node.end,
        severity: HOP_BY_HOP[header],
        message: `\`${snippet(facts, node)}\` puts the hop-by-hop header \`${header}\` into the streaming prelude: Lambda frames the streamed body itself, and a mismatching ${header} can truncate or stall the response.`,
        fix: `Do not send \`${header}\` in the metadata headers.`,
        key: `${header}:${snippet(facts, node, 40)}`,
      });
    };
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      for (const [key, property] of shape?.headerKeys ?? []) if (HOP_BY_HOP[key]) add(property, key);
    }
    // response.headers.set("transfer-encoding", "chunked") in a module that streams with metadata.
    if (facts.fromCalls.length > 0) {
      for (const fn of facts.functions) {
        walk(fn.fn, (node) => {
          if (node.type === 'CallExpression' && calleeName(node) === 'set') {
            const header = stringValue(node.arguments[0])?.toLowerCase();
            if (header && HOP_BY_HOP[header]) add(node, header);
          }
          // metadata.headers["transfer-encoding"] = "chunked"
          if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression') {
            const header = propertyName(node.left)?.toLowerCase();
            if (header && HOP_BY_HOP[header]) add(node, header);
          }
          return true;
        });
      }
    }
    return reports;
  },
};
