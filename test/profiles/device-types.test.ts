// Each model's CUCM device type number, the N of XMLDefault.cnf.xml's
// <loadInformationN>: a wrong one gives a board another model's load, or none.
// Checked against the device-model table of the FreePBX SCCP Manager module
// (github.com/Cynjut/SCCP_Manager, install.php's sccpdevmodel rows and its
// XMLDefault.cnf.xml), which lists them by CUCM's model name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModels } from '../../src/profiles';
import { parseDeviceConfig } from '../../src/boot/device-config';

/** CUCM model name → device type, as that table has them (the phones pfs has profiles for, and the 7945 beside them). */
const CUCM_DEVICE_TYPES: Record<string, number> = {
  '7906': 369, '7911': 307, '7931': 348, '7940': 8, '7941': 115, '7941G-GE': 309, '7942': 434, '7945': 435,
  '7960': 7, '7961': 30018, '7961G-GE': 308, '7962': 404, '7965': 436, '7970': 30006, '7971': 119, '7975': 437,
};

/** The table's name for a profile: CP-7961G → 7961, CP-7941G-GE → 7941G-GE, CP-7971G-GE → 7971 (CUCM's "Cisco 7971"). */
const cucmName = (model: string) => (model === 'CP-7971G-GE' ? '7971' : model.replace(/^CP-/, '').replace(/G$/, ''));

test('every model takes the load of its own device type from an XMLDefault that lists every phone by number only', async () => {
  const models = await loadModels('boards');
  // One entry per device type, no model attribute: only the number can match.
  const xml = `<Default>${Object.values(CUCM_DEVICE_TYPES).map((n) => `<loadInformation${n}>LOAD-${n}</loadInformation${n}>`).join('')}</Default>`;
  assert.ok(models.size >= 15, `${models.size} models`);
  for (const [name, profile] of models) {
    const expected = CUCM_DEVICE_TYPES[cucmName(name)];
    assert.ok(expected !== undefined, `${name}: not in the reference table`);
    assert.is(profile.deviceType, expected, `${name}: device type`);
    assert.is(parseDeviceConfig(xml, profile, 'XMLDefault.cnf.xml').loadName, `LOAD-${expected}`, `${name}: load`);
  }
});

test.run();
