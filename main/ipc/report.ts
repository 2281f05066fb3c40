// devices:report and devices:exportReport — the utilization report (Devices › Report) and its CSV file.
import { writeFile } from 'node:fs/promises';
import { dialog } from 'electron';
import type { BrowserWindow } from 'electron';
import { utilizationCsv } from '../devices/timeline';
import type { UtilizationRow } from '../devices/timeline';
import { fail, ok } from './register';
import type { Handlers } from './register';
import { messageOf } from './results';

interface ReportHandlerDeps {
  report: (from: number, to: number) => Promise<UtilizationRow[]>;
  now: () => number;
  window: () => BrowserWindow | null;
}

export function reportHandlers(deps: ReportHandlerDeps) {
  const clip = (r: { from: number; to: number }) => ({ from: r.from, to: Math.min(r.to, deps.now()) });
  return {
    'devices:report': {
      handle: async (r) => {
        const { from, to } = clip(r);
        return ok({ from, to, rows: await deps.report(from, to) });
      },
    },
    'devices:exportReport': {
      handle: async (r) => {
        const { from, to } = clip(r);
        const rows = await deps.report(from, to);
        const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        const win = deps.window();
        const options = { title: 'Export utilization', defaultPath: `devicehooks-utilization-${day(from)}-${day(to)}.csv`, filters: [{ name: 'CSV', extensions: ['csv'] }] };
        const choice = await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
        if (choice.canceled || !choice.filePath) return ok({ status: 'cancelled' as const });
        try {
          await writeFile(choice.filePath, utilizationCsv(rows), 'utf8');
        } catch (error) {
          return fail({ code: 'storage', message: `Could not write ${choice.filePath}: ${messageOf(error)}` });
        }
        return ok({ status: 'saved' as const, file: choice.filePath, count: rows.length });
      },
    },
  } satisfies Partial<Handlers>;
}
