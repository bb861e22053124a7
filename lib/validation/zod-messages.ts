/**
 * Loads zod's English messages for `zod/mini`, which ships without a locale. Modules on the
 * webhook's path (job codec, payload routing) import `zod/mini` — its checks are separate
 * functions, so a bundle carries only those it calls (~25 KB instead of ~100 KB for zod's
 * chainable API) — and import this module first so their errors read as zod's always did.
 */

import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());
