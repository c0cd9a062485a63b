// tests/mermaid/render.mjs FILE.mmd... - renders each Mermaid diagram in
// headless Chromium (Debian's, see puppeteer.json) with the Mermaid library
// that mermaid-cli (mmdc) bundles, all in one page so hundreds of diagrams
// take seconds, not the seconds each of mmdc's page-per-diagram. For each
// file: writes FILE.svg (Mermaid's SVG) and prints "ok FILE" or
// "not ok FILE: <Mermaid's error>". Exits 1 when the browser or Mermaid
// cannot be started (the test then fails; it never skips).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer';

const require = createRequire(import.meta.url);
const cfg = JSON.parse(fs.readFileSync(new URL('./puppeteer.json', import.meta.url), 'utf8'));
const files = process.argv.slice(2);
let browser;
try {
	browser = await puppeteer.launch({ headless: true, executablePath: cfg.executablePath, args: cfg.args });
	const page = await browser.newPage();
	await page.setContent('<!doctype html><html><body></body></html>');
	await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
	await page.evaluate(() =>
		// long calls: past the 50 000 characters Mermaid takes by default
		mermaid.initialize({ startOnLoad: false, maxTextSize: 10000000, securityLevel: 'strict' }));
	for (const [i, f] of files.entries()) {
		const text = fs.readFileSync(f, 'utf8');
		const r = await page.evaluate(async (id, text) => {
			try {
				const { svg } = await mermaid.render(id, text);
				return { svg };
			} catch (e) {
				document.getElementById(id)?.remove();
				document.getElementById('d' + id)?.remove();
				return { err: String(e && e.message ? e.message : e) };
			}
		}, 'm' + i, text);
		if (r.err) {
			console.log(`not ok ${f}: ${r.err.split('\n').slice(0, 3).join(' | ')}`);
		} else {
			fs.writeFileSync(f + '.svg', r.svg);
			console.log(`ok ${f}`);
		}
	}
} catch (e) {
	console.log(`not ok - mermaid: cannot render in ${cfg.executablePath}: ${String(e.message).split('\n')[0]}`);
	process.exitCode = 1;
} finally {
	if (browser)
		await browser.close();
}
