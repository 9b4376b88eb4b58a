// The Record view's text fields turned into what record.start takes: an argument line split the way a
// POSIX shell splits words (quotes and backslashes, no expansion), and KEY=VALUE lines of environment.

export interface SplitResult {
  args: string[];
  /** Why the line cannot be split (an unterminated quote, a trailing backslash); args is then partial. */
  error?: string;
}

/**
 * Splits `line` into words like sh does, without any expansion: blanks separate words; '…' keeps
 * everything literally; "…" keeps everything but a backslash before " \ $ ` or a newline; a backslash
 * outside quotes keeps the next character (backslash-newline joins lines). '' and "" make empty words.
 */
export function splitArgs(line: string): SplitResult {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0)
        return { args: [...args, word + line.slice(i + 1)], error: 'a single quote is not closed' };
      word += line.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      if (!closed) return { args: [...args, word], error: 'a double quote is not closed' };
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= n) return { args: [...args, word], error: 'the line ends with a backslash' };
      if (line[i + 1] === '\n') {
        // A line continuation: no character, and not a word by itself.
        if (word === '') inWord = false;
      } else word += line[i + 1];
      i += 2;
      continue;
    }
    word += c;
    i++;
  }
  if (inWord) args.push(word);
  return { args };
}

/** A word as a shell would need it written to mean itself (for showing the parsed argv). */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface EnvResult {
  env: Record<string, string>;
  /** One sentence per line that is not KEY=VALUE (1-based line numbers). */
  errors: string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Mirrors the service's limits (protocol/schemas.ts recordRequestSchema). */
export const MAX_ENV_VARS = 256;

/** KEY=VALUE per line (the value is the rest of the line, kept as is); blank and # lines are skipped. */
export function parseEnv(text: string): EnvResult {
  const env: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (eq < 0) errors.push(`line ${i + 1}: expected KEY=VALUE, got "${name}"`);
    else if (!ENV_NAME.test(name))
      errors.push(
        `line ${i + 1}: "${name}" is not a variable name (letters, digits and _, not first a digit)`,
      );
    else env[name] = line.slice(eq + 1);
  });
  if (Object.keys(env).length > MAX_ENV_VARS) errors.push(`at most ${MAX_ENV_VARS} variables`);
  return { env, errors };
}
