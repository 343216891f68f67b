// The kubelet's reading of its streaming URLs, as the virtual node's kubelet API will get them from kube-apiserver.
import { describe, expect, it } from 'vitest';
import { KubeletQueryError, kubeletExecOptions, kubeletPortForwardPorts } from '../../../kube/index.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('kubelet streaming queries', () => {
  it('reads exec options with the kubelet parameter names', () => {
    expect(kubeletExecOptions(q('command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1'))).toEqual({ command: ['sh', '-c', 'echo hi'], stdin: true, stdout: true, stderr: true, tty: false });
    expect(kubeletExecOptions(q('output=true'))).toEqual({ command: [], stdin: false, stdout: true, stderr: false, tty: false });
  });

  it('drops stderr with a TTY, as the kubelet does', () => {
    expect(kubeletExecOptions(q('command=sh&input=1&output=1&error=1&tty=1'))).toMatchObject({ stderr: false, tty: true });
    // ...and with it gone, nothing may be left.
    expect(() => kubeletExecOptions(q('error=1&tty=1'))).toThrow('you must specify at least 1 of stdin, stdout, stderr');
  });

  it('refuses a request for no stream at all, in the kubelet wording', () => {
    expect(() => kubeletExecOptions(q('command=true&tty=1'))).toThrow(KubeletQueryError);
    expect(() => kubeletExecOptions(q('command=true&input=0'))).toThrow('you must specify at least 1 of stdin, stdout, stderr');
  });

  it('reads port-forward ports, repeated or comma-separated, and refuses bad ones', () => {
    expect(kubeletPortForwardPorts(q('port=8080&port=9090,53'))).toEqual([8080, 9090, 53]);
    expect(kubeletPortForwardPorts(q(''))).toEqual([]);
    expect(() => kubeletPortForwardPorts(q('port=0'))).toThrow('invalid port "0": must be between 1 and 65535');
    expect(() => kubeletPortForwardPorts(q('port=http'))).toThrow(KubeletQueryError);
    expect(() => kubeletPortForwardPorts(q('port=70000'))).toThrow(/70000/);
  });
});
