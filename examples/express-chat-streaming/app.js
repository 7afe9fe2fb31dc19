import express from "express";
import cors from "cors";

export const app = express();
app.use(cors());
app.get("/health", (_req, res) => res.json({ status: "ok" }));
