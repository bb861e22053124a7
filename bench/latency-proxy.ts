/**
 * A loopback TCP proxy that puts network distance between a client and the API server: every
 * chunk is delivered half the round-trip time later, in order, in each direction, and optionally
 * no faster than a bandwidth cap (one shared link per direction, as a real network path would
 * be). Bytes pass through untouched, so TLS is end to end and the server's certificate (issued
 * for 127.0.0.1) still verifies. Used by bench/sync to make kubectl and pullbridge pay the same
 * distance; never by tests.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { performance } from "node:perf_hooks";

export type LatencyProxyOptions = {
  /** Where the API server listens. */
  upstream: { host: string; port: number };
  /** Round-trip time to add, in milliseconds (half each way). */
  rttMs: number;
  /** Optional cap per direction, in bytes per second (undefined: unlimited). */
  bytesPerSecond?: number | undefined;
};

export type LatencyProxy = {
  /** Port on 127.0.0.1 that clients connect to instead of the upstream. */
  port: number;
  /** Connections accepted so far (each TLS session is one). */
  connections: () => number;
  /** Bytes carried client→server and server→client. */
  bytes: () => { up: number; down: number };
  close: () => Promise<void>;
};

/** How early a chunk may leave, to cancel the lateness of millisecond timers. */
const EARLY_MS = 0.5;

type Item = { at: number; chunk: Buffer | undefined };

/** One direction of one connection: a FIFO of chunks with due times, drained by a single timer. */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;
  private readonly destination: Socket;
  constructor(destination: Socket) {
    this.destination = destination;
  }

  /** Queues a chunk (or end of stream, when `chunk` is undefined) for delivery at `due` ms (monotonic). */
  push(due: number, chunk: Buffer | undefined): void {
    // Never overtake an earlier chunk, whatever the timers do.
    const at = Math.max(due, this.lastDue);
    this.lastDue = at;
    this.queue.push({ at, chunk });
    if (this.timer) return;
    // No delay to add (RTT 0) and nothing queued before: pass it straight through.
    if (this.queue.length === 1 && at <= performance.now()) this.drain();
    else this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) return;
    // Timers fire up to ~1 ms late (whole-millisecond clock): aim half a millisecond early and
    // deliver what is due within EARLY_MS, so the added delay is right on average.
    this.timer = setTimeout(
      () => this.drain(),
      Math.max(0, Math.floor(head.at - performance.now() - EARLY_MS)),
    );
  }

  private drain(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && (this.queue[0] as Item).at <= now + EARLY_MS) {
      const { chunk } = this.queue.shift() as Item;
      if (this.destination.destroyed) {
        this.queue.length = 0;
        return;
      }
      if (chunk === undefined) this.destination.end();
      else this.destination.write(chunk);
    }
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

/** A shared link for one direction: serialises bytes at the cap, so concurrent connections share it. */
class Link {
  private busyUntil = 0;
  private readonly bytesPerSecond: number | undefined;
  constructor(bytesPerSecond: number | undefined) {
    this.bytesPerSecond = bytesPerSecond;
  }
  /** When the last byte of `size` bytes offered now has left the sender. */
  transmit(now: number, size: number): number {
    if (!this.bytesPerSecond) return now;
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + (size / this.bytesPerSecond) * 1000;
    return this.busyUntil;
  }
}

/** Starts the proxy on an ephemeral port of 127.0.0.1. */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const oneWay = options.rttMs / 2;
  const upLink = new Link(options.bytesPerSecond);
  const downLink = new Link(options.bytesPerSecond);
  const sockets = new Set<Socket>();
  let connections = 0;
  const bytes = { up: 0, down: 0 };

  const server: Server = createServer({ noDelay: true }, (client) => {
    connections += 1;
    const upstream = tcpConnect({ host: options.upstream.host, port: options.upstream.port, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const toServer = new DelayedPipe(upstream);
    const toClient = new DelayedPipe(client);
    const forward = (from: Socket, pipe: DelayedPipe, link: Link, direction: "up" | "down") => {
      from.on("data", (chunk: Buffer) => {
        bytes[direction] += chunk.length;
        pipe.push(link.transmit(performance.now(), chunk.length) + oneWay, chunk);
      });
      from.on("end", () => pipe.push(performance.now() + oneWay, undefined));
    };
    forward(client, toServer, upLink, "up");
    forward(upstream, toClient, downLink, "down");
    const teardown = () => {
      toServer.stop();
      toClient.stop();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", teardown);
    upstream.on("error", teardown);
    client.on("close", () => setTimeout(teardown, oneWay + 5));
    upstream.on("close", () => setTimeout(teardown, oneWay + 5));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("latency proxy has no TCP address");
  return {
    port: address.port,
    connections: () => connections,
    bytes: () => ({ ...bytes }),
    close: async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
