/** pullbridge's version (from package.json), for the ApplySet tooling annotation. Composition roots pass it to syncTarget. */
import packageJson from "../../package.json" with { type: "json" };

export const PULLBRIDGE_VERSION: string = packageJson.version;
