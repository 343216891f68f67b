// The command language of the sim's container shell: what users type after `sh -c`. Simple
// commands joined by `;`, `&&`, `||` and newlines; words with single and double quotes,
// backslash escapes and `$NAME` / `${NAME}` / `$?` / `$1` expansions; `#` comments. Pipes,
// redirections, background jobs, subshells and command substitution are refused with a syntax
// error rather than run wrongly. Parsing is pure; expansion happens when a command runs (so
// `$?` and assignments see what ran before).

export type Segment = { text: string } | { variable: string };

/** One word before expansion. `quoted` keeps "" as an (empty) word. */
export interface Word {
  segments: Segment[];
  quoted: boolean;
}

export interface ListItem {
  /** How this command joins the one before it (';' for the first). */
  op: ';' | '&&' | '||';
  words: Word[];
}

export class ShellSyntaxError extends Error {
  override readonly name = 'ShellSyntaxError';
}

const UNSUPPORTED: Record<string, string> = {
  '|': 'pipes',
  '&': 'background jobs',
  '<': 'redirections',
  '>': 'redirections',
  '(': 'subshells',
  ')': 'subshells',
  '`': 'command substitution',
};

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Parses a script into its list of simple commands. Throws ShellSyntaxError. */
export function parseScript(src: string): ListItem[] {
  const items: ListItem[] = [];
  let words: Word[] = [];
  let word: Word | undefined;
  let pendingOp: ListItem['op'] = ';';
  let i = 0;

  const lit = (text: string): void => {
    word ??= { segments: [], quoted: false };
    const last = word.segments.at(-1);
    if (last && 'text' in last) last.text += text;
    else word.segments.push({ text });
  };
  const endWord = (): void => {
    if (word && (word.segments.length > 0 || word.quoted)) words.push(word);
    word = undefined;
  };
  const endCommand = (op: ListItem['op'], token: string): void => {
    endWord();
    if (words.length === 0) {
      // A blank line is nothing (and `a &&` may continue on the next line); an operator with no command before it is an error.
      if (token === '\n') return;
      throw new ShellSyntaxError(`syntax error: unexpected "${token}"`);
    }
    items.push({ op: pendingOp, words });
    words = [];
    pendingOp = op;
  };
  const dollar = (): void => {
    // src[i] is '$'
    const next = src[i + 1];
    if (next === undefined) {
      lit('$');
      i++;
      return;
    }
    if (next === '(') throw new ShellSyntaxError('syntax error: command substitution $(...) is not supported by the simulated shell');
    if (next === '{') {
      const close = src.indexOf('}', i + 2);
      if (close < 0) throw new ShellSyntaxError('syntax error: missing "}"');
      const name = src.slice(i + 2, close);
      if (!/^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*$])$/.test(name)) throw new ShellSyntaxError(`\${${name}}: bad substitution`);
      word ??= { segments: [], quoted: false };
      word.segments.push({ variable: name });
      i = close + 1;
      return;
    }
    if ('?#@*$'.includes(next) || /[0-9]/.test(next)) {
      word ??= { segments: [], quoted: false };
      word.segments.push({ variable: next });
      i += 2;
      return;
    }
    if (NAME_START.test(next)) {
      let j = i + 1;
      while (j < src.length && NAME_CHAR.test(src[j]!)) j++;
      word ??= { segments: [], quoted: false };
      word.segments.push({ variable: src.slice(i + 1, j) });
      i = j;
      return;
    }
    lit('$');
    i++;
  };

  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n') {
      endCommand(';', '\n');
      i++;
    } else if (c === ';') {
      endCommand(';', ';');
      i++;
    } else if (c === '&' && src[i + 1] === '&') {
      endCommand('&&', '&&');
      i += 2;
    } else if (c === '|' && src[i + 1] === '|') {
      endCommand('||', '||');
      i += 2;
    } else if (c in UNSUPPORTED) {
      throw new ShellSyntaxError(`syntax error: ${UNSUPPORTED[c]} ("${c}") are not supported by the simulated shell`);
    } else if (c === '#' && !word) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '\\') {
      if (src[i + 1] === '\n') i += 2; // line continuation
      else {
        if (i + 1 < src.length) lit(src[i + 1]!);
        i += 2;
      }
    } else if (c === "'") {
      const close = src.indexOf("'", i + 1);
      if (close < 0) throw new ShellSyntaxError('syntax error: unterminated quoted string');
      word ??= { segments: [], quoted: true };
      word.quoted = true;
      lit(src.slice(i + 1, close));
      i = close + 1;
    } else if (c === '"') {
      word ??= { segments: [], quoted: true };
      word.quoted = true;
      i++;
      for (;;) {
        if (i >= src.length) throw new ShellSyntaxError('syntax error: unterminated quoted string');
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < src.length && '$`"\\\n'.includes(src[i + 1]!)) {
          if (src[i + 1] !== '\n') lit(src[i + 1]!);
          i += 2;
        } else if (d === '$') dollar();
        else if (d === '`') throw new ShellSyntaxError('syntax error: command substitution ("`") is not supported by the simulated shell');
        else {
          lit(d);
          i++;
        }
      }
    } else if (c === '$') {
      dollar();
    } else {
      lit(c);
      i++;
    }
  }
  endWord();
  if (words.length > 0) items.push({ op: pendingOp, words });
  else if (pendingOp !== ';') throw new ShellSyntaxError('syntax error: end of file unexpected');
  return items;
}

/** A word's value with its variables looked up (unset ones expand to nothing). */
export function expandWord(word: Word, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (const s of word.segments) out += 'text' in s ? s.text : (lookup(s.variable) ?? '');
  return out;
}
