import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrorsFromZod, idSchema, listenPortSchema, privilegedPortProblem } from '../../main/base/schemas';

describe('shared schemas', () => {
  it('an id is a positive whole number a JSON number holds exactly', () => {
    for (const ok of [1, 42, Number.MAX_SAFE_INTEGER]) expect(idSchema.safeParse(ok).success, String(ok)).toBe(true);
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, '1', null]) expect(idSchema.safeParse(bad).success, String(bad)).toBe(false);
  });

  it('a listen port is 0–65535 and says what is wrong in plain words', () => {
    for (const ok of [0, 1024, 65_535]) expect(listenPortSchema.safeParse(ok).success, String(ok)).toBe(true);
    const message = (v: unknown) => listenPortSchema.safeParse(v).error?.issues[0]?.message;
    expect(message(65_536)).toBe('A port is at most 65535');
    expect(message(-1)).toBe('Use 0 (any free port) or 1024–65535');
    expect(message(80.5)).toBe('A port is a whole number');
    expect(message('8080')).toBe('Enter a port number');
  });

  it('the console refuses the privileged ports 1–1023, saying which ports it takes', () => {
    for (const ok of [0, 1024, 8080, 65_535]) expect(privilegedPortProblem(ok), String(ok)).toBeUndefined();
    for (const bad of [1, 80, 1023]) expect(privilegedPortProblem(bad), String(bad)).toBe('Use 0 (any free port) or 1024–65535');
  });

  it('maps zod issues to the first message per field path, the whole value under _', () => {
    const schema = z.object({ name: z.string().min(1, 'Enter a name').max(3, 'Too long'), events: z.object({ online: z.boolean('Choose on or off') }) });
    const parsed = schema.safeParse({ name: '', events: { online: 'yes' } });
    expect(parsed.success).toBe(false);
    expect(fieldErrorsFromZod(parsed.error!)).toEqual({ name: 'Enter a name', 'events.online': 'Choose on or off' });
    expect(fieldErrorsFromZod(z.string('Must be text').safeParse(1).error!)).toEqual({ _: 'Must be text' });
  });
});
