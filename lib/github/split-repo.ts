/** `owner/name` → its parts; a ConfigError for anything else (targets are validated, but jobs cross a queue). */
import { ConfigError } from "../errors.ts";

export function splitRepo(repo: string): { owner: string; repo: string } {
  const [owner, name, extra] = repo.split("/");
  if (!owner || !name || extra !== undefined)
    throw new ConfigError("repo", `must be \`owner/name\`, got "${repo}"`);
  return { owner, repo: name };
}
