// Which audio container a file is, from its first bytes: the client's filename
// and Content-Type are hints at best.

export type AudioFormat = 'wav' | 'flac' | 'ogg' | 'mp3' | 'm4a' | 'webm';

const ascii = (b: Uint8Array, at: number, s: string): boolean =>
  b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

export function sniffAudioFormat(head: Uint8Array): AudioFormat | undefined {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 0, 'ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(head, 4, 'ftyp')) return 'm4a';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  return undefined;
}

/** The media type we store and send each format under: the one list, for S3 objects and the relay alike. */
export const audioContentType: Record<AudioFormat, string> = {
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  webm: 'audio/webm',
};

export const isAudioFormat = (name: string): name is AudioFormat => Object.hasOwn(audioContentType, name);
