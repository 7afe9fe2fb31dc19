# Seed 002: FastAPI streaming server-sent events, run by the Lambda Web Adapter in a container image.
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


async def tokens():
    for word in ["streaming", "through", "the", "web", "adapter"]:
        yield f"data: {word}\n\n"


@app.get("/chat")
async def chat():
    return StreamingResponse(tokens(), media_type="text/event-stream")
