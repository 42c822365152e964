// node-tak over mutual TLS as one scripted device: connect with a client
// certificate, send the CoT events in SEND (a JSON array of CoT XML
// strings, each parsed and written again by node-cot; "-" for none), then
// record every event received until one with uid WAIT arrives, and print
// what was received as one JSON line. With WAIT "-", linger a moment after
// sending and print.
//
// node device.mjs HOST PORT CERT.pem KEY.pem ID SEND WAIT
import fs from 'node:fs';
import TAK, { CoT } from '@tak-ps/node-tak';

const [host, port, certFile, keyFile, id, sendFile, wait] = process.argv.slice(2);
const received = [];
const timer = setTimeout(() => {
    console.log(JSON.stringify({ error: 'timeout waiting for ' + wait, received }));
    process.exit(1);
}, 120000);

const tak = await TAK.connect(id, new URL(`ssl://${host}:${port}`), {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
});
const done = () => {
    clearTimeout(timer);
    console.log(JSON.stringify({ received }));
    tak.destroy();
    process.exit(0);
};
tak.on('cot', (cot) => {
    const ev = cot.raw.event;
    const a = ev._attributes;
    received.push({ uid: a.uid, type: a.type, access: a.access, lat: Number(ev.point?._attributes?.lat) });
    if (wait !== '-' && a.uid === wait) done();
});
tak.on('error', (err) => { console.log(JSON.stringify({ error: String(err), received })); process.exit(1); });
tak.on('secureConnect', () => {
    const xmls = sendFile === '-' ? [] : JSON.parse(fs.readFileSync(sendFile, 'utf8'));
    tak.write(xmls.map((x) => new CoT(x)));
    if (wait === '-') setTimeout(done, 1500);
});
