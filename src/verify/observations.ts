/**
 * What `stream-doctor verify` says when the real runtime shows the bug a static rule predicts from code or
 * configuration: the rule's id, verify's wording (what the runtime did, under which runtime). The protocol rules
 * verify owns keep their messages in src/checks/verify/.
 *
 * Common data: `runtime` names what ran ("the 3.x runtime (nodejs18.x/20.x/22.x)", "the custom runtime
 * (--bootstrap)"); `bytes` is a count of body bytes with its noun ("1 body byte", "12 body bytes"); `timeout`
 * is --timeout in seconds.
 */
import { defineObservations } from '../checks/observations.js';

export const verifyObservations = defineObservations({
  'stream-never-ended': {
    neverEndedAfterBody:
      'Under {{runtime}} the response stream was never ended (after {{bytes}}): the invocation was still running at --timeout {{timeout}} s and runs to the function timeout on Lambda.',
    neverEndedSilent:
      'Under {{runtime}} the response stream was never ended (without sending a byte): the invocation was still running at --timeout {{timeout}} s and runs to the function timeout on Lambda.',
  },
  'prelude-not-flushed': {
    endedWithoutPrelude:
      'Under {{runtime}} the response was ended with the integration content type but no prelude: the status, headers and cookies never left (the client gets an empty 200).',
  },
  'end-data-bypasses-prelude': {
    bodyWithoutPrelude:
      'Under {{runtime}} body bytes arrived under the integration content type without a prelude: a malformed response (reported as 502), status and headers lost.',
  },
  'metadata-after-write': {
    /** The prelude went out first: the client keeps its `status`. */
    tooLateAfterPrelude:
      'Under {{runtime}} HttpResponseStream.from() (or setContentType()) ran after {{bytes}} had been sent: the runtime threw {{errorType}} "Cannot set content-type, too late.": the client keeps the first status ({{status}}) and headers, cut off by the error.',
    tooLateWithoutPrelude:
      'Under {{runtime}} HttpResponseStream.from() (or setContentType()) ran after {{bytes}} had been sent: the runtime threw {{errorType}} "Cannot set content-type, too late.": the client gets a raw 200 body without the intended status and headers, cut off by the error.',
    tooLateNoResponse:
      'Under {{runtime}} HttpResponseStream.from() (or setContentType()) ran: the runtime threw {{errorType}} "Cannot set content-type, too late.": the client gets a raw 200 body without the intended status and headers, cut off by the error.',
  },
  // `exit`: "exit code 1", "signal SIGKILL"; `cause`: " (TypeError: …)" when the function error is known, else empty.
  'write-after-end': {
    exitedAfterEnd: 'Under {{runtime}} the runtime process exited ({{exit}}) after the stream was ended{{cause}}. The next invocation is a cold start.',
    exitedBeforeEnd: 'Under {{runtime}} the runtime process exited ({{exit}}) before the stream was ended{{cause}}. The next invocation is a cold start.',
    exitedWithoutResponse:
      'Under {{runtime}} the runtime process exited ({{exit}}) before the stream was ended{{cause}}. The response POST never reached the Runtime API: the client gets no response at all. The next invocation is a cold start.',
  },
  'runtime-exits': {
    exitedAfterEnd: 'Under {{runtime}} the runtime process exited ({{exit}}) after the stream was ended{{cause}}. The next invocation is a cold start.',
    exitedBeforeEnd: 'Under {{runtime}} the runtime process exited ({{exit}}) before the stream was ended{{cause}}. The next invocation is a cold start.',
    exitedWithoutResponse:
      'Under {{runtime}} the runtime process exited ({{exit}}) before the stream was ended{{cause}}. The response POST never reached the Runtime API: the client gets no response at all. The next invocation is a cold start.',
  },
  'end-callback-dropped': {
    callbackNeverFired:
      'Under the 3.x runtime the response was complete but the invocation kept running until --timeout {{timeout}} s: the callback passed to end(data, cb) never fires on 3.x, so the code awaiting it (and the handles it would close) never runs.',
  },
  'event-loop-keeps-invocation-alive': {
    openHandlesKeepRunning:
      'Under the 3.x runtime (nodejs18.x/20.x/22.x) the response was complete but the runtime did not ask for the next event within --timeout {{timeout}} s: open handles keep the event loop busy and callbackWaitsForEmptyEventLoop is on, so on Lambda the invocation runs to the function timeout.',
  },
  'callback-handler-on-nodejs24': {
    /** `error`: the init error ("Runtime.CallbackHandlerDeprecated: …", shortened); `events`: as for handler-init-failed. */
    refusedAtInit:
      'Under {{runtime}} the runtime refused the callback-style handler at init ({{error}}): {{events}} reached the handler. On nodejs24.x every invocation fails with this init error.',
  },
  'exec-wrapper-proxies-runtime-api': {
    /** `changes`: what the proxy changed, one or more sentences (the protocol problems only it has, the timing, the trailers). */
    proxyNotStreamingAware:
      'Behind the exec wrapper the Runtime API proxy is not streaming-aware (compared with the same handler and event without the wrapper). {{changes}}',
  },
});
