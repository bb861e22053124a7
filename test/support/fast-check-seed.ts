/**
 * Property tests explore a new random seed on every local run. In CI they use a fixed seed
 * (override with FC_SEED) so a run is reproducible and a red CI is always a real regression,
 * never a new counterexample found by chance; fast-check prints the seed of any failure, and
 * `FC_SEED=<seed> npm run test:unit` replays it.
 */
import fc from "fast-check";

const seed = process.env.FC_SEED ?? (process.env.CI ? "20261122" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
