// node-tak over mutual TLS: connect with a client certificate, report a
// position until the peer's position (uid WANT) arrives and a ping has
// been answered, then print what was received as one JSON line.
//
// node tls-client.mjs HOST PORT CERT.pem KEY.pem UID WANT
import fs from 'node:fs';
import TAK, { CoT } from '@tak-ps/node-tak';

const [host, port, certFile, keyFile, uid, want] = process.argv.slice(2);
let seen = [];
const timer = setTimeout(() => { console.log(JSON.stringify({ error: 'timeout', uid, pong, got, seen: seen.slice(-5) })); process.exit(1); }, 20000);

const tak = await TAK.connect(uid, new URL(`ssl://${host}:${port}`), {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
});
let got = null;
let pong = false;
const finish = () => {
    if (!got || !pong) return;
    clearTimeout(timer);
    console.log(JSON.stringify(got));
    tak.destroy();
    process.exit(0);
};
tak.on('ping', () => { pong = true; finish(); });
tak.on('cot', (cot) => {
    const a = cot.raw.event._attributes;
    seen.push(a.uid + ' ' + a.type);
    if (a.uid !== want) return;
    got = { uid: a.uid, type: a.type, access: a.access, lat: Number(cot.raw.event.point._attributes.lat), lon: Number(cot.raw.event.point._attributes.lon) };
    finish();
});
tak.on('error', (err) => { console.log(JSON.stringify({ error: String(err), uid })); process.exit(1); });

const report = () => {
    const now = new Date();
    tak.write([new CoT({
        event: {
            _attributes: { version: '2.0', uid, type: 'a-f-G-U-C', how: 'm-g', time: now.toISOString(), start: now.toISOString(), stale: new Date(now.getTime() + 120000).toISOString() },
            point: { _attributes: { lat: 33.5, lon: 36.3, hae: 0, ce: 10, le: 9999999 } },
            detail: { contact: { _attributes: { callsign: uid } } },
        },
    })]);
};
tak.on('secureConnect', report);
setInterval(report, 500);
