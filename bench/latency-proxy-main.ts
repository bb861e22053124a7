/**
 * The latency proxy as its own process, so its CPU is not taken from the pullbridge process it
 * sits in front of (and can be measured apart). Prints `{"port":N}` once listening; stops on
 * SIGTERM or when stdin closes (the benchmark that started it went away).
 * Usage: node bench/latency-proxy-main.ts <upstream host:port> <rtt ms> [bytes per second]
 */
import { startLatencyProxy } from "./latency-proxy.ts";

const [upstream = "", rtt = "0", bandwidth] = process.argv.slice(2);
const [host = "127.0.0.1", port = "0"] = upstream.split(":");
const proxy = await startLatencyProxy({
  upstream: { host, port: Number(port) },
  rttMs: Number(rtt),
  bytesPerSecond: bandwidth ? Number(bandwidth) : undefined,
});
console.log(JSON.stringify({ port: proxy.port }));
const stop = async () => {
  await proxy.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
