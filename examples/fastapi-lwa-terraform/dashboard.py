# Seed 002's first attempt: the same SSE app behind Mangum in a zip function. Mangum buffers, so the
# "live" dashboard receives every event at once when the response ends.
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from mangum import Mangum

app = FastAPI()


async def events():
    for n in range(10):
        yield f"data: {n}\n\n"


@app.get("/events")
async def stream_events():
    return StreamingResponse(events(), media_type="text/event-stream")


handler = Mangum(app)
