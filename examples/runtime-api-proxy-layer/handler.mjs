// Seed 003: streams one NDJSON line per batched item, ending the stream on every path.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "content-type": "application/x-ndjson" },
  });
  stream.write("");
  try {
    for (const item of event.items ?? []) stream.write(`${JSON.stringify({ id: item.id, ok: true })}\n`);
  } finally {
    stream.end();
  }
});
