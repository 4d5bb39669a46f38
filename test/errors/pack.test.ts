// pfs pack's failure that is not the user's input: the output cannot be written
// (PFS_ERR_PACK_IO, exit 1; refused input is a usage error, tested in test/loads).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../../src/errors';
import { generateKeys } from '../../src/loads/keys';
import { tmpDir } from '../helpers/index';
import { pfs } from './cli-capture';

test('PFS_ERR_PACK_IO: packing into a folder that cannot be made (under a regular file) exits 1 naming it', async () => {
  const dir = await tmpDir('pfs-errors-pack-');
  try {
    const k = await generateKeys(join(dir.path, 'site'));
    const component = join(dir.path, 'apps41.9-4-2-2.sbn');
    await writeFile(component, Buffer.alloc(3000, 7));
    const blocker = join(dir.path, 'not-a-folder');
    await writeFile(blocker, 'x');
    const out = join(blocker, 'tftp');
    const r = await pfs(['pack', '--load', 'SCCP41.9-4-2SR2-2S', '--model', 'CP-7961G', '--key', k.privatePath, component, '-o', out]);
    assert.is(r.status, ERROR_CODES.PFS_ERR_PACK_IO.exit, r.stderr);
    assert.is(r.status, 1);
    assert.match(r.stderr, `packing into ${out}`);
    assert.match(r.stderr, 'code=PFS_ERR_PACK_IO');
  } finally {
    await dir.cleanup();
  }
});

test.run();
