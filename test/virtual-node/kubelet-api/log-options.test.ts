// The kubelet's log options, as /containerLogs reads them from the query.

import { describe, expect, it } from 'vitest';
import { parseLogOptions } from '../../../virtual-node/kubelet-api/container-logs.js';
import { KubeletApiError } from '../../../virtual-node/kubelet-api/status.js';

const parse = (q: string) => parseLogOptions(new URLSearchParams(q));

function refusal(q: string): KubeletApiError {
  try {
    parse(q);
  } catch (e) {
    if (e instanceof KubeletApiError) return e;
    throw e;
  }
  throw new Error(`${q} was accepted`);
}

describe('parseLogOptions', () => {
  it('reads every option', () => {
    expect(parse('follow=true&previous=1&timestamps=T&tailLines=10&limitBytes=500&sinceSeconds=60')).toEqual({
      follow: true,
      previous: true,
      timestamps: true,
      tailLines: 10,
      limitBytes: 500,
      sinceSeconds: 60,
    });
    expect(parse('sinceTime=2024-05-06T07:08:09Z')).toEqual({ follow: false, previous: false, timestamps: false, sinceTime: '2024-05-06T07:08:09Z' });
    expect(parse('follow')).toMatchObject({ follow: true });
    expect(parse('tailLines=0').tailLines).toBe(0);
  });

  it('answers values that do not parse with 400, naming the parameter', () => {
    expect(refusal('tailLines=1.5')).toMatchObject({ code: 400, message: expect.stringMatching(/^tailLines: /) });
    expect(refusal('follow=yes')).toMatchObject({ code: 400, message: expect.stringMatching(/^follow: /) });
    expect(refusal('sinceTime=2024-05-06')).toMatchObject({ code: 400, message: expect.stringMatching(/^sinceTime: .*RFC 3339/) });
  });

  it('answers values that break the rules with 422, listing every cause', () => {
    const e = refusal('tailLines=-2&limitBytes=0&sinceSeconds=0');
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.toStatus().details?.causes?.map((c) => c.field)).toEqual(['tailLines', 'limitBytes', 'sinceSeconds']);
    expect(refusal('sinceSeconds=5&sinceTime=2024-05-06T07:08:09Z').message).toMatch(/at most one of `sinceTime` or `sinceSeconds`/);
  });
});
