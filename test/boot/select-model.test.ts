import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModels } from '../../src/profiles';
import { cmdlineModel, ModelSelectionError, parseBootConfig, selectModel } from '../../src/boot/select-model';

const models = await loadModels('boards');
const VALID = 'CP-7906G, CP-7911G, CP-7931G, CP-7940G, CP-7941G, CP-7941G-GE, CP-7942G, CP-7960G, CP-7961G, CP-7961G-GE, CP-7962G, CP-7965G, CP-7970G, CP-7971G-GE, CP-7975G';
const CMDLINE = 'coherent_pool=1M 8250.nr_uarts=1 console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 pfs.model=CP-7941G fsck.repair=yes rootwait quiet';
const PFS_TXT = '# pfs.txt on the boot partition\nmodel = CP-7911G   # the phone this board stands in for\ntftp=192.0.2.10\n';

const pick = (from: Parameters<typeof selectModel>[0]) => {
  const r = selectModel(from, models);
  return `${r.profile.model} from ${r.source}`;
};

function error(from: Parameters<typeof selectModel>[0]): ModelSelectionError {
  try {
    selectModel(from, models);
  } catch (e) {
    assert.ok(e instanceof ModelSelectionError);
    assert.is(e.code, 'PFS_ERR_MODEL');
    return e;
  }
  throw new Error('no error');
}

test('precedence: --model > pfs.model= on the kernel command line > model= in pfs.txt', () => {
  assert.is(pick({ cli: 'CP-7961G', cmdline: CMDLINE, bootConfig: PFS_TXT }), 'CP-7961G from --model');
  assert.is(pick({ cmdline: CMDLINE, bootConfig: PFS_TXT }), 'CP-7941G from kernel command line');
  assert.is(pick({ cmdline: 'console=serial0,115200 quiet', bootConfig: PFS_TXT }), 'CP-7911G from pfs.txt');
  assert.is(pick({ bootConfig: PFS_TXT }), 'CP-7911G from pfs.txt');
});

test('an empty value counts as not given', () => {
  assert.is(pick({ cli: '', cmdline: 'pfs.model= quiet', bootConfig: 'model=CP-7970G' }), 'CP-7970G from pfs.txt');
  assert.is(pick({ cli: '', cmdline: CMDLINE, bootConfig: 'model=' }), 'CP-7941G from kernel command line');
});

test('names are forgiving of case, of the CP- prefix and of CUCM spellings, never of a variant', () => {
  assert.is(pick({ cli: 'cp-7961g' }), 'CP-7961G from --model');
  assert.is(pick({ cli: '7961' }), 'CP-7961G from --model');
  assert.is(pick({ cli: '7961G' }), 'CP-7961G from --model');
  assert.is(pick({ cmdline: 'pfs.model="Cisco 7971"' }), 'CP-7971G-GE from kernel command line');
  assert.is(pick({ bootConfig: 'model="IP Phone 7941"' }), 'CP-7941G from pfs.txt');
  assert.is(pick({ cli: 'CP-7961G-GE' }), 'CP-7961G-GE from --model', 'the gigabit 7961 is a model of its own');
  assert.is(pick({ cli: '7961GE' }), 'CP-7961G-GE from --model');
  assert.is(pick({ cli: 'Cisco 7962' }), 'CP-7962G from --model');
  assert.match(error({ cli: 'CP-7962G-GE' }).message, /^unknown model "CP-7962G-GE"/);
});

test('nothing selected: one message saying where to set it and naming the valid models', () => {
  assert.is(
    error({ cmdline: 'quiet', bootConfig: '# empty\n' }).message,
    `no phone model selected: set pfs.model= on the kernel command line, model= in pfs.txt, or --model; valid models: ${VALID}`,
  );
  assert.match(error({}).message, /^no phone model selected/);
});

test('an unknown model names where it came from and the valid models; a lower source does not stand in', () => {
  assert.is(error({ cli: 'CP-9999', bootConfig: 'model=CP-7961G' }).message, `unknown model "CP-9999" (from --model): valid models: ${VALID}`);
  assert.is(error({ cmdline: 'pfs.model=7999' }).message, `unknown model "7999" (from kernel command line): valid models: ${VALID}`);
  assert.is(error({ bootConfig: 'model=phone' }).message, `unknown model "phone" (from pfs.txt): valid models: ${VALID}`);
});

test('pfs.txt: key=value lines, # comments, case-insensitive keys, the last line wins', () => {
  const c = parseBootConfig('# boot config\r\nMODEL=CP-7941G\nnot a setting\n  tftp = 192.0.2.10:69  # origin\nmodel=CP-7961G\nmac="00:1b:d5:08:00:27"\n');
  assert.equal([...c], [['model', 'CP-7961G'], ['tftp', '192.0.2.10:69'], ['mac', '00:1b:d5:08:00:27']]);
});

test('kernel command line: the last pfs.model= word wins; other words are left alone', () => {
  assert.is(cmdlineModel('pfs.model=CP-7941G quiet pfs.model=CP-7961G'), 'CP-7961G');
  assert.is(cmdlineModel('xpfs.model=CP-7941G pfs.models=x'), undefined);
  assert.is(cmdlineModel(''), undefined);
  assert.is(cmdlineModel('ro pfs.model="IP Phone 7961" quiet'), 'IP Phone 7961');
});

test.run();
