// Connecting to a remote `xpuscope serve` (renderer/servers.ts): what the user may type, the token,
// and the recent servers kept in the app's storage.
import { describe, expect, it } from 'vitest';
import {
  ServerAddressError,
  forgetServer,
  loadRecent,
  parseServer,
  rememberServer,
  serverPageUrl,
} from '../../renderer/servers.js';

function memory(): {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  data: Map<string, string>;
} {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('parseServer', () => {
  it('takes the URL serve printed, a bare host:port, or a ws URL; the token from the URL or apart', () => {
    const tok = 'AbC_def-0123456789abcdef';
    expect(parseServer(`http://gpu-1:9464/?token=${tok}`)).toEqual({
      base: 'http://gpu-1:9464',
      wsUrl: `ws://gpu-1:9464/ws?token=${tok}`,
      label: 'gpu-1:9464',
      token: tok,
    });
    expect(parseServer('gpu-1:9464', tok).wsUrl).toBe(`ws://gpu-1:9464/ws?token=${tok}`);
    expect(parseServer(`ws://10.0.0.7:8080/ws?token=${tok}`).base).toBe('http://10.0.0.7:8080');
    expect(parseServer('https://gpu.example/').wsUrl).toBe('wss://gpu.example/ws');
    expect(parseServer('[::1]:9000').label).toBe('[::1]:9000');
    // a token given apart wins over the URL's
    expect(parseServer(`http://h:1/?token=${tok}`, 'other-token-1234').token).toBe('other-token-1234');
    expect(serverPageUrl(parseServer('h:1', tok))).toBe(`http://h:1/?token=${tok}`);
  });

  it('refuses what is not a server address, saying what to type', () => {
    expect(() => parseServer('')).toThrow(ServerAddressError);
    expect(() => parseServer('ftp://h/')).toThrow(/not an xpuscope server address/);
    expect(() => parseServer('http://')).toThrow(ServerAddressError);
    expect(() => parseServer('h:1', 'bad token!')).toThrow(/part after \?token=/);
  });
});

describe('recent servers', () => {
  it('newest first, each once, at most 8, forgettable; malformed storage reads as none', () => {
    const store = memory();
    expect(loadRecent(store)).toEqual([]);
    for (let i = 0; i < 10; i++) rememberServer(store, parseServer(`h${i}:1`, `token-${i}-abcdefgh`));
    rememberServer(store, parseServer('h3:1', 'token-3-abcdefgh'));
    const list = loadRecent(store);
    expect(list.map((s) => s.label)).toEqual([
      'h3:1',
      'h9:1',
      'h8:1',
      'h7:1',
      'h6:1',
      'h5:1',
      'h4:1',
      'h2:1',
    ]);
    expect(list[0]!.token).toBe('token-3-abcdefgh');
    expect(forgetServer(store, 'http://h9:1').map((s) => s.label)).not.toContain('h9:1');
    store.data.set('xpuscope.recentServers', '{not json');
    expect(loadRecent(store)).toEqual([]);
    store.data.set('xpuscope.recentServers', JSON.stringify([{ base: 'ftp://x' }, { base: 'http://ok:2' }]));
    expect(loadRecent(store).map((s) => s.label)).toEqual(['ok:2']);
    expect(loadRecent(undefined)).toEqual([]);
  });
});
