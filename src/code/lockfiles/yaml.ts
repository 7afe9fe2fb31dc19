/**
 * YAML lockfiles (pnpm-lock.yaml, Yarn 2+ yarn.lock) read with js-yaml's event parser, the parser `scan`
 * already loads for CloudFormation: one pass gives the values and the offset of every mapping key, from which
 * the line of each package entry comes. Every scalar is kept as its string (the failsafe schema): versions
 * such as `1.10` must not become numbers.
 */
import { EVENT_ID, getScalarValue, parseEvents, type Event } from 'js-yaml';
import type { JsonObject, JsonValue } from './json.js';

export interface LocatedYaml {
  value: JsonValue;
  lineOf(object: JsonObject, key: string): number | undefined;
}

interface Open {
  node: JsonObject | JsonValue[];
  /** A mapping's key waiting for its value, with the key's offset. */
  key: string | null;
  keyOffset: number;
}

/** Parses a one-document YAML text; throws js-yaml's YAMLException on a syntax error. */
export function parseLocatedYaml(text: string): LocatedYaml {
  const events: Event[] = parseEvents(text, {});
  const lines = new WeakMap<JsonObject, Map<string, number>>();
  const offsets = new WeakMap<JsonObject, Map<string, number>>();
  const open: Open[] = [];
  let root: JsonValue = null;
  const add = (value: JsonValue, offset: number) => {
    const parent = open.at(-1);
    if (!parent) {
      root = value;
      return;
    }
    if (Array.isArray(parent.node)) {
      parent.node.push(value);
      return;
    }
    if (parent.key === null) {
      parent.key = typeof value === 'string' ? value : JSON.stringify(value);
      parent.keyOffset = offset;
      return;
    }
    const map = parent.node;
    if (!(parent.key in map)) {
      let keyOffsets = offsets.get(map);
      if (!keyOffsets) offsets.set(map, (keyOffsets = new Map()));
      keyOffsets.set(parent.key, parent.keyOffset);
    }
    map[parent.key] = value;
    parent.key = null;
  };
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const node: JsonObject | JsonValue[] = event.type === EVENT_ID.MAPPING ? {} : [];
        add(node, event.start);
        open.push({ node, key: null, keyOffset: -1 });
        break;
      }
      case EVENT_ID.SCALAR:
        add(getScalarValue(text, event), event.valueStart);
        break;
      case EVENT_ID.ALIAS:
        add(null, -1);
        break;
      case EVENT_ID.POP:
        // Closes a collection, or the document (nothing open then).
        open.pop();
        break;
      default:
        break;
    }
  }
  const starts = lineStarts(text);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return {
    value: root,
    lineOf(object, key) {
      let map = lines.get(object);
      if (!map) {
        const keyOffsets = offsets.get(object);
        if (!keyOffsets) return undefined;
        map = new Map([...keyOffsets].map(([k, offset]) => [k, offset < 0 ? 1 : lineAt(offset)]));
        lines.set(object, map);
      }
      return map.get(key);
    },
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
