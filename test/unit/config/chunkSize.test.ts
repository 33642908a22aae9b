import {
  CHUNK_UNIT_BYTES,
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  nearestValidChunkSizes,
  validateChunkSize,
} from '../../../src/config/chunkSize';
import { AppError, isAppError } from '../../../src/errors';

function failure(value: unknown): AppError {
  try {
    validateChunkSize(value);
  } catch (error) {
    if (isAppError(error, 'ValidationFailed')) return error;
    throw error;
  }
  throw new Error(`${String(value)} was accepted`);
}

describe('chunk size validation', () => {
  it('defaults to 10 MiB, which is 32 × 320 KiB', () => {
    expect(DEFAULT_CHUNK_BYTES).toBe(10_485_760);
    expect(DEFAULT_CHUNK_BYTES).toBe(32 * CHUNK_UNIT_BYTES);
    expect(validateChunkSize(DEFAULT_CHUNK_BYTES)).toBe(DEFAULT_CHUNK_BYTES);
  });

  it('accepts 320 KiB and the largest multiple under 60 MiB', () => {
    expect(validateChunkSize(327_680)).toBe(327_680);
    expect(MAX_CHUNK_BYTES).toBe(191 * 327_680);
    expect(MAX_CHUNK_BYTES).toBeLessThan(60 * 1024 * 1024);
    expect(validateChunkSize(MAX_CHUNK_BYTES)).toBe(MAX_CHUNK_BYTES);
  });

  it('refuses a size that is not a multiple of 320 KiB, naming the field, the rule and the nearest valid sizes', () => {
    const error = failure(4 * 1024 * 1024); // 4 MiB = 12.8 × 320 KiB
    expect(error.field).toBe('chunkSizeBytes');
    expect(error.httpStatus).toBe(400);
    expect(error.message).toMatch(/chunkSizeBytes must be a multiple of 327,680 bytes/);
    expect(error.message).toMatch(/3,932,160 \(12 × 320 KiB\) or 4,259,840 \(13 × 320 KiB\)/);
  });

  it('refuses 60 MiB and more, suggesting the largest valid size', () => {
    const error = failure(60 * 1024 * 1024); // 192 × 320 KiB: a multiple, but not under 60 MiB
    expect(error.message).toMatch(/60 MiB or more/);
    expect(error.message).toMatch(/62,586,880 \(191 × 320 KiB\)/);
  });

  it.each([0, -327_680, 327_680.5, Number.NaN, '10485760', undefined])('refuses %p', (value) => {
    expect(failure(value).field).toBe('chunkSizeBytes');
  });

  it('suggests only sizes that are themselves valid', () => {
    for (const n of [1, 327_679, 327_681, 62_914_559, 40_000_000])
      for (const suggestion of nearestValidChunkSizes(n))
        expect(validateChunkSize(suggestion)).toBe(suggestion);
    expect(nearestValidChunkSizes(1)).toEqual([327_680]);
  });
});
