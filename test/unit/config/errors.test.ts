import { describe, expect, it } from 'vitest';
import { oneLine } from '../../../src/config/errors.js';

describe('oneLine (what an error quotes is shown, never obeyed)', () => {
  it('writes line breaks and terminal control characters as escapes', () => {
    expect(oneLine('bad name "a\nb"')).toBe('bad name "a\\nb"');
    expect(oneLine('x\r\x1b[31mred\x07\x00\x7f\x9b')).toBe('x\\r\\x1b[31mred\\x07\\x00\\x7f\\x9b');
  });
  it('keeps tabs and every printable character, ASCII or not', () => {
    const text = 'Procfile:3: web\tsees ünïcødé, 日本, emoji 🚀 and "quotes"';
    expect(oneLine(text)).toBe(text);
  });
});
