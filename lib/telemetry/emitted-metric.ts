/** A metric a use case asks the composition root to emit (with dimension `target`). */
export type EmittedMetric = { name: string; value: number; unit: "Count" | "Milliseconds" };
