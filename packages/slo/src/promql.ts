import { parser } from '@prometheus-io/lezer-promql';

/** Where a query stops being PromQL, from Prometheus' own grammar; undefined when it parses. */
export function promqlSyntaxError(query: string): string | undefined {
  let at: number | undefined;
  parser.parse(query).iterate({
    enter: (node) => {
      if (at === undefined && node.type.isError) at = node.from;
      return at === undefined;
    },
  });
  if (at === undefined) return undefined;
  const rest = query.slice(at, at + 20);
  return `is not valid PromQL: unexpected ${rest === '' ? 'end of query' : JSON.stringify(rest)} at character ${at + 1}`;
}

/** True when a query holds a subquery (`[30d:1m]`), which makes long ranges expensive to evaluate. */
export function hasSubquery(query: string): boolean {
  let found = false;
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.name === 'SubqueryExpr') found = true;
      return !found;
    },
  });
  return found;
}

/** True when `text` is only label matchers, `a="x",b=~"y"`, with or without braces: what a plugin filter may be. */
export function isLabelMatchers(text: string): boolean {
  const matchers = text.trim().replace(/^\{|\}$/g, '');
  const query = `up{${matchers}}`;
  if (promqlSyntaxError(query) !== undefined) return false;
  const top = parser.parse(query).topNode.firstChild;
  return top?.name === 'VectorSelector' && top.from === 0 && top.to === query.length;
}
