// Opens a page in headless Chromium, waits until OpenSeadragon has drawn
// every tile of the view, and screenshots the viewer: what test_dzi
// compares with a direct render. It speaks the DevTools protocol over
// --remote-debugging-pipe (JSON messages ending in a NUL byte on file
// descriptors 3 and 4), so it needs nothing but node and Chromium.
//
//   node dzi_browser.js CHROMIUM PROFILE URL WIDTH HEIGHT SHOT.png REQUESTS.txt
//
// The viewer element (#view) is made WIDTH x HEIGHT CSS pixels at a
// device scale of 1, and SHOT.png is exactly that element. REQUESTS.txt
// lists every URL the page asked for, one a line. Exit status: 0 done,
// 1 the page failed (the reason on stderr), 3 Chromium could not start.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');

const [chromium, profile, url, width, height, shot, requests] = process.argv.slice(2);
const WIDTH = Number(width), HEIGHT = Number(height);
const DEADLINE_MS = 60000;              // the whole run, at most
const POLL_MS = 100;                    // between looks at the viewer

const child = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--mute-audio',
    // Nothing resolves: a request outside the machine could not leave it.
    '--host-resolver-rules=MAP * ~NOTFOUND',
    '--user-data-dir=' + profile, '--remote-debugging-pipe', 'about:blank'
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });

let stderr = '';
child.stderr.on('data', (data) => { stderr += data; });
let started = false;
child.on('error', (error) => fail(3, 'cannot start ' + chromium + ': ' + error.message));
child.on('exit', (code) => {
    if (!finished)
        fail(started? 1: 3, 'Chromium exited (' + code + '): ' + stderr.slice(-2000));
});

let finished = false;
function fail(status, why) {
    if (finished)
        return;
    finished = true;
    process.stderr.write('dzi_browser: ' + why + '\n');
    try { child.kill('SIGKILL'); } catch (e) { /* gone already */ }
    process.exit(status);
}
const timer = setTimeout(() => fail(1, 'no result within ' + DEADLINE_MS + ' ms'), DEADLINE_MS);

// The protocol: commands with ids, their answers, and events.
const pipeOut = child.stdio[3], pipeIn = child.stdio[4];
let nextId = 1, buffer = '';
const waiting = new Map();
const urls = [];
pipeIn.on('data', (data) => {
    buffer += data.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if (message.id && waiting.has(message.id)) {
            const { resolve, reject } = waiting.get(message.id);
            waiting.delete(message.id);
            if (message.error)
                reject(new Error(JSON.stringify(message.error)));
            else
                resolve(message.result);
        }
        else if (message.method === 'Network.requestWillBeSent')
            urls.push(message.params.request.url);
    }
});
function send(method, params, sessionId) {
    const id = nextId++;
    const message = { id, method, params: params || {} };
    if (sessionId)
        message.sessionId = sessionId;
    pipeOut.write(JSON.stringify(message) + '\0');
    return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function evaluate(session, expression) {
    const result = await send('Runtime.evaluate',
                              { expression, returnByValue: true, awaitPromise: true }, session);
    if (result.exceptionDetails)
        throw new Error('page: ' + JSON.stringify(result.exceptionDetails).slice(0, 500));
    return result.result.value;
}

// Whether the viewer has the view open and every tile it needs drawn.
const LOADED = `(() => {
    const viewer = window.viewer, item = viewer && viewer.world.getItemAt(0);
    return !!item && item.getFullyLoaded();
})()`;
const RECT = `JSON.stringify(document.getElementById('view').getBoundingClientRect())`;
// Two animation frames: OpenSeadragon draws in one after the tiles came.
const FRAMES = `new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))`;

async function open(session, barHeight) {
    // A fresh document each time (the same URL again would only be a
    // fragment navigation), opened at the window's final size.
    await send('Page.navigate', { url: 'about:blank' }, session);
    await send('Emulation.setDeviceMetricsOverride',
               { width: WIDTH, height: HEIGHT + barHeight, deviceScaleFactor: 1, mobile: false },
               session);
    await send('Page.navigate', { url }, session);
    for (let waited = 0; ; waited += POLL_MS) {
        let loaded = false;
        try {
            loaded = await evaluate(session, LOADED);
        } catch (error) {
            // The page may be between documents: look again.
        }
        if (loaded)
            break;
        if (waited > DEADLINE_MS)
            throw new Error('the viewer did not load its tiles');
        await sleep(POLL_MS);
    }
    await evaluate(session, FRAMES);
    return JSON.parse(await evaluate(session, RECT));
}

(async () => {
    await send('Browser.getVersion');
    started = true;
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    await send('Network.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    // First at any height, to learn where the viewer starts below the
    // caption; then tall enough that the viewer is exactly the size asked.
    let rect = await open(sessionId, 0);
    const bar = Math.round(rect.top);
    rect = await open(sessionId, bar);
    if (rect.width !== WIDTH || rect.height !== HEIGHT || rect.left !== 0 || rect.top !== bar)
        throw new Error('the viewer is ' + JSON.stringify(rect) + ', not ' + WIDTH + 'x' + HEIGHT);
    const { data } = await send('Page.captureScreenshot', {
        format: 'png', clip: { x: 0, y: bar, width: WIDTH, height: HEIGHT, scale: 1 }
    }, sessionId);
    fs.writeFileSync(shot, Buffer.from(data, 'base64'));
    fs.writeFileSync(requests, urls.join('\n') + '\n');
    finished = true;
    clearTimeout(timer);
    // Gone before we are: its profile folder is the test's to remove.
    child.once('exit', () => process.exit(0));
    child.kill('SIGKILL');
})().catch((error) => fail(started? 1: 3, error.message));
