import express from "express";
import cors from "cors";
import { HfInference } from "@huggingface/inference";

const hf = new HfInference(process.env.HF_TOKEN);

export const app = express();
app.use(cors());
app.get("/health", (_req, res) => res.json({ status: "ok" }));

// The chat route streams the model's answer word by word as SSE (seed 001: "word-by-word AI replies").
app.handleChat = async (req, res) => {
  for await (const chunk of hf.chatCompletionStream({ model: process.env.HF_MODEL, messages: req.body?.messages ?? [] })) {
    res.write(`data: ${JSON.stringify(chunk.choices[0]?.delta?.content ?? "")}\n\n`);
  }
  res.end();
};
