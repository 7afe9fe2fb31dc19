import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { calleeName, memberPath, propertyName, stringValue, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { RUNTIME_EVIDENCE, enclosingFunctionNode, metadataRoots, metadataShape, snippet } from '../../code/rule-support.js';

/** Framing headers: the Function URL frames the streamed body itself. */
const HOP_BY_HOP = new Set(['transfer-encoding', 'content-length', 'connection', 'keep-alive', 'upgrade']);

/**
 * Where the header is set: a `property` of the prelude's headers literal (`headers`, passed to from() by
 * `call`), or a `statement`-level `headers.set(name, …)` call or `headers[name] = …` assignment (`node`).
 */
export type FramingHeaderSite = { kind: 'property'; call: Node; headers: Node; property: Node } | { kind: 'statement'; node: Node };

export const hopByHopHeaderInPrelude = defineCodeRule({
  meta: {
    id: 'hop-by-hop-header-in-prelude',
    category: 'metadata',
    severity: 'warning',
    title: 'Framing (hop-by-hop) headers in the streaming prelude',
    consequence:
      'The runtime passes prelude headers through verbatim. A content-length that disagrees with the streamed length truncates or stalls clients; transfer-encoding on body-less responses (204/304/redirects) was reported to hang behind CloudFront. transfer-encoding sent only when there is a body is not reported.',
    evidence: `Runtime behaviour i: passed through verbatim (${RUNTIME_EVIDENCE}); nitro #4417 (body-less responses with transfer-encoding hang behind CloudFront), srvx 1.0.3 removed it; 94fzb/simplewebserver PR #9 strips them.`,
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    framingHeader: '`{{code}}` puts the hop-by-hop header `{{header}}` into the streaming prelude: Lambda frames the streamed body itself, and a mismatching {{header}} can truncate or stall the response.',
    transferEncodingWithBody:
      '`{{code}}` puts the hop-by-hop header `transfer-encoding` into the prelude of a response that always has a body (status {{status}}, written below): Lambda frames the streamed body itself, so it is redundant here; a body-less variant of it would hang behind CloudFront.',
    transferEncoding: '`{{code}}` puts the hop-by-hop header `transfer-encoding` into the streaming prelude, also for body-less responses (204, 304, redirects, HEAD), which were reported to hang behind CloudFront: Lambda frames the streamed body itself, and a mismatching transfer-encoding can truncate or stall the response.',
  },
  payload: payloadType<FramingHeaderSite>(),
  check(facts, report) {
    const seen = new Set<number>();
    const add = (node: Node, header: string, fromCall: Node, site: FramingHeaderSite) => {
      if (seen.has(node.start)) return;
      seen.add(node.start);
      // transfer-encoding only hurts body-less responses; sent only when there is a body it is the
      // allowed form (bug classes: "at most TE when a body exists and the status allows one").
      const bodyOnly = header === 'transfer-encoding' && (underBodyGuard(facts, node) || underBodyGuard(facts, fromCall));
      if (bodyOnly) return;
      const common = {
        start: node.start,
        end: node.end,
        fix: `Do not send \`${header}\` in the metadata headers.`,
        key: `${header}:${snippet(facts, node, 40)}`,
        payload: site,
      };
      const status = header === 'transfer-encoding' ? statusWithBody(facts, fromCall) : null;
      if (status !== null) report({ ...common, severity: 'info', messageId: 'transferEncodingWithBody', data: { code: snippet(facts, node), status } });
      else if (header === 'transfer-encoding') report({ ...common, messageId: 'transferEncoding', data: { code: snippet(facts, node) } });
      else report({ ...common, messageId: 'framingHeader', data: { code: snippet(facts, node), header } });
    };
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      for (const [key, property] of shape?.headerKeys ?? []) {
        if (HOP_BY_HOP.has(key)) add(property, key, call, { kind: 'property', call, headers: shape!.headers!, property });
      }
      // `response.headers.set("transfer-encoding", ...)` / `metadata.headers["content-length"] = ...`
      // count only when the object they change feeds this metadata (not an upstream request's headers).
      const feeding = metadataRoots(facts, call);
      if (feeding.size === 0) continue;
      const scope = enclosingFunctionNode(facts, call);
      walk(scope, (node) => {
        if (node.type === 'CallExpression' && calleeName(node) === 'set') {
          const header = stringValue(node.arguments[0])?.toLowerCase();
          const receiver = unwrap(node.callee)?.object;
          if (header && HOP_BY_HOP.has(header) && feeding.has(rootName(receiver))) add(node, header, call, { kind: 'statement', node });
        }
        if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression') {
          const header = propertyName(node.left)?.toLowerCase();
          if (header && HOP_BY_HOP.has(header) && feeding.has(rootName(node.left.object))) add(node, header, call, { kind: 'statement', node });
        }
        return true;
      });
    }
  },
});

/**
 * The literal 2xx status (not 204/205) of a response whose function writes a body after from(): it always has
 * one, so transfer-encoding cannot make it hang (runtime.md: info for TE on responses with a body).
 */
function statusWithBody(facts: ModuleFacts, fromCall: Node): number | null {
  const shape = metadataShape(facts, fromCall);
  const status = shape?.keys.get('statuscode');
  const value = status ? unwrap(status.value) : null;
  const code = value?.type === 'Literal' && typeof value.value === 'number' ? value.value : status ? null : 200;
  if (code === null || code < 200 || code > 299 || code === 204 || code === 205) return null;
  let writes = false;
  walk(enclosingFunctionNode(facts, fromCall), (node) => {
    if (writes || node.start < fromCall.end) return !writes;
    if (node.type === 'CallExpression' && calleeName(node) === 'write' && node.arguments.length > 0 && stringValue(node.arguments[0]) !== '') writes = true;
    return !writes;
  });
  return writes ? code : null;
}

function rootName(node: Node | null | undefined): string {
  return memberPath(node ?? null)?.[0] ?? '';
}

/** Inside an `if`/`?:`/`&&` whose condition looks at a body (`if (response.body)`, `hasBody && ...`). */
function underBodyGuard(facts: ModuleFacts, target: Node): boolean {
  let guarded = false;
  walk(facts.program, (node) => {
    if (guarded || node.start > target.start || node.end < target.end) return false;
    const test = node.type === 'IfStatement' || node.type === 'ConditionalExpression' ? node.test : node.type === 'LogicalExpression' ? node.left : null;
    if (test && !(test.start <= target.start && target.end <= test.end) && /body/i.test(facts.code.slice(test.start, test.end))) guarded = true;
    return true;
  });
  return guarded;
}
