// A new load boots on trial (src/hal/flash: boot() counts each start). It is marked
// good only once the runtime has shown it can do its job: it reached the origin, i.e.
// a device configuration was fetched and read. A runtime that crashes, hangs before
// the network or cannot parse a cnf.xml never confirms, and the board file's number of
// boots (flash.trials) rolls it back to the other slot.
import type { Logger } from '../log/logger';
import type { Flash } from '../hal/flash/flash';
import type { UpgradeConfig, UpgradeFlash } from './upgrade';

export interface TrialOptions {
  flash: Flash;
  log: Logger;
  /** The running load is on trial (this boot's selection). */
  trial: boolean;
  /** The running load (null: a blank board). */
  load: string | null;
  /** The load the flash gave up on before (FlashStatus.rejected): never installed again. */
  rejected: string | null;
  /** Told once the trial is confirmed on the medium (the launcher is waiting for it). */
  onConfirmed?: () => void;
}

/**
 * The boot's trial, confirmed by the first configuration read. Wrap the upgrade's
 * `parseConfig` and `flash` with it: the flash calls wait for the confirmation's write,
 * so the slot table changes in order. `settled()` resolves once it is written (or failed,
 * which is logged: the next boot counts as a trial again).
 */
export class Trial {
  private pending: Promise<void> = Promise.resolve();
  private confirmed = false;
  private refusedSaid = false;

  constructor(private readonly o: TrialOptions) {}

  /** `parse` that also confirms the trial, and keeps a rolled-back load from being installed again. */
  parseConfig<C extends UpgradeConfig>(parse: (xml: string, source: string) => C): (xml: string, source: string) => C {
    return (xml, source) => {
      const cfg = parse(xml, source);
      this.confirm(source);
      const { rejected, load } = this.o;
      if (rejected !== null && cfg.loadName === rejected && load !== null && load !== rejected) {
        if (!this.refusedSaid) {
          this.refusedSaid = true;
          this.o.log.wrn(`load ${rejected} failed to come up on this board and was rolled back: staying on ${load} (publish a fixed load under a new name)`);
        }
        return { ...cfg, loadName: load };
      }
      return cfg;
    };
  }

  private confirm(source: string): void {
    if (!this.o.trial || this.confirmed) return;
    this.confirmed = true;
    this.pending = this.o.flash.markGood().then(
      () => {
        this.o.log.not(`load ${this.o.load} came up (reached ${source}): marked good`);
        this.o.onConfirmed?.();
      },
      (e: Error) => this.o.log.err(`load ${this.o.load} came up, but marking it good failed: ${e.message}`, { code: (e as { code?: string }).code }),
    );
  }

  /** The upgrade's flash, each call after the confirmation's write. */
  gate(f: UpgradeFlash): UpgradeFlash {
    const after = async <T>(fn: () => Promise<T>): Promise<T> => {
      await this.pending;
      return fn();
    };
    return {
      activeLoad: () => after(() => f.activeLoad()),
      beginInstall: (load) => after(() => f.beginInstall(load)),
      openComponent: (file) => after(() => f.openComponent(file)),
      commit: (load, files) => after(() => f.commit(load, files)),
      ...(f.planCommit ? { planCommit: (load: string, files: { name: string; size: number }[]) => after(() => f.planCommit!(load, files)) } : {}),
    };
  }

  /** Resolves once the confirmation (if any) is written. */
  settled(): Promise<void> {
    return this.pending;
  }
}
