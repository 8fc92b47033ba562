/**
 * A local webhook receiver for the demo: `npm run webhook:receiver` listens on 127.0.0.1 (WEBHOOK_RECEIVER_PORT,
 * default 8789), verifies each delivery's Standard Webhooks signature with WEBHOOK_SECRET (the `whsec_…` a
 * subscription's creation answered) and prints one line per event. WEBHOOK_RECEIVER_FAIL=1 answers 500 instead,
 * to watch the API retry with backoff and then dead-letter (docs/integrations.md).
 */
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.env.WEBHOOK_RECEIVER_PORT ?? 8789);
const secret = process.env.WEBHOOK_SECRET;
const failing = process.env.WEBHOOK_RECEIVER_FAIL === "1";

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  let verdict = "unverified (start with WEBHOOK_SECRET=whsec_… to verify)";
  let event: { type?: string; subject?: string; sequence?: number; data?: unknown } = {};
  try {
    event = secret ? (new Webhook(secret).verify(body, headers) as typeof event) : (JSON.parse(body) as typeof event);
    if (secret) verdict = "verified";
  } catch (error) {
    verdict = `REFUSED: ${(error as Error).message}`;
  }
  console.log(
    `[receiver] ${verdict} ${event.type ?? "?"} ${event.subject ?? ""} #${event.sequence ?? "?"} ${JSON.stringify(event.data ?? {})}`,
  );
  res.writeHead(failing ? 500 : verdict.startsWith("REFUSED") ? 400 : 204);
  res.end();
});

server.listen(port, "127.0.0.1", () => {
  console.log(`[receiver] listening on http://127.0.0.1:${port}/hooks${failing ? " (answering 500)" : ""}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
