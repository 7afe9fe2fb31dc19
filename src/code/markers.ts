/**
 * The pre-filter's markers, in a module of their own: a scan starts its walk with them before it loads the
 * analysis (src/commands/scan.ts), so nothing here may import the rules or the parser.
 */

/**
 * Every code rule needs a streaming context (a streamified handler or response metadata), so the walker
 * (and the ESLint plugin) keeps only files with a streaming marker; each rule's own triggers then select within them.
 * `responseStream` (the name AWS documents) also finds handlers written for streaming that nothing
 * streamifies; it occurs in 2 files of this project's own 240-package node_modules. Generic
 * triggers such as "drain" or ".pipe(" alone matched ~600 dependency files (docs/performance.md).
 */
export const STREAMING_MARKERS = ['streamifyResponse', 'HttpResponseStream', 'http-integration-response', 'awslambda', 'responseStream'];

/**
 * The markers that make an installed dependency's file worth parsing: `responseStream` alone does not. In
 * dependencies it is mostly a variable name in code that has nothing to do with Lambda (Next.js's four 1.8 MB
 * compiled dev runtimes, the CloudWatch Logs client's `StartLiveTailResponseStream`): parsing those took
 * 3.5 of the 4.4 s of a scan of the benchmark tree, for no finding. A library's streaming handler calls
 * `streamifyResponse` or `HttpResponseStream.from` (or names `awslambda`) in the same file, and the
 * streamified-elsewhere rule that `responseStream` serves is about the project's own handlers.
 */
export const DEPENDENCY_MARKERS = STREAMING_MARKERS.filter((marker) => marker !== 'responseStream');
