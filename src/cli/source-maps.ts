import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/**
 * Makes stack traces from the bundle name the TypeScript file and line
 * (`at boot (src/boot/boot.ts:120:11)`) from `BUNDLE.map`, which the build writes
 * beside it. Does nothing when the map is not there (a board given pfs.cjs alone) or
 * when `bundle` is not a bundle (the sources run under tsx already map themselves).
 *
 * Why not `process.setSourceMapsEnabled(true)`: Node reads the map only of files
 * loaded after that call, and this code runs inside the very file it would map; and
 * Node parses the whole map at every start (+6.5 MB RSS measured, on every board).
 * Here the map is read the first time a stack is formatted: an internal error, a crash.
 */
export function mapBundleStacks(bundle: string | undefined): void {
  if (!bundle?.endsWith('.cjs')) return;
  const mapFile = `${bundle}.map`;
  let map: SourceMap | null | undefined; // undefined: not read yet; null: unreadable
  const lookUp = (line: number, column: number): string | undefined => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
      } catch {
        map = null;
      }
    }
    const e = map?.findEntry(line - 1, column - 1);
    if (!e || !('originalSource' in e)) return undefined;
    // Sources are relative to dist/ (`../src/boot/boot.ts`): shown from the project's root.
    return `${e.originalSource.replace(/^(\.\.\/)+/, '')}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  };
  if (!existsSync(mapFile)) return;
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = '<error>';
    }
    const lines = frames.map((f) => {
      const text = String(f);
      try {
        const file = f.getFileName();
        const line = f.getLineNumber();
        const column = f.getColumnNumber();
        if (file !== bundle || line === null || column === null) return text;
        const at = lookUp(line, column);
        return at ? text.replace(`${file}:${line}:${column}`, at) : text;
      } catch {
        return text; // a stack must come out whatever the map holds
      }
    });
    return [head, ...lines.map((l) => `    at ${l}`)].join('\n');
  };
}
