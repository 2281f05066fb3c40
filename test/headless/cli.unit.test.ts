// The command line's parsing and the field → option naming, without a process.
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../main/cli/args';
import { flagFor, table } from '../../main/cli/output';

describe('parseCli', () => {
  it('runs the runner with no command or `run`, keeping its own flags', () => {
    expect(parseCli([])).toEqual({ kind: 'run', argv: [] });
    expect(parseCli(['--data-dir', '/d', '--no-local-api'])).toEqual({ kind: 'run', argv: ['--data-dir', '/d', '--no-local-api'] });
    expect(parseCli(['--data-dir', '/d', 'run', '--no-local-api'])).toEqual({ kind: 'run', argv: ['--data-dir', '/d', '--no-local-api'] });
  });

  it('takes options before or after the command words and the id', () => {
    const a = parseCli(['--data-dir', '/d', 'webhooks', '--json', 'edit', '--url', 'https://x', '7', '--header', 'A: 1', '--header', 'B: 2']);
    const b = parseCli(['webhooks', 'edit', '7', '--url', 'https://x', '--header', 'A: 1', '--header', 'B: 2', '--json', '--data-dir', '/d']);
    const expected = { kind: 'command', command: 'webhooks edit', args: ['7'], dataDir: '/d', json: true, options: { url: 'https://x', header: ['A: 1', 'B: 2'] } };
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);
  });

  it('refuses an option of another command, a missing or extra argument, and an unknown command (usage errors)', () => {
    expect(parseCli(['webhooks', 'list', '--yes'])).toMatchObject({ kind: 'usage-error', message: expect.stringContaining("'--yes'") });
    expect(parseCli(['webhooks', 'remove'])).toMatchObject({ kind: 'usage-error', message: 'Missing ID.' });
    expect(parseCli(['redeliver', 'a', 'b'])).toMatchObject({ kind: 'usage-error', message: 'Unexpected argument "b".' });
    expect(parseCli(['webhooks', 'frob'])).toMatchObject({ kind: 'usage-error', message: 'Unknown webhooks command "frob".' });
    expect(parseCli(['devices', '--data-dir', ' '])).toMatchObject({ kind: 'usage-error', message: 'Option --data-dir needs a folder.' });
  });

  it('answers --help for every command', () => {
    for (const argv of [['webhooks', '--help'], ['webhooks', 'add', '-h'], ['deliveries', '--help'], ['redeliver', '--help']]) {
      expect(parseCli(argv)).toMatchObject({ kind: 'help', text: expect.stringMatching(/^Usage: devicehooks-headless/) });
    }
  });
});

describe('output helpers', () => {
  it('names the option a schema field came from', () => {
    expect(flagFor('name')).toBe('--name (name)');
    expect(flagFor('scope')).toBe('--platform/--udid (scope)');
    expect(flagFor('headers.2.value')).toBe('--header 3 (value)');
    expect(flagFor('headers.0')).toBe('--header 1');
  });

  it('aligns table columns by characters, not UTF-16 units', () => {
    expect(table(['A', 'B'], [['😀x', '1'], ['yyy', '2']])).toBe('A    B\n😀x   1\nyyy  2\n');
  });
});
