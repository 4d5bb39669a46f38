// Writes docs/ERRORS.md from the registry in src/error-codes.ts (`npm run docs:errors`).
// The doc is never edited by hand: test/errors/registry.test.ts renders it again and
// fails when the file differs, so a code added to the registry reaches the doc.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CODES } from '../src/error-codes';

/** Where the doc lives, from the repository root. */
export const ERRORS_DOC = resolve(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'ERRORS.md');

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** docs/ERRORS.md as the registry says it should read. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, i]) => `| \`${code}\` | ${i.exit} | ${cell(i.meaning)} | ${cell(i.action)} |`);
  return `# Error codes

<!-- Generated from src/error-codes.ts by \`npm run docs:errors\`: edit the registry, not this file. -->

Every error pfs raises on purpose carries a stable code, \`PFS_ERR_*\`, and a message
that names the device, file or peer concerned. The console log shows the code after
the message (\`ERR 11:56:42.323259 PFS: cannot write /srv/x: ENOENT code=PFS_ERR_OUTPUT\`;
with \`--log-format json\`, a \`"code"\` field), so scripts match on the code, never on
the wording. In code, every such error is a \`PfsError\` (src/errors.ts) whose \`code\`
is one of the keys of the registry below.

## Exit codes

| exit | when |
|---|---|
| 0 | the command did what it was asked; \`pfs boot\`: the board already runs the configured load |
| 1 | a failure: every code below marked 1 (\`pfs boot\`: the upgrade failed, the current load is kept) |
| 2 | bad usage (codes marked 2): the message says what is wrong; for a command's options, its usage follows |
| 3 | \`pfs boot\`: no valid phone model selected, the board joins no hierarchy (\`PFS_ERR_MODEL\`) |
| 10 | \`pfs boot\`: a new load is committed, reboot into it |
| 70 | an internal error (a bug): the stack is printed; please report it |
| 130, 143 | \`pfs lab --netns\` interrupted (SIGINT, SIGTERM) after removing its namespaces |

\`pfs pack\` reports input it refuses, including a key it cannot use, as bad usage (2).

## Codes

| code | exit | meaning | what to do |
|---|---|---|---|
${rows.join('\n')}
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  process.stdout.write(`wrote ${ERRORS_DOC} (${Object.keys(ERROR_CODES).length} codes)\n`);
}
