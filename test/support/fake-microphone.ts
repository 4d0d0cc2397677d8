import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { speak } from './speech.js';

// Headless Chromium as a person's browser with a microphone: Chromium's fake
// capture device plays a WAV of flite speech (silence around it, so the
// engine hears the utterance end), permission granted without a prompt.

/** A phrase spoken, with `before` and `after` seconds of silence. */
export function spokenWav(phrase: string, before = 0.5, after = 1.5): string {
  const wav = path.join(os.tmpdir(), `fake-mic-${randomBytes(3).toString('hex')}.wav`);
  execFileSync('sox', [speak(phrase), wav, 'pad', String(before), String(after)]);
  return wav;
}

/**
 * A browser whose microphone plays `wav`. Loopback stays a usable WebRTC
 * address (Chromium leaves it out otherwise), so a peer on this machine is reached over 127.0.0.1.
 */
export function browserWithMicrophone(wav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
    ],
  });
}

/** Script errors and console errors (a Content-Security-Policy violation among them) of a page, as they come. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** Where a test leaves its screenshots. */
export const screenshotPath = (name: string): string => path.join(process.env.SCAIWAVE_TEST_LOG_DIR ?? os.tmpdir(), name);

/** /demo/live as a person starts it: the page (with its own script policy), their token, the transport, Go; until it listens. */
export async function startLiveDemo(page: Page, apiUrl: string, token: string, transport?: 'webrtc'): Promise<void> {
  const res = await page.goto(`${apiUrl}/demo/live`);
  expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
  await page.locator('#token').fill(token);
  if (transport) await page.locator('#transport').selectOption(transport);
  await page.locator('#go').click();
  await page.getByText(/listening \(backend A\)/).waitFor({ timeout: 60_000 });
}

/** Stop, and the page's summary of what it streamed. */
export async function stopLiveDemo(page: Page): Promise<void> {
  await page.locator('#stop').click();
  await page.getByText(/stopped: \d+ s streamed/).waitFor({ timeout: 60_000 });
}
