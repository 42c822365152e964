// node-cot over plain TCP, in CoT XML or in TAK protocol v1 payloads
// (node-cot encodes and decodes the payload; the 0xbf framing and the
// negotiation are done here, as node-cot leaves them to the caller).
// Reports a position until the peer's (uid WANT) arrives, then prints it
// as one JSON line.
//
// node cot-tcp.mjs HOST PORT xml|proto UID WANT
import net from 'node:net';
import CoT from '@tak-ps/node-cot';

const [host, port, mode, uid, want] = process.argv.slice(2);
const timer = setTimeout(() => { console.log(JSON.stringify({ error: 'timeout', uid })); process.exit(1); }, 20000);

const sock = net.connect({ host, port: Number(port) });
let proto = false;
let done = false;
let buf = Buffer.alloc(0);

const position = () => {
    const now = new Date();
    return new CoT({
        event: {
            _attributes: { version: '2.0', uid, type: 'a-f-G-U-C', how: 'm-g', time: now.toISOString(), start: now.toISOString(), stale: new Date(now.getTime() + 120000).toISOString() },
            point: { _attributes: { lat: 34.1, lon: 36.9, hae: 0, ce: 10, le: 9999999 } },
            detail: { contact: { _attributes: { callsign: uid } }, track: { _attributes: { course: 45, speed: 2 } } },
        },
    });
};

const frame = (payload) => {
    const len = [];
    let n = payload.length;
    do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; len.push(b); } while (n);
    return Buffer.concat([Buffer.from([0xbf, ...len]), payload]);
};

const send = () => {
    if (mode === 'proto' && !proto) return; // nothing but the request until the server answers it
    const cot = position();
    if (proto) sock.write(frame(Buffer.from(cot.to_proto())));
    else sock.write(cot.to_xml());
};

const received = (cot) => {
    const a = cot.raw.event._attributes;
    if (a.type === 't-x-takp-r') {
        const ok = cot.raw.event.detail?.TakControl?.TakResponse?._attributes?.status;
        if (String(ok) !== 'true') { console.log(JSON.stringify({ error: 'protocol v1 refused' })); process.exit(1); }
        proto = true;
        return;
    }
    // In proto mode only what arrives as protobuf counts (the picture sent
    // on connecting comes in XML, before the negotiation).
    if (a.uid !== want || done || (mode === 'proto' && !proto)) return;
    done = true;
    clearTimeout(timer);
    console.log(JSON.stringify({ uid: a.uid, type: a.type, access: a.access, lat: Number(cot.raw.event.point._attributes.lat), mode: proto ? 'proto' : 'xml' }));
    // Report once more and linger, so a peer that has not heard from us
    // yet does.
    send();
    setTimeout(() => { sock.destroy(); process.exit(0); }, 1000);
};

sock.on('data', (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
        if (!proto) {
            const s = buf.toString('utf8');
            const m = s.match(/<event[ >][\s\S]*?<\/event>/);
            if (!m) return;
            const end = Buffer.byteLength(s.slice(0, m.index + m[0].length));
            buf = buf.subarray(end);
            received(new CoT(m[0]));
            continue;
        }
        if (buf.length < 2) return;
        if (buf[0] !== 0xbf) { console.log(JSON.stringify({ error: 'bad frame' })); process.exit(1); }
        let n = 0, shift = 0, i = 1;
        for (; i < buf.length; i++) { n |= (buf[i] & 0x7f) << shift; shift += 7; if (!(buf[i] & 0x80)) break; }
        if (i >= buf.length || buf.length < i + 1 + n) return;
        const payload = buf.subarray(i + 1, i + 1 + n);
        buf = buf.subarray(i + 1 + n);
        received(CoT.from_proto(payload));
    }
});
sock.on('error', (err) => { console.log(JSON.stringify({ error: String(err) })); process.exit(1); });
sock.on('connect', () => {
    if (mode === 'proto') {
        const now = new Date();
        sock.write(`<event version="2.0" uid="${uid}-neg" type="t-x-takp-q" how="m-g" time="${now.toISOString()}" start="${now.toISOString()}" stale="${new Date(now.getTime() + 60000).toISOString()}"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail><TakControl><TakRequest version="1"/></TakControl></detail></event>`);
    }
    setInterval(send, 300);
});
