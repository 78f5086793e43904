// Launches Debian's chromium through playwright-core with a throwaway profile.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = '/usr/bin/chromium'

export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the UI tests`
}

export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tracecar-ui-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export type TestBrowser = Awaited<ReturnType<typeof launchBrowser>>

/**
 * A browser for one test file, closed at its teardown, and a first page in it
 * whose uncaught errors are collected in `pageErrors` (the files end by
 * asserting there were none) and whose steps fail after 20 s instead of hanging.
 */
export async function openTestPage(t: Test): Promise<{ browser: TestBrowser; page: Page; pageErrors: string[] }> {
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  const pageErrors: string[] = []
  const page = await browser.context.newPage()
  page.setDefaultTimeout(20_000)
  page.on('pageerror', (e) => pageErrors.push(e.message))
  return { browser, page, pageErrors }
}

/** Where the UI tests leave their screenshots (.tap/ui-screenshots), created if need be. */
export function screenshotDir(): string {
  const dir = join(fileURLToPath(new URL('../../', import.meta.url)), '.tap', 'ui-screenshots')
  mkdirSync(dir, { recursive: true })
  return dir
}
