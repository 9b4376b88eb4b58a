// Property labels are written for people (host/info.ts): acronyms and names as people write them,
// never split camelCase like "Uuid" or "Level zero api version".
import { describe, expect, it } from 'vitest';
import { label } from '../../host/info.js';

describe('property labels', () => {
  it('uses the written labels, and keeps acronyms for keys nobody wrote one for', () => {
    expect(label('uuid')).toBe('UUID');
    expect(label('pciAddress')).toBe('PCI address');
    expect(label('gpuEuCount')).toBe('EU count');
    expect(label('levelZeroApiVersion')).toBe('Level Zero API version');
    expect(label('spirvVersion')).toBe('SPIR-V version');
    expect(label('someNewGpuId')).toBe('Some new GPU ID');
    expect(label('hwThing')).toBe('Hardware thing');
  });
});
